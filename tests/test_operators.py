"""What an operator sees: log lines with a time, a level and a request id; one line per request
when the database is down, and a page that says the service is unavailable; ``/health``."""

import contextlib
import logging
import re
import sqlite3

import psycopg
import pytest
from flask import Blueprint
from flask_migrate import downgrade

from reintegration.auth.models import Role
from reintegration.database import MIGRATIONS
from reintegration.extensions import db
from reintegration.keys.keyring import TEST_KEYS
from reintegration.operations import runs
from reintegration.operations.logs import FORMAT, UtcFormatter

from .own_database import app_on_own_database, own_sessions

NAME = "Nguyễn Thị Hoa"


def _unreachable(app, monkeypatch):
    """Every statement from now on fails as it would with the database down."""
    dialect = db.engine.dialect
    if dialect.name == "sqlite":
        error = sqlite3.OperationalError("disk I/O error")
    else:
        error = psycopg.OperationalError("connection failed: Connection refused")

    def fail(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(dialect, "do_execute", fail)


def _lines(caplog, level=logging.INFO):
    return [r for r in caplog.records if r.levelno >= level]


def test_a_log_line_has_a_utc_time_its_level_and_the_request_id(app, client, caplog):
    caplog.set_level(logging.INFO, logger="reintegration")

    response = client.get("/login", headers={"X-Request-Id": "lb-4f2a9c1b"})
    with app.test_request_context(headers={"X-Request-Id": "lb-4f2a9c1b"}):
        logging.getLogger("reintegration.test").info("a case was saved")
    line = UtcFormatter(FORMAT).format(caplog.records[-1])

    assert response.headers["X-Request-Id"] == "lb-4f2a9c1b"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  \[lb-4f2a9c1b\] "
        r"reintegration\.test: a case was saved",
        line,
    )


def test_a_request_id_is_made_when_none_or_an_unsafe_one_is_given(client):
    made = client.get("/login").headers["X-Request-Id"]
    other = client.get("/login").headers["X-Request-Id"]
    forged = client.get("/login", headers={"X-Request-Id": "x FAKE LINE " + NAME}).headers[
        "X-Request-Id"
    ]

    assert re.fullmatch(r"[0-9a-f]{16}", made)
    assert made != other
    assert re.fullmatch(r"[0-9a-f]{16}", forged)


def test_a_line_outside_any_request_says_so(caplog):
    caplog.set_level(logging.INFO, logger="reintegration")
    logging.getLogger("reintegration.test").info("the reminder pass ran")

    assert caplog.records[-1].request_id == "-"


@pytest.fixture
def failing_page(app, monkeypatch):
    """A page that fails unexpectedly, with a name in its error's message."""
    blueprint = Blueprint("failing", __name__)

    @blueprint.get("/failing-for-test")
    def failing():
        raise ValueError(f"could not read {NAME}")

    if "failing" not in app.blueprints:
        app._got_first_request = False  # registering after requests is refused otherwise
        app.register_blueprint(blueprint)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    return "/failing-for-test"


def test_an_unexpected_error_is_logged_once_with_its_id_and_without_its_message(
    client, failing_page, caplog
):
    caplog.set_level(logging.INFO)

    response = client.get(failing_page)
    errors = _lines(caplog, logging.ERROR)
    request_id = response.headers["X-Request-Id"]

    assert response.status_code == 500
    assert request_id in response.get_data(as_text=True)
    assert len(errors) == 1
    assert errors[0].request_id == request_id
    assert "ValueError" in errors[0].getMessage()
    assert "failing_page" not in caplog.text
    assert NAME not in caplog.text
    assert NAME not in response.get_data(as_text=True)


def test_a_database_outage_is_one_line_per_request_and_a_page_that_says_so(
    app, client, make, auth, monkeypatch, caplog
):
    user = make.user(Role.SHELTER_STAFF, facility=make.facility())
    auth.login(user)
    username = user.username
    caplog.set_level(logging.INFO)
    _unreachable(app, monkeypatch)

    pages = [client.get("/cases/"), client.get("/"), client.post("/cases/new", data={})]

    for page in pages:
        text = page.get_data(as_text=True)
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "30"
        assert "unavailable" in text.lower() or "không" in text.lower()
        assert page.headers["X-Request-Id"] in text
        assert username not in text  # no menu, no user: nothing read from the database
    lines = _lines(caplog, logging.WARNING)
    assert len(lines) == 3
    assert all(line.exc_info is None and "unreachable" in line.getMessage() for line in lines)
    assert [line.request_id for line in lines] == [p.headers["X-Request-Id"] for p in pages]


