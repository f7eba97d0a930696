import re

from sqlalchemy import func, select

from reintegration.auth.models import Role, User
from reintegration.extensions import db
from tests.auth.pages import in_vietnamese, text
from tests.conftest import PASSWORD

EXPIRED = "Your session expired after a while without activity. Log in again."


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_session_expires_after_thirty_minutes_without_a_request(client, logged_in, frozen_clock):
    logged_in(Role.PROVINCIAL_OFFICER, language="vi")
    frozen_clock.advance(minutes=31)

    response = client.get("/cases/")

    assert response.status_code == 302
    assert response.location == "/login?next=/cases/"
    assert in_vietnamese(EXPIRED) in text(client.get(response.location).get_data(as_text=True))
    assert client.get("/").location == "/login"


def test_session_expiry_message_is_in_the_language_of_the_user(client, logged_in, frozen_clock):
    logged_in(Role.PROVINCIAL_OFFICER, language="en")
    frozen_clock.advance(minutes=31)

    response = client.get("/cases/", follow_redirects=True)

    assert EXPIRED in text(response.get_data(as_text=True))


def test_session_lasts_while_the_user_is_active(client, logged_in, frozen_clock):
    logged_in(Role.PROVINCIAL_OFFICER)

    for _ in range(4):
        frozen_clock.advance(minutes=20)
        assert client.get("/cases/").status_code == 200


def test_session_cookie_is_http_only_and_same_site(client, member, auth):
    response = auth.login(member(Role.TRAINER))

    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused_and_changes_nothing(
    client, logged_in, monkeypatch, app
):
    logged_in(Role.ADMIN)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    form = {"username": "newcomer", "role": "trainer", "password": PASSWORD, "confirm": PASSWORD}

    response = client.post("/admin/users/new", data=form)

    assert response.status_code == 400
    assert db.session.scalar(select(func.count(User.id)).where(User.username == "newcomer")) == 0


def test_login_without_csrf_token_is_refused(client, member, monkeypatch, app):
    trainer = member(Role.TRAINER)
    db.session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    response = client.post("/login", data={"username": trainer.username, "password": PASSWORD})

    assert response.status_code == 400
    assert client.get("/").location == "/login"


def test_login_with_the_csrf_token_of_the_page_succeeds(client, member, monkeypatch, app):
    trainer = member(Role.TRAINER)
    db.session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    token = _csrf_token(client.get("/login").get_data(as_text=True))

    response = client.post(
        "/login", data={"username": trainer.username, "password": PASSWORD, "csrf_token": token}
    )

    assert response.location == "/"


def test_logout_without_csrf_token_keeps_the_session(client, logged_in, monkeypatch, app):
    logged_in(Role.TRAINER)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


ENDED = "Your session ended 12 hours after you logged in, however active. Log in again."


def test_a_session_ends_twelve_hours_after_the_login_however_active(
    client, logged_in, frozen_clock
):
    logged_in(Role.PROVINCIAL_OFFICER, language="en")
    for _ in range(35):  # a request every 20 minutes: 11 h 40 min
        frozen_clock.advance(minutes=20)
        assert client.get("/cases/").status_code == 200
    frozen_clock.advance(minutes=21)

    response = client.get("/cases/")

    assert response.location == "/login?next=/cases/"
    assert ENDED in text(client.get(response.location).get_data(as_text=True))
    assert client.get("/").location == "/login"
