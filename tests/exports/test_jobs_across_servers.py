"""A background workbook followed and downloaded from any server, and its process killed midway:
real servers on one database, a real process killed, nothing left on disk."""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text, update

from reintegration import create_app
from reintegration.auth.models import Role
from reintegration.auth.totp_models import SecondFactor
from reintegration.exports.models import ExportJob
from reintegration.extensions import db
from tests.browsing import Browser
from tests.conftest import PASSWORD, Factory
from tests.exports.clear_text import files_holding, open_files
from tests.exports.servers import get_bytes, two_servers
from tests.exports.workbook_helpers import NAMES, PERIOD, build_province, every_text, place_value
from tests.own_database import SETTINGS, own_sessions

REASON = "Danh sách chi trả Sở Y tế"
# Only reached when something hangs.
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with two_servers(tmp_path_factory, "servers", EXPORT_INLINE_MAX_ROWS=1) as pair:
        a, _b = pair
        with a.app.app_context():
            make = Factory()
            province = build_province(make)
            officer = province.user(make, Role.PROVINCIAL_OFFICER, language="en")
            ids = {
                "officer": officer.username,
                "place": place_value(province.cases["mai"].province),
            }
            ids["province_id"], ids["user_id"] = province.cases["mai"].province_id, officer.id
            db.session.commit()
            db.session.remove()
        yield (*pair, ids)


@pytest.fixture
def live(servers):
    """The servers' own database sessions during the test (the suite's, rolled back after each
    test, are on the main test database)."""
    with own_sessions():
        # Each test starts at the same frozen moment: the officer's codes of that moment are
        # new again (a code is accepted once).
        with servers[0].app.app_context():
            db.session.execute(update(SecondFactor).values(last_step=None))
            db.session.commit()
            db.session.remove()
        yield servers


def _job(app, token: str) -> ExportJob:
    with app.app_context():
        job = db.session.get(ExportJob, token)
        db.session.expunge_all()
        db.session.remove()
        return job


def _progress(browser: Browser, token: str) -> dict:
    page = browser.get(f"/exports/jobs/{token}/progress")
    assert page.status == 200, page.text[:500]
    return json.loads(page.text)


