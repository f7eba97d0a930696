"""A workbook too large for a request is made in the background: a page follows its progress,
and its file is for its requester alone, until it expires."""

import logging
import os
import re
import stat
import tempfile
import threading
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text, true

from reintegration import scratch
from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.exports import jobs, queries, services, support, tasks
from reintegration.exports.filters import Filters
from reintegration.exports.models import ExportJob, ExportJobPart
from reintegration.exports.spool import Spool
from reintegration.extensions import db
from tests.exports.workbook_helpers import (
    NAMES,
    XLSX,
    build_province,
    download,
    every_text,
    payment,
    place_value,
    service,
    workbook_of,
)
from tests.helpers import form_errors, in_english, sign_in, text_of

REASON = "Danh sách chi trả Sở Y tế"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class AtOnce:
    """Runs each job to its end before the request goes on, in a thread of its own as in
    production: no request, its own app context and database session."""

    def submit(self, function, *args):
        thread = threading.Thread(target=function, args=args)
        thread.start()
        thread.join()


class Held:
    """Keeps the jobs until the test runs them, to see them while they are running."""

    def __init__(self):
        self.calls = []

    def submit(self, function, *args):
        self.calls.append((function, args))

    def run_all(self):
        for function, args in self.calls:
            AtOnce().submit(function, *args)


@pytest.fixture(autouse=True)
def own_folder(app, tmp_path, monkeypatch):
    """The app's temporary folder, in an instance folder of the test's own; the process's
    temporary folder (which a job points at the app's) is put back after the test."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    return tmp_path / "instance" / "tmp"


@pytest.fixture(autouse=True)
def quiet_heartbeat(app, monkeypatch):
    """No heartbeat in these tests, whose requests and jobs share one database connection:
    the tests move the app's clock instead (see test_jobs_across_servers for real ones)."""
    monkeypatch.setitem(app.config, "EXPORT_HEARTBEAT_SECONDS", 3600)
    monkeypatch.setattr(tasks, "PROGRESS_SECONDS", 3600)


@pytest.fixture
def large(app, monkeypatch):
    """Every workbook counts as too large to make during a request."""
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", 1)


@pytest.fixture
def at_once(monkeypatch):
    monkeypatch.setattr(tasks, "executor", AtOnce)


@pytest.fixture
def held(monkeypatch):
    kept = Held()
    monkeypatch.setattr(tasks, "executor", lambda: kept)
    return kept


@pytest.fixture
def province(make, frozen_clock):
    made = build_province(make)
    service(make, made.cases["mai"], date(2026, 2, 2), 1_500_000, notes="Khám phụ khoa")
    payment(make, frozen_clock, made.cases["tung"], "HARDSHIP", date(2026, 3, 2), "PC-009")
    db.session.commit()
    return made


@pytest.fixture
def officer(client, auth, make, province):
    user = sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))
    in_english(client)
    return user


def _na(province):
    return province.cases["mai"].province


def _nghe_an(province) -> str:
    return place_value(_na(province))


def _token(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    prefix = "/exports/jobs/"
    assert response.location.startswith(prefix)
    return response.location.removeprefix(prefix)


def _cells(book) -> dict[str, list[tuple]]:
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def _exports() -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == Action.EXPORT).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


def _later(auth, user, frozen_clock, **delta) -> None:
    """Come back after ``delta``, logging in again: the session would have expired."""
    auth.logout()
    frozen_clock.advance(**delta)
    sign_in(auth, user)


def _files(folder) -> list[str]:
    """Every file under ``folder``."""
    return sorted(
        os.path.relpath(os.path.join(root, name), folder)
        for root, _dirs, names in os.walk(folder)
        for name in names
    )


def _jobs() -> list[str]:
    return list(db.session.scalars(select(ExportJob.token)))


def _parts() -> int:
    return db.session.scalar(select(func.count()).select_from(ExportJobPart))


def _job(token: str) -> ExportJob:
    db.session.expire_all()
    return db.session.get(ExportJob, token)


# Inline or in the background


def test_a_large_workbook_sends_its_requester_to_a_page_of_its_own(
    client, officer, province, large, at_once
):
    response = download(client, _nghe_an(province))

    token = _token(response)
    assert TOKEN.fullmatch(token)
    # Codes and dates stay out of the address as the place and the period do.
    assert response.location == f"/exports/jobs/{token}"


