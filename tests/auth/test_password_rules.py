"""New passwords: at least 10 characters, none of the 10,000 most common, not mostly the
username or the name, not one character repeated or a sequence. Every form that sets a
password refuses them beside the password field and saves nothing."""

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from reintegration.auth import password_rules
from reintegration.auth.models import Role, User
from reintegration.demo import ACCOUNTS
from reintegration.errors import DomainError
from reintegration.extensions import db
from tests.auth.pages import field_errors, form_values
from tests.conftest import PASSWORD

COMMON = (
    "This password is one of the most common ones (or one of them with digits or signs "
    "added): choose another."
)
CLOSE = "This password is too close to the username or the name: add words of your own."
PREDICTABLE = (
    "This password is too easy to guess: one character repeated, or a sequence such as "
    "1234567890 or qwertyuiop."
)
SHORT = "Use at least 10 characters."

USERNAME = "thu.ha"
FULL_NAME = "Nguyễn Thu Hà"

# Each refused on every form, for a new user "thu.ha" named "Nguyễn Thu Hà".
REFUSED = [
    ("password1", SHORT),
    ("password12", COMMON),
    ("Password2026!", COMMON),
    ("iloveyou2026", COMMON),
    ("1234567890", COMMON),
    ("qwertyuiop", COMMON),
    ("aaaaaaaaaa", PREDICTABLE),
    ("abcdefghijkl", PREDICTABLE),
    ("0987654321!", PREDICTABLE),
    ("zxcvbnmasdf", PREDICTABLE),
    ("Thu.Ha2026!", CLOSE),
    ("thuha-thuha-19", CLOSE),
    ("NguyenThu1990", CLOSE),
]
REFUSED_IDS = [password for password, _ in REFUSED]


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _message(password: str, username: str = USERNAME, full_name: str = FULL_NAME) -> str | None:
    try:
        password_rules.check(password, username, full_name)
    except DomainError as error:
        refusal = error
    else:
        return None
    assert refusal.field == "password"
    return str(refusal.message)


@pytest.mark.parametrize(("password", "message"), REFUSED, ids=REFUSED_IDS)
def test_a_weak_password_is_refused_with_its_reason(app, password, message):
    with app.test_request_context(), force_locale("en"):
        assert _message(password) == message


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        "a brand new passphrase",
        "Hà Nội mùa thu 2026",
        "nothing-else-matters",  # "thi" of a name inside a word of its own
        "thu-ha-walks-to-the-river",  # the name, with words of one's own
    ],
)
def test_a_password_of_ones_own_is_accepted(app, password):
    with app.test_request_context(), force_locale("en"):
        assert _message(password, full_name="Nguyễn Thị Thu Hà") is None


def test_every_demo_password_is_accepted(app):
    with app.test_request_context(), force_locale("en"):
        for username, full_name, *_ in ACCOUNTS:
            password = f"demo-{username.split('.')[0]}-2026"
            assert _message(password, username, full_name) is None, username


def test_the_common_list_holds_ten_thousand_passwords_and_names_its_source():
    with open(password_rules.COMMON_PASSWORDS, encoding="utf-8") as handle:
        header = handle.readline()
    assert "SecLists" in header
    assert "MIT" in header
    assert len(password_rules.common_passwords()) == 10_000


def test_common_passwords_are_compared_without_case():
    assert password_rules.is_common("PaSsWoRd")
    assert password_rules.is_common("Dragon!!")


# Every form that sets a password


@pytest.mark.parametrize(("password", "message"), REFUSED, ids=REFUSED_IDS)
def test_setup_refuses_a_weak_password_beside_the_field(client, english, password, message):
    response = client.post(
        "/setup",
        data={
            "username": USERNAME,
            "full_name": FULL_NAME,
            "password": password,
            "confirm": password,
        },
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "password") == [message]
    assert _users() == 0


@pytest.mark.parametrize(("password", "message"), REFUSED, ids=REFUSED_IDS)
def test_administrator_creating_a_user_gets_a_weak_password_refused(
    client, logged_in, password, message
):
    logged_in(Role.ADMIN)
    users_before = _users()
    form = form_values(client.get("/admin/users/new").get_data(as_text=True))
    form.update(
        username=USERNAME,
        full_name=FULL_NAME,
        role=Role.TRAINER.value,
        password=password,
        confirm=password,
    )

    response = client.post("/admin/users/new", data=form)

    assert field_errors(response.get_data(as_text=True), "password") == [message]
    assert _users() == users_before
    assert _user(USERNAME) is None


@pytest.mark.parametrize(("password", "message"), REFUSED, ids=REFUSED_IDS)
def test_administrator_resetting_a_password_gets_a_weak_one_refused(
    client, logged_in, member, password, message
):
    logged_in(Role.ADMIN)
    user = member(Role.TRAINER, username=USERNAME, full_name=FULL_NAME)
    db.session.commit()
    stored = user.password_hash

    response = client.post(
        f"/admin/users/{user.id}/password", data={"password": password, "confirm": password}
    )

    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "password") == [message]
    db.session.refresh(user)
    assert user.password_hash == stored


@pytest.mark.parametrize(("password", "message"), REFUSED, ids=REFUSED_IDS)
def test_a_user_changing_their_password_gets_a_weak_one_refused(
    client, logged_in, password, message
):
    user = logged_in(Role.TRAINER, username=USERNAME, full_name=FULL_NAME)
    stored = user.password_hash

    response = client.post(
        "/account/password", data={"current": PASSWORD, "password": password, "confirm": password}
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "password") == [message]
    db.session.refresh(user)
    assert user.password_hash == stored


@pytest.mark.parametrize(("password", "message"), REFUSED, ids=REFUSED_IDS)
def test_the_command_refuses_a_weak_password(runner, password, message):
    result = runner.invoke(
        args=["users", "create", USERNAME, "--role", "admin", "--name", FULL_NAME],
        input=f"{password}\n{password}\n",
    )

    assert result.exit_code != 0
    assert f"Error: {message}" in result.output
    assert _users() == 0
