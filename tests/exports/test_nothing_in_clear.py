"""No workbook puts a name or a case's details on disk in clear: not while it is made (openpyxl's
sheets, the file being saved), not while it waits for its download or is sent, not after. The
disk is searched as a copy of it would be: every file under the instance folder and the system's
temporary folder, and every file the process holds open there (a file without a name too), at
each step of the making."""

import os
import tempfile
import threading
from datetime import date

import pytest
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reintegration.auth.models import Role
from reintegration.exports import jobs, services, spool, tasks
from reintegration.extensions import db
from tests.exports.clear_text import every_file, files_holding, holds
from tests.exports.workbook_helpers import (
    NAMES,
    build_province,
    download,
    every_text,
    place_value,
    service,
    workbook_of,
)
from tests.helpers import build_world, in_english, sign_in

REASON = "Danh sách chi trả Sở Y tế"
NOTES = "Khám phụ khoa sau khi bị bán sang Trung Quốc"
# The English header of the anonymised dataset's last column: in its sheet, as every value is.
DATASET_HEADER = "How the person was recruited"


class Disk:
    """The folders a copy of the server's disk would hold, and what was found in them."""

    def __init__(self, instance, system):
        self.roots = [instance, system]
        self.texts: list[str] = []
        self.looks: list[str] = []
        self.found: list[tuple[str, str, list[str]]] = []

    def look(self, moment: str) -> None:
        self.looks.append(moment)
        for text in self.texts:
            if holding := files_holding(text, self.roots):
                self.found.append((moment, text, holding))

    def left(self) -> list[str]:
        return every_file(self.roots)


@pytest.fixture
def disk(app, tmp_path, monkeypatch):
    """An instance folder and a system temporary folder of the test's own, looked at after
    each sheet of a workbook is complete, before a workbook is stored, sent or audited."""
    instance, system = tmp_path / "instance", tmp_path / "system-tmp"
    system.mkdir()
    monkeypatch.setattr(app, "instance_path", str(instance))
    monkeypatch.setattr(tempfile, "tempdir", str(system))
    # Sealed in chunks of 64 bytes, the sheets reach the disk as they are written.
    monkeypatch.setattr(spool, "CHUNK", 64)
    watched = Disk(instance, system)

    def after(function, moment):
        def looked(*args, **kwargs):
            result = function(*args, **kwargs)
            watched.look(moment)
            return result

        return looked

    def before(function, moment):
        def looked(*args, **kwargs):
            watched.look(moment)
            return function(*args, **kwargs)

        return looked

    # A sheet's rows are all on disk once it is closed, as the workbook is saved.
    monkeypatch.setattr(WriteOnlyWorksheet, "close", after(WriteOnlyWorksheet.close, "sheet"))
    monkeypatch.setattr(tasks, "_store", before(tasks._store, "stored"))
    monkeypatch.setattr(jobs, "open_workbook", after(jobs.open_workbook, "sent"))
    monkeypatch.setattr(services, "record_support", before(services.record_support, "audited"))
    monkeypatch.setattr(services, "record_dataset", before(services.record_dataset, "audited"))
    return watched


@pytest.fixture
def province(make, frozen_clock):
    made = build_province(make)
    service(make, made.cases["mai"], date(2026, 2, 2), 1_500_000, notes=NOTES)
    db.session.commit()
    return made


@pytest.fixture
def officer(client, auth, make, province):
    user = sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))
    in_english(client)
    return user


class AtOnce:
    """Runs a background job to its end in a thread of its own, as in production."""

    def submit(self, function, *args):
        thread = threading.Thread(target=function, args=args)
        thread.start()
        thread.join()