def _until_done(browser: Browser, token: str) -> dict:
    """Polls the progress as the page does, a bounded number of times."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (progress := _progress(browser, token))["state"] == "running":
        assert time.monotonic() < deadline, progress
        time.sleep(0.05)
    return progress


def _start(browser: Browser, ids: dict) -> str:
    form = dict(browser.get("/exports/support").form())
    form.update(place=ids["place"], with_names="y", reason=REASON, **PERIOD)
    page = browser.post("/exports/support", form)
    assert page.path.startswith("/exports/jobs/"), page.text[:2000]
    return page.path.removeprefix("/exports/jobs/")


def _files(folder: str) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(root, name), folder)
        for root, _dirs, names in os.walk(folder)
        for name in names
    )


def test_each_server_follows_and_serves_the_workbook_the_other_made(live):
    a, b, ids = live
    on_a, on_b = Browser(a.base), Browser(b.base)
    on_a.login(ids["officer"], PASSWORD)
    on_b.login(ids["officer"], PASSWORD)

    token = _start(on_a, ids)

    assert _until_done(on_b, token) == {"state": "done", "percent": 100}
    assert "The workbook is ready." in on_b.get(f"/exports/jobs/{token}").text
    status, data = get_bytes(on_b, f"/exports/jobs/{token}/download")
    assert status == 200
    assert NAMES["mai"] in every_text(load_workbook(io.BytesIO(data)))
    # Made by a, served by b: the other way round too.
    other = _start(on_b, ids)
    _until_done(on_a, other)
    assert get_bytes(on_a, f"/exports/jobs/{other}/download")[0] == 200
    assert _files(a.folder) == _files(b.folder) == []


def test_the_workbook_in_the_database_holds_no_name_in_clear(live):
    a, _b, ids = live
    browser = Browser(a.base)
    browser.login(ids["officer"], PASSWORD)
    token = _start(browser, ids)
    _until_done(browser, token)

    with a.app.app_context():
        raw = db.session.execute(
            text("SELECT sealed FROM export_job_parts WHERE token = :token ORDER BY number"),
            {"token": token},
        ).scalars()
        stored = b"".join(bytes(part) for part in raw)
        db.session.remove()

    assert len(stored) > 5000
    for name in NAMES.values():
        assert name.encode("utf-8") not in stored
    assert b"sharedStrings" not in stored
    assert b"worksheets/sheet" not in stored


# A real process killed while it makes a workbook

MAKER = textwrap.dedent(
    """
    import signal, sys, time
    from reintegration import create_app
    from reintegration.exports import jobs, spool, support, tasks
    from reintegration.exports.filters import Filters
    from reintegration.extensions import db
    from reintegration.reference.models import Province
    from datetime import date

    url, province_id, user_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # As gunicorn's worker does: a SIGTERM ends the process as a normal exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = create_app({SETTINGS!r} | {{"DATABASE_URL": url, "EXPORT_HEARTBEAT_SECONDS": 1}})
    support.PROGRESS_ROWS = 1
    spool.CHUNK = 64  # the sheets reach the disk, sealed, as they are written
    told = tasks.Heartbeat.tell

    def tell(self, written):
        told(self, written)
        if written == 3:  # rows in the workbook's sealed files on disk: time to kill the process
            print(self.token, flush=True)
            time.sleep(120)

    tasks.Heartbeat.tell = tell
    with app.app_context():
        province = db.session.get(Province, province_id)
        filters = Filters(date(2026, 1, 1), date(2026, 3, 15), province=province, names=True)
        runner = jobs.new_runner()
        job = jobs.create(filters, user_id, "en", 20, runner)
        token = job.token
        db.session.commit()
        tasks.launch(token, runner)
    time.sleep(120)
    """
)


def _maker(app, ids: dict, tmp_path):
    """A process making a workbook, stopped in the middle of it; its token once it is there."""
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    script = MAKER.format(SETTINGS=SETTINGS)
    environment = {**os.environ, "TMPDIR": str(system_tmp)}
    environment["REINTEGRATION_INSTANCE"] = app.instance_path
    url = app.config["DATABASE_URL"]
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", script, url, str(ids["province_id"]), str(ids["user_id"])],
        stdout=subprocess.PIPE,
        env=environment,
        text=True,
    )
    token = process.stdout.readline().strip()
    assert len(token) == 43, "the process making the workbook stopped early"
    return process, token, system_tmp


def _beat_again(app, token: str, first) -> None:
    """Wait (bounded) for a heartbeat written while the job itself is stuck, as in a long
    save."""
    deadline = time.monotonic() + WAIT_SECONDS
    while _job(app, token).heartbeat_at <= first:
        assert time.monotonic() < deadline, "no heartbeat while the workbook was being made"
        time.sleep(0.1)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "restart"])
def test_a_process_killed_or_restarted_midway_loses_no_workbook_and_leaves_no_file(
    live, frozen_clock, tmp_path, monkeypatch, stop
):
    a, b, ids = live
    process, token, system_tmp = _maker(a.app, ids, tmp_path)
    try:
        began = _job(a.app, token).heartbeat_at
        own = os.path.join(a.folder, f"{socket.gethostname()}-{process.pid}")
        # The sheets wait in files without a name in the app's own folder, sealed.
        assert open_files([own], process.pid), "the sheets are not in the app's own folder"
        assert os.listdir(own) == []
        assert files_holding(NAMES["mai"], [a.app.instance_path, system_tmp], process.pid) == []
        _beat_again(a.app, token, began)
        process.send_signal(stop)
        process.wait(WAIT_SECONDS)
    finally:
        process.kill()
        process.wait()
    frozen_clock.now = datetime.now(UTC)
    browser = Browser(b.base)
    browser.login(ids["officer"], PASSWORD)
    if stop == signal.SIGKILL:
        # Silent, but for less than a minute: still its own.
        assert _progress(browser, token) == {"state": "running", "percent": 15}
        assert _job(a.app, token).attempts == 1
        frozen_clock.now += timedelta(seconds=61)

    assert _until_done(browser, token) == {"state": "done", "percent": 100}

    assert _job(a.app, token).attempts == 2
    status, data = get_bytes(browser, f"/exports/jobs/{token}/download")
    assert status == 200
    assert NAMES["mai"] in every_text(load_workbook(io.BytesIO(data)))
    assert os.listdir(system_tmp) == []
    # What the killed process spilled goes at the next start of the app in its folder.
    monkeypatch.setenv("REINTEGRATION_INSTANCE", a.app.instance_path)
    started = create_app({**SETTINGS, "DATABASE_URL": a.app.config["DATABASE_URL"]})
    with started.app_context():
        db.engine.dispose()
    assert not os.path.exists(own)
    assert _files(a.folder) == _files(b.folder) == []