def test_a_workbook_below_the_limit_is_still_downloaded_at_once(
    app, client, officer, province, monkeypatch, at_once
):
    filters = Filters(date(2026, 1, 1), date(2026, 3, 15), province=_na(province))
    counted = queries.rows_expected(filters, true())
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", counted)

    response = download(client, _nghe_an(province))

    assert response.mimetype == XLSX
    assert _jobs() == []
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", counted - 1)
    assert download(client, _nghe_an(province)).status_code == 302


def test_the_rows_counted_beforehand_are_the_rows_written(make, province):
    filters = Filters(date(2026, 1, 1), date(2026, 3, 15), province=make.province("NA"))

    with tempfile.TemporaryFile() as target:
        written = services.export_support(filters, true(), target)

    assert queries.rows_expected(filters, true()) == sum(written.values()) > 8


def test_the_default_limit_keeps_an_ordinary_workbook_inline(app):
    assert app.config["EXPORT_INLINE_MAX_ROWS"] == 50_000
    assert app.config["EXPORT_FILE_HOURS"] == 24


# The page, the progress and the file


def test_the_page_shows_the_finished_workbook_with_its_link(
    client, officer, province, large, at_once
):
    token = _token(download(client, _nghe_an(province)))

    response = client.get(f"/exports/jobs/{token}")

    page = text_of(response)
    assert response.status_code == 200
    assert "The workbook is ready." in page
    assert 'aria-valuenow="100"' in page
    assert "100%" in page
    assert f'href="/exports/jobs/{token}/download"' in page
    assert 'http-equiv="refresh"' not in page
    assert "data-progress-url" not in page


def test_the_background_workbook_is_the_one_made_at_once(
    app, client, officer, province, large, at_once, monkeypatch
):
    token = _token(download(client, _nghe_an(province)))
    made = client.get(f"/exports/jobs/{token}/download")
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", 50_000)

    at_once_book = workbook_of(download(client, _nghe_an(province)))

    assert made.headers["Content-Disposition"] == (
        "attachment; filename=support-NA-2026-01-01-2026-03-15.xlsx"
    )
    background = workbook_of(made)
    assert background.sheetnames[:2] == ["Summary", "Cases"]  # in the requester's language
    assert _cells(background) == _cells(at_once_book)


def test_a_running_job_shows_its_progress_and_refreshes_itself(
    client, officer, province, large, held
):
    token = _token(download(client, _nghe_an(province)))

    page = text_of(client.get(f"/exports/jobs/{token}"))

    assert "being made in the background" in page
    assert 'aria-valuenow="0"' in page
    assert f'data-progress-url="/exports/jobs/{token}/progress"' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert f'<a href="/exports/jobs/{token}">Refresh</a>' in page
    assert "/download" not in page
    assert "<script>" not in page  # the Content-Security-Policy allows app.js only


