"""A login checks the password (a hash slow on purpose) before it takes SQLite's write lock:
a burst of logins, or of guesses sent by anyone, never makes colleagues' saves wait behind it."""

import pytest
from sqlalchemy import func, select, text

from reintegration import database
from reintegration.audit.models import Action, AuditEntry
from reintegration.auth import services
from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.conftest import PASSWORD, Factory
from tests.own_database import app_on_own_database, own_sessions


@pytest.fixture(scope="module")
def login_app(tmp_path_factory):
    # A save held up fails at once here.
    with app_on_own_database(
        tmp_path_factory, "login_lock", busy_ms=200, PROPAGATE_EXCEPTIONS=False
    ) as app:
        with own_sessions(), app.app_context():
            make = Factory()
            here = make.facility("NA")
            worker = make.user(Role.SHELTER_STAFF, facility=here, language="en")
            app.config["username"] = worker.username
            db.session.commit()
        yield app


@pytest.fixture
def colleague_saves_during_the_check(login_app, monkeypatch):
    """Each password check lets a colleague save something first; returns their saves."""
    saves = []
    check = services.verify_password

    def checked_while_a_colleague_saves(stored, password):
        with database.writing(), db.engine.begin() as other:
            other.execute(text("UPDATE facilities SET capacity = capacity + 1"))
        saves.append(True)
        return check(stored, password)

    monkeypatch.setattr(services, "verify_password", checked_while_a_colleague_saves)
    return saves


@pytest.mark.parametrize("password", [PASSWORD, "a wrong guess"], ids=["right", "wrong"])
def test_a_colleague_saves_while_a_password_is_checked(
    login_app, colleague_saves_during_the_check, password
):
    username = login_app.config["username"]
    with own_sessions():
        answer = login_app.test_client().post(
            "/login", data={"username": username, "password": password}
        )

    assert colleague_saves_during_the_check == [True]
    assert answer.status_code == (302 if password == PASSWORD else 200)
    with own_sessions(), login_app.app_context():
        failed = select(func.count(AuditEntry.id)).where(AuditEntry.action == Action.LOGIN_FAILED)
        assert db.session.scalar(failed) == (0 if password == PASSWORD else 1)


def test_a_guessed_username_is_checked_without_the_lock_too(
    login_app, colleague_saves_during_the_check
):
    with own_sessions():
        answer = login_app.test_client().post(
            "/login", data={"username": "nobody", "password": "a wrong guess"}
        )

    assert colleague_saves_during_the_check == [True]
    assert answer.status_code == 200
    with own_sessions(), login_app.app_context():
        unknown = select(func.count(AuditEntry.id)).where(
            AuditEntry.action == Action.LOGIN_FAILED, AuditEntry.username == "?"
        )
        assert db.session.scalar(unknown) == 1