@pytest.fixture
def in_background(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", 1)
    monkeypatch.setitem(app.config, "EXPORT_HEARTBEAT_SECONDS", 3600)
    monkeypatch.setattr(tasks, "PROGRESS_SECONDS", 3600)
    monkeypatch.setattr(tasks, "executor", AtOnce)


def _nghe_an(province) -> str:
    return place_value(province.cases["mai"].province)


def test_a_workbook_with_names_made_during_the_request_is_never_on_disk_in_clear(
    client, officer, province, disk
):
    disk.texts = [NAMES["mai"], NOTES]

    response = download(client, _nghe_an(province), with_names="y", reason=REASON)

    texts = every_text(workbook_of(response))
    assert NAMES["mai"] in texts
    assert NOTES in texts
    disk.look("after")
    assert disk.looks.count("sheet") == 9
    assert "audited" in disk.looks
    assert disk.found == []
    assert disk.left() == []


def test_a_workbook_with_names_made_in_the_background_is_never_on_disk_in_clear(
    client, officer, province, in_background, disk
):
    disk.texts = [NAMES["mai"], NOTES]

    started = download(client, _nghe_an(province), with_names="y", reason=REASON)
    token = started.location.removeprefix("/exports/jobs/")
    response = client.get(f"/exports/jobs/{token}/download")

    assert NAMES["mai"] in every_text(workbook_of(response))
    disk.look("after")
    assert disk.looks.count("sheet") == 9
    assert {"stored", "sent"} <= set(disk.looks)
    assert disk.found == []
    assert disk.left() == []


def test_the_download_is_sent_in_parts_with_its_length(
    client, officer, province, in_background, disk, monkeypatch
):
    monkeypatch.setattr(jobs, "PART_BYTES", 1000)  # several parts, however small the workbook
    started = download(client, _nghe_an(province), with_names="y", reason=REASON)
    token = started.location.removeprefix("/exports/jobs/")

    response = client.get(f"/exports/jobs/{token}/download")

    assert response.is_streamed
    data = response.get_data()
    assert int(response.headers["Content-Length"]) == len(data) > 3000
    assert response.headers["Content-Disposition"].startswith("attachment; filename=support-NA")
    assert response.headers["Cache-Control"] == "no-store"
    assert NAMES["mai"] in every_text(workbook_of(response))


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_the_anonymised_dataset_is_never_on_disk(app, auth, make, disk, monkeypatch, file_format):
    monkeypatch.setitem(app.config, "DATASET_K", 1)
    world = build_world(make)
    sign_in(auth, world.user(make, Role.PROVINCIAL_OFFICER))
    in_english(auth.client)
    disk.texts = [DATASET_HEADER]

    response = auth.client.post("/exports/dataset", data={"file_format": file_format})

    assert response.status_code == 200
    assert holds(response.data, DATASET_HEADER)
    disk.look("after")
    assert disk.looks.count("sheet") == (1 if file_format == "xlsx" else 0)
    assert "audited" in disk.looks
    assert disk.found == []
    assert disk.left() == []


def test_the_command_writes_only_the_file_asked_for(runner, province, disk, tmp_path):
    code = province.cases["mai"].code
    disk.texts = [code]
    out = tmp_path / "out"
    out.mkdir()
    disk.roots.append(out)

    result = runner.invoke(
        args=[
            "export", "support", "--province", "NA", "--from", "2026-01-01",
            "--to", "2026-03-15", "-o", str(out / "support.xlsx"),
        ]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert disk.looks.count("sheet") == 9
    assert disk.found == []
    assert os.listdir(out) == ["support.xlsx"]
    disk.roots.remove(out)
    assert disk.left() == []


def test_a_failed_command_leaves_nothing_behind(runner, province, disk, tmp_path, monkeypatch):
    def broken(*_args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "record_support", broken)
    output = tmp_path / "support.xlsx"

    result = runner.invoke(
        args=[
            "export", "support", "--province", "NA", "--from", "2026-01-01",
            "--to", "2026-03-15", "-o", str(output),
        ]
    )  # fmt: skip

    assert result.exit_code != 0
    assert not output.exists()
    assert disk.left() == []
