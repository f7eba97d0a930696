"""A workbook too large for a request is made in the background: a page follows its progress,
and its file is for its requester alone, until it expires."""

import logging
import os
import stat
import tempfile
import threading
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, true

from reintegration import kept
from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.exports import jobs, queries, services, support, tasks
from reintegration.exports.queries import Filters
from reintegration.extensions import db
from tests.cases.helpers import form_errors, in_english, sign_in, text_of
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

REASON = "Danh sách chi trả Sở Y tế"


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
def export_folder(app, tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(folder))
    return folder


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
    return sorted(os.listdir(folder)) if folder.exists() else []


# Inline or in the background


def test_a_large_workbook_sends_its_requester_to_a_page_of_its_own(
    client, officer, province, large, at_once
):
    response = download(client, _nghe_an(province))

    token = _token(response)
    assert kept.TOKEN.fullmatch(token)
    # Codes and dates stay out of the address as the place and the period do.
    assert response.location == f"/exports/jobs/{token}"


def test_a_workbook_below_the_limit_is_still_downloaded_at_once(
    app, client, officer, province, monkeypatch, at_once, export_folder
):
    filters = Filters(date(2026, 1, 1), date(2026, 3, 15), province=_na(province))
    counted = queries.rows_expected(filters, true())
    monkeypatch.setitem(app.config, "EXPORT_INLINE_MAX_ROWS", counted)

    response = download(client, _nghe_an(province))

    assert response.mimetype == XLSX
    assert _files(export_folder) == []
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
    job = jobs.load(token, officer.id)
    job.written = job.expected // 2
    jobs.save(job)
    half = client.get(f"/exports/jobs/{token}/progress").json

    held.run_all()
    done = client.get(f"/exports/jobs/{token}/progress").json

    assert half == {"state": "running", "percent": job.written * 100 // job.expected}
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


def test_the_files_are_readable_by_the_app_alone(
    client, officer, province, large, at_once, export_folder
):
    token = _token(download(client, _nghe_an(province)))

    assert _files(export_folder) == [f"{token}.json", f"{token}.xlsx"]
    for name in _files(export_folder):
        assert stat.S_IMODE(os.stat(export_folder / name).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(export_folder).st_mode) == 0o700


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


def test_an_unknown_or_malformed_token_is_not_found(client, officer, export_folder):
    for token in ("x" * 43, "../../etc/passwd", "a" * 44):
        assert client.get(f"/exports/jobs/{token}").status_code == 404


def test_the_job_is_not_ready_to_download_while_it_runs(client, officer, province, large, held):
    token = _token(download(client, _nghe_an(province)))

    assert client.get(f"/exports/jobs/{token}/download").status_code == 404


def test_after_its_hours_the_job_is_gone_with_its_file(
    client, auth, officer, province, large, at_once, frozen_clock, export_folder
):
    token = _token(download(client, _nghe_an(province)))
    _later(auth, officer, frozen_clock, hours=23, minutes=59)
    assert client.get(f"/exports/jobs/{token}").status_code == 200

    frozen_clock.advance(minutes=1)

    for address in ("", "/progress", "/download"):
        assert client.get(f"/exports/jobs/{token}{address}").status_code == 404
    assert _files(export_folder) == []


def test_a_new_job_sweeps_away_the_expired_ones(
    client, auth, officer, province, large, at_once, frozen_clock, export_folder
):
    old = _token(download(client, _nghe_an(province)))
    _later(auth, officer, frozen_clock, hours=25)

    new = _token(download(client, _nghe_an(province)))

    assert _files(export_folder) == sorted([f"{new}.json", f"{new}.xlsx"])
    assert old != new


# Failures


def test_a_failed_job_says_so_leaves_no_file_and_logs_no_names(
    client, officer, province, large, at_once, monkeypatch, export_folder, caplog
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
    assert _files(export_folder) == [f"{token}.json"]
    assert "RuntimeError" in caplog.text
    assert "broken" in caplog.text  # where it failed
    assert NAMES["mai"] not in caplog.text


def test_a_job_silent_for_half_an_hour_died_with_its_process(
    client, auth, officer, province, large, held, frozen_clock
):
    token = _token(download(client, _nghe_an(province)))
    _later(auth, officer, frozen_clock, minutes=31)

    page = text_of(client.get(f"/exports/jobs/{token}"))

    assert "The workbook could not be made." in page
    assert client.get(f"/exports/jobs/{token}/progress").json == {
        "state": "failed",
        "percent": 0,
    }


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