def _ran(task: str, failing: bool = False) -> None:
    with contextlib.suppress(OSError), runs.recorded(task):
        if failing:
            raise OSError("No space left on device")


def test_health_says_the_database_answers_its_schema_is_this_codes_and_work_is_recent(
    client, frozen_clock
):
    _ran(runs.REMINDER_PASS)
    _ran(runs.BACKUP)
    frozen_clock.advance(minutes=100)

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "schema": "current",
        "reminder_pass": "ok",
        "backup": "ok",
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_health_is_degraded_but_serving_when_scheduled_work_stopped(client, frozen_clock):
    _ran(runs.REMINDER_PASS)
    _ran(runs.BACKUP, failing=True)
    before = client.get("/health").json
    frozen_clock.advance(hours=3)

    response = client.get("/health")

    assert before["status"] == "degraded"
    assert before["backup"] == "failed"
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["reminder_pass"] == "late"


def test_health_without_a_scheduler_says_the_pass_never_ran(client):
    assert client.get("/health").json["reminder_pass"] == "never"


def test_the_administrator_sees_when_each_task_last_ran_and_what_failed(
    client, make, auth, frozen_clock
):
    _ran(runs.REMINDER_PASS)
    frozen_clock.advance(hours=1)
    _ran(runs.BACKUP, failing=True)
    auth.login(make.user(Role.ADMIN))

    home = client.get("/").get_data(as_text=True)
    page = client.get("/administration/status")
    text = page.get_data(as_text=True)

    assert page.status_code == 200
    assert 'data-task="backup"' in home
    assert 'data-task="reminder_pass"' not in home
    assert re.search(r'data-task="backup".*?data-state="failed".*?OSError', text, re.S)
    assert re.search(r'data-task="reminder_pass".*?data-state="ok"', text, re.S)
    assert "No space left" not in text  # the error's class, never its message


@pytest.mark.parametrize(
    "role", [Role.SHELTER_STAFF, Role.TRAINER, Role.PROVINCIAL_OFFICER, Role.CASE_WORKER]
)
def test_only_an_administrator_sees_the_system_status(client, make, auth, role):
    facility = make.facility()
    user = make.user(
        role,
        facility=facility if role in (Role.SHELTER_STAFF, Role.TRAINER) else None,
        province=None if role in (Role.SHELTER_STAFF, Role.TRAINER) else "NA",
    )
    auth.login(user)

    assert client.get("/administration/status").status_code == 403
    assert "/administration/status" not in client.get("/").get_data(as_text=True)


def test_health_is_unavailable_when_the_database_is_down(app, client, monkeypatch):
    _unreachable(app, monkeypatch)

    response = client.get("/health")

    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_health_is_unavailable_on_a_database_an_upgrade_has_not_reached(tmp_path_factory):
    with app_on_own_database(tmp_path_factory, "health") as own, own_sessions():
        with own.app_context():
            downgrade(directory=MIGRATIONS, revision="0007")
            db.session.remove()
        response = own.test_client().get("/health")

    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "schema": "behind"}


def test_every_page_forbids_posting_forms_elsewhere_framing_and_base_links(client):
    policy = client.get("/login").headers["Content-Security-Policy"]

    for directive in ("form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in policy


def test_production_asks_browsers_for_https_only_and_development_does_not(app):
    from reintegration import create_app

    settings = {"AUTO_MIGRATE": False, "SECRET_KEY": "a long secret", "DATA_KEYS": TEST_KEYS}
    settings["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    production = create_app({**settings, "ENV": "production", "TESTING": False})
    development = create_app({**settings, "ENV": "development"})
    try:
        shown = production.test_client().get("/health").headers
        plain = development.test_client().get("/health").headers
    finally:
        for other in (production, development):
            with other.app_context():
                db.engine.dispose()

    assert shown["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in plain


def test_a_download_is_never_stored_by_a_browser_or_a_proxy(client, make, auth):
    auth.login(make.user(Role.ADMIN))

    response = client.get("/imports/template.xlsx")

    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