def test_the_progress_says_the_state_and_the_share_of_the_rows_written(
    client, officer, province, large, held
):
    token = _token(download(client, _nghe_an(province)))
    assert client.get(f"/exports/jobs/{token}/progress").json == {
        "state": "running",
        "percent": 0,
    }
    job = _job(token)
    expected, half_written = job.rows_expected, job.rows_expected // 2
    assert jobs.beat(token, job.runner, half_written)
    half = client.get(f"/exports/jobs/{token}/progress").json

    held.run_all()
    done = client.get(f"/exports/jobs/{token}/progress").json

    assert half == {"state": "running", "percent": half_written * 100 // expected}
    assert 40 < half["percent"] <= 50
    assert done == {"state": "done", "percent": 100}


def test_the_job_tells_its_progress_every_thousand_rows_without_changing_the_workbook(
    make, province, monkeypatch
):
    monkeypatch.setattr(support, "PROGRESS_ROWS", 3)
    filters = Filters(date(2026, 1, 1), date(2026, 3, 15), province=make.province("NA"))
    told = []

    with tempfile.TemporaryFile() as plain, tempfile.TemporaryFile() as followed:
        rows = support.write(filters, true(), plain)
        support.write(filters, true(), followed, told.append)
        books = [load_workbook(handle) for handle in (plain, followed)]

    total = sum(rows.values())
    assert told == list(range(3, total + 1, 3))
    assert _cells(books[0]) == _cells(books[1])


def test_the_workbook_is_kept_sealed_and_nothing_of_it_stays_on_disk(
    client, officer, province, large, at_once, own_folder
):
    token = _token(download(client, _nghe_an(province), with_names="y", reason=REASON))

    raw = db.session.execute(
        text("SELECT sealed FROM export_job_parts WHERE token = :token"), {"token": token}
    ).scalars()
    stored = b"".join(bytes(part) for part in raw)
    assert len(stored) > 5000
    assert b"PK" not in stored[:64]  # not a zip, as a workbook is
    for name in NAMES.values():
        assert name.encode("utf-8") not in stored
    assert NAMES["mai"] in every_text(workbook_of(client.get(f"/exports/jobs/{token}/download")))
    assert _files(own_folder) == []
    mine = own_folder / scratch._own_name()
    assert stat.S_IMODE(os.stat(mine).st_mode) == 0o700


@pytest.mark.parametrize("made", ["at once", "in the background"])
def test_the_sheets_wait_sealed_in_the_apps_own_folder_and_openpyxl_makes_no_file(
    app, client, officer, province, at_once, monkeypatch, own_folder, made
):
    from openpyxl.worksheet import _writer

    spilled, spooled = [], []
    monkeypatch.setattr(_writer, "create_temporary_file", lambda *_a, **_k: spilled.append(1))
    made_spool = Spool.__init__

    def noted(self):
        made_spool(self)
        spooled.append(os.readlink(f"/proc/self/fd/{self._file.fileno()}"))

    monkeypatch.setattr(Spool, "__init__", noted)
    if made == "in the background":
        monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", 1)
    before = tempfile.tempdir

    download(client, _nghe_an(province), with_names="y", reason=REASON)

    mine = str(own_folder / scratch._own_name())
    assert spilled == []
    # A sheet each, and the workbook itself when it is made in the background.
    assert len(spooled) == (9 if made == "at once" else 10)
    assert all(os.path.dirname(path) == mine for path in spooled)
    assert _files(own_folder) == []
    assert tempfile.tempdir == before  # the test runner's own is left as it was


# Only its requester, and only until it expires


@pytest.mark.parametrize("who", ["officer", "worker", "admin"])
def test_nobody_else_sees_the_job_or_its_file(
    client, auth, make, officer, province, large, at_once, who
):
    token = _token(download(client, _nghe_an(province)))
    auth.logout()
    other = {
        "officer": Role.PROVINCIAL_OFFICER,  # of the same province
        "worker": Role.SHELTER_STAFF,
        "admin": Role.ADMIN,
    }[who]
    sign_in(auth, province.user(make, other))

    for address in (f"/exports/jobs/{token}", f"/exports/jobs/{token}/progress"):
        assert client.get(address).status_code == 404
    assert client.get(f"/exports/jobs/{token}/download").status_code == 404
    assert [entry.changes.get("download") for entry in _exports()] == [None]


def test_a_visitor_is_sent_to_the_login_page(client, auth, officer, province, large, at_once):
    token = _token(download(client, _nghe_an(province)))
    auth.logout()

    response = client.get(f"/exports/jobs/{token}/download")

    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_an_unknown_or_malformed_token_is_not_found(client, officer):
    for token in ("x" * 43, "../../etc/passwd", "a" * 44):
        assert client.get(f"/exports/jobs/{token}").status_code == 404


def test_a_job_that_expires_as_its_download_begins_is_not_found(
    client, officer, province, large, at_once, frozen_clock, monkeypatch
):
    token = _token(download(client, _nghe_an(province)))
    real = jobs.open_workbook

    def opened_then_expired(job):
        workbook = real(job)
        frozen_clock.advance(hours=24)  # its hours run out between two reads of the job
        return workbook

    monkeypatch.setattr(jobs, "open_workbook", opened_then_expired)

    assert client.get(f"/exports/jobs/{token}/download").status_code == 404
    assert [entry.changes.get("download") for entry in _exports()] == [None]


def test_the_job_is_not_ready_to_download_while_it_runs(client, officer, province, large, held):
    token = _token(download(client, _nghe_an(province)))

    assert client.get(f"/exports/jobs/{token}/download").status_code == 404


def test_after_its_hours_the_job_is_gone_with_its_workbook(
    client, auth, officer, province, large, at_once, frozen_clock
):
    token = _token(download(client, _nghe_an(province)))
    _later(auth, officer, frozen_clock, hours=23, minutes=59)
    assert client.get(f"/exports/jobs/{token}").status_code == 200

    frozen_clock.advance(minutes=1)

    for address in ("", "/progress", "/download"):
        assert client.get(f"/exports/jobs/{token}{address}").status_code == 404
    assert (_jobs(), _parts()) == ([], 0)


def test_a_new_job_deletes_the_expired_ones(
    client, auth, officer, province, large, at_once, frozen_clock
):
    old = _token(download(client, _nghe_an(province)))
    _later(auth, officer, frozen_clock, hours=25)

    new = _token(download(client, _nghe_an(province)))

    assert _jobs() == [new]
    assert old != new


# Failures


def test_a_failed_job_says_so_leaves_no_file_and_logs_no_names(
    client, officer, province, large, at_once, monkeypatch, own_folder, caplog
):
    def broken(*_args, **_kwargs):
        raise RuntimeError(f"cannot write {NAMES['mai']}")

    monkeypatch.setattr(support, "write", broken)

    with caplog.at_level(logging.INFO, logger="reintegration"):
        token = _token(download(client, _nghe_an(province), with_names="y", reason=REASON))
    response = client.get(f"/exports/jobs/{token}")

    assert form_errors(response) == [
        "The workbook could not be made. Try again; if it fails again, tell your administrator."
    ]
    assert client.get(f"/exports/jobs/{token}/progress").json["state"] == "failed"
    assert client.get(f"/exports/jobs/{token}/download").status_code == 404
    assert (_jobs(), _parts(), _files(own_folder)) == ([token], 0, [])
    assert "RuntimeError" in caplog.text
    assert "broken" in caplog.text  # where it failed
    assert NAMES["mai"] not in caplog.text


# A process that stops


def _stopped(frozen_clock, **delta) -> None:
    """The process making the job stops: its heartbeat is ``delta`` old."""
    frozen_clock.advance(**delta)


def test_a_job_whose_heartbeat_is_under_a_minute_old_is_left_to_its_process(
    client, officer, province, large, held, frozen_clock
):
    token = _token(download(client, _nghe_an(province)))
    runner = _job(token).runner
    _stopped(frozen_clock, seconds=60)

    assert client.get(f"/exports/jobs/{token}/progress").json["state"] == "running"

    job = _job(token)
    assert (job.runner, job.attempts, len(held.calls)) == (runner, 1, 1)


def test_a_job_silent_for_over_a_minute_is_made_again_by_the_next_look_and_logged_once(
    client, officer, province, large, held, frozen_clock, caplog
):
    token = _token(download(client, _nghe_an(province)))
    first = _job(token).runner
    _stopped(frozen_clock, seconds=61)

    with caplog.at_level(logging.INFO, logger="reintegration"):
        polled = client.get(f"/exports/jobs/{token}/progress").json
        page = text_of(client.get(f"/exports/jobs/{token}"))

    assert polled == {"state": "running", "percent": 0}
    assert "it is being made again (try 2 of 3)" in page
    job = _job(token)
    assert job.attempts == 2
    assert job.runner != first
    stopped = [r for r in caplog.records if "its process stopped" in r.getMessage()]
    assert len(stopped) == 1
    assert stopped[0].levelname == "WARNING"
    assert "no heartbeat for 61 s" in stopped[0].getMessage()
    assert token not in caplog.text  # the log names a job by the start of its token only
    held.calls[0][0](*held.calls[0][1])  # the first process, still alive, stores nothing
    assert (_job(token).state, _parts()) == ("running", 0)
    held.calls[1][0](*held.calls[1][1])
    assert client.get(f"/exports/jobs/{token}/progress").json == {"state": "done", "percent": 100}
    assert workbook_of(client.get(f"/exports/jobs/{token}/download")).sheetnames[0] == "Summary"


def test_a_job_whose_process_stops_on_every_attempt_fails_and_says_so_once(
    client, officer, province, large, held, frozen_clock, caplog
):
    token = _token(download(client, _nghe_an(province)))
    with caplog.at_level(logging.INFO, logger="reintegration"):
        for _attempt in range(jobs.MAX_ATTEMPTS):
            _stopped(frozen_clock, seconds=61)
            client.get(f"/exports/jobs/{token}/progress")
        page = client.get(f"/exports/jobs/{token}")
        client.get(f"/exports/jobs/{token}/progress")

    assert client.get(f"/exports/jobs/{token}/progress").json["state"] == "failed"
    assert form_errors(page) == [
        "The workbook could not be made. Try again; if it fails again, tell your administrator."
    ]
    assert "Make it again" in text_of(page)
    assert len(held.calls) == jobs.MAX_ATTEMPTS
    failed = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(failed) == 1
    assert "stopped (no heartbeat for 61 s) on each of 3 attempts" in failed[0].getMessage()


def test_a_failed_job_is_made_again_with_the_same_order_by_its_requester(
    client, officer, province, large, at_once, monkeypatch
):
    real = support.write
    monkeypatch.setattr(support, "write", lambda *_args: 1 / 0)
    token = _token(download(client, _nghe_an(province), with_names="y", reason=REASON))
    assert _job(token).state == "failed"
    monkeypatch.setattr(support, "write", real)

    response = client.post(f"/exports/jobs/{token}/again")

    assert response.status_code == 302
    assert response.location == f"/exports/jobs/{token}"
    assert client.get(f"/exports/jobs/{token}/progress").json["state"] == "done"
    book = workbook_of(client.get(f"/exports/jobs/{token}/download"))
    assert NAMES["mai"] in every_text(book)
    started, again, downloaded = _exports()
    assert again.changes == {
        "workbook": "support",
        "province": "NA",
        "from": "2026-01-01",
        "to": "2026-03-15",
        "names": True,
        "rows": started.changes["rows"],
        "background": True,
        "again": True,
    }
    assert downloaded.changes["download"] is True


def test_a_running_or_finished_job_is_not_started_again(client, officer, province, large, held):
    token = _token(download(client, _nghe_an(province)))

    client.post(f"/exports/jobs/{token}/again")

    assert (len(held.calls), len(_exports())) == (1, 1)


def test_a_process_that_stops_gracefully_hands_its_job_over_at_once(
    app, client, officer, province, large, held, monkeypatch
):
    """A server's graceful restart: its worker exits; the next look takes the job over at once,
    without waiting for its heartbeat to age."""
    monkeypatch.setattr(tasks, "_mine", {})
    token = _token(download(client, _nghe_an(province)))

    tasks._hand_back()

    assert client.get(f"/exports/jobs/{token}/progress").json["state"] == "running"
    assert _job(token).attempts == 2
    held.calls[1][0](*held.calls[1][1])
    assert client.get(f"/exports/jobs/{token}/progress").json["state"] == "done"


# Names and the audit log


def test_the_start_and_the_download_are_audited(
    client, officer, province, large, at_once, frozen_clock
):
    token = _token(download(client, _nghe_an(province), with_names="y", reason=REASON))
    frozen_clock.advance(minutes=5)

    book = workbook_of(client.get(f"/exports/jobs/{token}/download"))

    started, downloaded = _exports()
    na = _na(province)
    period = {"province": "NA", "from": "2026-01-01", "to": "2026-03-15", "names": True}
    assert (started.user_id, started.entity, started.entity_id) == (officer.id, "provinces", na.id)
    assert started.changes == {
        "workbook": "support",
        **period,
        "language": "en",
        "rows": started.changes["rows"],
        "background": True,
        "reason": REASON,
    }
    assert (downloaded.user_id, downloaded.entity, downloaded.entity_id) == (
        officer.id,
        "provinces",
        na.id,
    )
    assert downloaded.at == started.at + timedelta(minutes=5)
    assert downloaded.changes == {
        "workbook": "support",
        "download": True,
        **period,
        "rows": started.changes["rows"],
    }
    assert NAMES["mai"] in every_text(book)


def test_names_in_the_background_need_a_reason_too(client, officer, province, large, at_once):
    response = download(client, _nghe_an(province), with_names="y", reason="  ")

    assert response.status_code == 200
    assert "Say why the names are needed" in text_of(response)
    assert _exports() == []


def test_the_page_of_a_workbook_with_names_says_to_keep_it_safe(
    client, officer, province, large, at_once
):
    token = _token(download(client, _nghe_an(province), with_names="y", reason=REASON))

    page = text_of(client.get(f"/exports/jobs/{token}"))

    assert "It holds names and contacts" in page
    assert NAMES["mai"] not in page
