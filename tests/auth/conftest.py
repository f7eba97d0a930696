import pytest
from flask import g, request_started

from reintegration.audit.services import cli_actor
from reintegration.auth.models import Role

NON_ADMIN_ROLES = [role for role in Role if role != Role.ADMIN]


@pytest.fixture(autouse=True)
def _fresh_request_globals(app):
    """Each request starts with an empty ``g``, as it would in its own app context.

    The requests of a test run inside the test's app context, so without this the user
    Flask-Login loaded and the locale Flask-Babel chose for one request (or one client)
    would carry over to the next.
    """

    def forget(_sender, **_extra):
        g.__dict__.clear()

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture(autouse=True)
def _no_cli_actor():
    """A flask command names its actor for the rest of the context; forget it after a test."""
    token = cli_actor.set(None)
    yield
    cli_actor.reset(token)


@pytest.fixture
def english(client):
    """The visitor switches to English (Vietnamese is the default language)."""
    client.post("/language", data={"language": "en"})


@pytest.fixture
def member(make):
    """A user of ``role``, with the facility or province the role needs, reading English."""

    def build(role: Role = Role.ADMIN, **kw):
        kw.setdefault("language", "en")
        if role == Role.SHELTER_STAFF and "facility" not in kw:
            kw["facility"] = make.facility()
        if role in (Role.PROVINCIAL_OFFICER, Role.CASE_WORKER):
            kw.setdefault("province", "NA")
        return make.user(role, **kw)

    return build


@pytest.fixture
def logged_in(member, auth):
    """Log the test client in as a new user of ``role`` and return that user."""

    def log_in(role: Role = Role.ADMIN, **kw):
        user = member(role, **kw)
        response = auth.login(user)
        assert response.status_code == 302
        return user

    return log_in
