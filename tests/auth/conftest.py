import pytest

from reintegration.auth.models import Role

NON_ADMIN_ROLES = [role for role in Role if role != Role.ADMIN]


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
