import pytest

from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.auth.pages import field_errors, text
from tests.conftest import PASSWORD, Auth

NEW_PASSWORD = "a brand new passphrase"


def _change(client, current=PASSWORD, password=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"current": current, "password": password, "confirm": confirm or password},
    )


def test_changing_the_password_needs_a_login(client, member):
    member(Role.TRAINER)
    db.session.commit()

    assert client.get("/account/password").location.startswith("/login")


def test_user_changes_their_own_password(client, logged_in, auth):
    trainer = logged_in(Role.TRAINER)

    response = _change(client)

    assert response.location == "/"
    assert "Your password is changed." in text(client.get("/").get_data(as_text=True))
    auth.logout()
    assert auth.login(trainer, password=PASSWORD).status_code == 200
    assert auth.login(trainer, password=NEW_PASSWORD).location == "/"


def test_user_stays_logged_in_after_changing_their_password(client, logged_in):
    logged_in(Role.TRAINER)

    _change(client)

    assert client.get("/").status_code == 200


def test_wrong_current_password_is_refused_beside_the_field(client, logged_in, auth):
    trainer = logged_in(Role.TRAINER)

    response = _change(client, current="not my password")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_errors(page, "current") == [
        "This is not your current password, or too many attempts: wait a moment and try again."
    ]
    auth.logout()
    assert auth.login(trainer, password=PASSWORD).location == "/"


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        ("too short", "too short", "password", "Use at least 10 characters."),
        (NEW_PASSWORD, "something else entirely", "confirm", "The passwords differ."),
    ],
    ids=["short", "confirm-differs"],
)
def test_new_password_that_breaks_a_rule_is_refused_beside_the_field(
    client, logged_in, auth, password, confirm, field, message
):
    trainer = logged_in(Role.TRAINER)

    response = _change(client, password=password, confirm=confirm)

    assert field_errors(response.get_data(as_text=True), field) == [message]
    auth.logout()
    assert auth.login(trainer, password=PASSWORD).location == "/"


def test_administrator_resets_a_users_password(app, client, logged_in, member, auth):
    logged_in(Role.ADMIN)
    trainer = member(Role.TRAINER)

    response = client.post(
        f"/admin/users/{trainer.id}/password",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.location == f"/admin/users/{trainer.id}"
    page = client.get(response.location).get_data(as_text=True)
    assert "The password is reset; the user's open sessions are ended." in text(page)
    login = {"username": trainer.username, "password": NEW_PASSWORD}
    assert app.test_client().post("/login", data=login).location == "/"


def test_password_reset_ends_the_users_open_session(app, client, member, auth):
    trainer = member(Role.TRAINER)
    auth.login(trainer)
    assert client.get("/").status_code == 200
    admin_client = app.test_client()
    admin = member(Role.ADMIN)
    db.session.commit()
    Auth(admin_client).login(admin)

    admin_client.post(
        f"/admin/users/{trainer.id}/password",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert client.get("/").location == "/login"
    assert admin_client.get("/").status_code == 200


def test_password_reset_lifts_a_lock(app, client, logged_in, member):
    logged_in(Role.ADMIN)
    trainer = member(Role.TRAINER)
    db.session.commit()
    visitor = app.test_client()
    for _ in range(5):
        visitor.post("/login", data={"username": trainer.username, "password": "wrong"})

    client.post(
        f"/admin/users/{trainer.id}/password",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    login = {"username": trainer.username, "password": NEW_PASSWORD}
    assert visitor.post("/login", data=login).location == "/"


def test_short_password_on_reset_is_refused_beside_the_field(client, logged_in, member, auth):
    logged_in(Role.ADMIN)
    trainer = member(Role.TRAINER)
    db.session.commit()

    response = client.post(
        f"/admin/users/{trainer.id}/password", data={"password": "short", "confirm": "short"}
    )

    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "password") == [
        "Use at least 10 characters."
    ]
    auth.logout()
    assert auth.login(trainer).location == "/"
