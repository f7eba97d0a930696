"""A colleague holding the database's write lock (SQLite) or a row (PostgreSQL) never turns a
read into an error page, nor a saved change into one.

These need real connections, so they run on a database of their own; SQLite waits only a
moment here for a lock, so a request that waited where it should not fails at once.
"""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reintegration import database
from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.shelter.models import Service
from tests.conftest import PASSWORD, Factory
from tests.own_database import app_on_own_database, own_sessions


@pytest.fixture(scope="module")
def locks_app(tmp_path_factory):
    with app_on_own_database(
        tmp_path_factory, "locks", busy_ms=200, PROPAGATE_EXCEPTIONS=False
    ) as app:
        with own_sessions(), app.app_context():
            make = Factory()
            facility = make.facility("NA")
            worker = make.user(Role.SHELTER_STAFF, facility=facility, language="en")
            case = make.case(facility, full_name="Vàng Thị Dợ")
            make.stay(case, facility)
            db.session.commit()
            app.config["seed"] = {"username": worker.username, "case_id": case.id}
        yield app


@pytest.fixture
def logged_in(locks_app):
    with own_sessions():
        client = locks_app.test_client()
        client.post(
            "/login", data={"username": locks_app.config["seed"]["username"], "password": PASSWORD}
        )
        yield client


@contextmanager
def colleague_saving(app, username: str):
    """Another connection in the middle of a save: SQLite's write lock taken, or on PostgreSQL
    the user's own row locked by an update not yet committed."""
    with app.app_context():
        engine = db.engine
    with engine.connect() as other:
        with database.writing():  # its transaction begins with SQLite's write lock
            other.execute(
                text("SELECT id FROM users WHERE username = :name")
                if other.dialect.name == "sqlite"
                else text("SELECT id FROM users WHERE username = :name FOR NO KEY UPDATE"),
                {"name": username},
            )
        try:
            yield
        finally:
            other.rollback()


def test_a_search_answers_while_a_colleague_holds_the_write_lock(locks_app, logged_in):
    with colleague_saving(locks_app, locks_app.config["seed"]["username"]):
        page = logged_in.post("/cases/", data={"q": "vang thi"})

    assert page.status_code == 200
    assert "Vàng Thị Dợ" in page.get_data(as_text=True)


def test_a_case_page_is_shown_and_logged_when_a_colleague_saves_while_it_is_made(
    locks_app, logged_in
):
    """The page reads, a colleague commits a change, then the page's "viewed" entry is
    written: on SQLite that write cannot share the page's (now old) read transaction."""
    case_id = locks_app.config["seed"]["case_id"]
    saved = []

    def colleague_saves_once(connection, _cursor, statement, *_args):
        if saved or "FROM cases" not in statement:
            return
        saved.append(statement)
        with database.writing(), db.engine.begin() as other:
            other.execute(text("UPDATE facilities SET capacity = capacity + 1"))

    with locks_app.app_context():
        views_before = _views(case_id)
    event.listen(Engine, "before_cursor_execute", colleague_saves_once)
    try:
        page = logged_in.get(f"/cases/{case_id}")
    finally:
        event.remove(Engine, "before_cursor_execute", colleague_saves_once)

    assert saved
    assert page.status_code == 200
    assert "Vàng Thị Dợ" in page.get_data(as_text=True)
    with locks_app.app_context():
        assert _views(case_id) == views_before + 1


def _views(case_id: int) -> int:
    return db.session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.action == Action.VIEW, AuditEntry.case_id == case_id
        )
    )


def test_a_saved_service_is_answered_as_saved_when_a_colleague_locks_right_after(
    locks_app, logged_in
):
    """Once the service is committed, what the request still does (the redirect, the
    after-request hooks, the user's row read again) cannot turn it into an error page: the
    user would retry and record the service twice."""
    seed = locks_app.config["seed"]
    holding = []

    def lock_after_commit(_session):
        if not holding:
            holding.append(colleague_saving(locks_app, seed["username"]))
            holding[0].__enter__()

    event.listen(Session, "after_commit", lock_after_commit)
    try:
        page = logged_in.post(
            f"/cases/{seed['case_id']}/services/new",
            data={
                "provided_on": "15/03/2026",
                "kind": _kind_id(locks_app),
                "provider": "CTXH",
                "cost": "0",
            },
        )
    finally:
        event.remove(Session, "after_commit", lock_after_commit)
        for held in holding:
            held.__exit__(None, None, None)

    assert holding, "the colleague never took the lock"
    assert page.status_code == 302
    assert page.headers["Location"].endswith(f"/cases/{seed['case_id']}")
    with locks_app.app_context():
        assert db.session.scalar(select(func.count(Service.id))) == 1


def _kind_id(app) -> str:
    from reintegration.reference.models import ServiceKind

    with app.app_context():
        return str(db.session.scalar(select(ServiceKind.id).where(ServiceKind.code.isnot(None))))


def test_a_save_that_waited_too_long_for_the_lock_says_nothing_was_saved(locks_app, logged_in):
    """Only a lock held beyond the wait (here 200 ms; 20 s in production) gets here."""
    seed = locks_app.config["seed"]
    with locks_app.app_context():
        services_before = db.session.scalar(select(func.count(Service.id)))

    with colleague_saving(locks_app, seed["username"]):
        page = logged_in.post(
            f"/cases/{seed['case_id']}/services/new",
            data={
                "provided_on": "15/03/2026",
                "kind": _kind_id(locks_app),
                "provider": "Trạm y tế xã",
                "cost": "0",
            },
        )

    if db_dialect(locks_app) == "sqlite":
        assert page.status_code == 503
        assert "Nothing was saved" in page.get_data(as_text=True)
        saved = 0
    else:  # a locked row of another table holds up no save on PostgreSQL
        assert page.status_code == 302
        saved = 1
    with locks_app.app_context():
        assert db.session.scalar(select(func.count(Service.id))) == services_before + saved


def db_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def test_a_case_page_whose_view_cannot_be_logged_in_time_is_not_shown(locks_app, logged_in):
    case_id = locks_app.config["seed"]["case_id"]
    with locks_app.app_context():
        views_before = _views(case_id)

    with colleague_saving(locks_app, locks_app.config["seed"]["username"]):
        page = logged_in.get(f"/cases/{case_id}")

    if db_dialect(locks_app) == "sqlite":
        assert page.status_code == 503
        assert "Vàng Thị Dợ" not in page.get_data(as_text=True)
        logged = 0
    else:  # the audit log's insert waits for no user's row on PostgreSQL
        assert page.status_code == 200
        logged = 1
    with locks_app.app_context():
        assert _views(case_id) == views_before + logged


def test_a_head_request_shows_no_page_and_logs_no_view(locks_app, logged_in):
    case_id = locks_app.config["seed"]["case_id"]
    with locks_app.app_context():
        views_before = _views(case_id)

    assert logged_in.head(f"/cases/{case_id}").status_code == 200

    with locks_app.app_context():
        assert _views(case_id) == views_before
