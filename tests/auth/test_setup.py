import pytest
from sqlalchemy import func, select

from reintegration.auth.models import Role, User
from reintegration.extensions import db
from tests.auth.pages import field_errors
from tests.conftest import PASSWORD


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def _setup_form(**changes) -> dict:
    form = {"username": "admin", "full_name": "Trần Văn An", "password": PASSWORD}
    form["confirm"] = form["password"]
    form.update(changes)
    return form


def test_home_sends_to_setup_while_no_user_exists(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.location == "/setup"


def test_login_page_sends_to_setup_while_no_user_exists(client):
    assert client.get("/login").location == "/setup"


def test_setup_creates_an_administrator_and_logs_them_in(client, english):
    response = client.post("/setup", data=_setup_form(username="Admin"))

    assert response.status_code == 302
    assert response.location == "/"
    admin = db.session.scalar(select(User))
    assert (admin.username, admin.role, admin.full_name) == ("admin", Role.ADMIN, "Trần Văn An")
    # An administrator sets up two-factor login before anything else.
    home = client.get("/")
    assert home.location == "/account/two-factor/enrol"
    enrolment = client.get(home.location).get_data(as_text=True)
    assert "Welcome. You are the administrator of this installation." in enrolment
    assert "Turn on two-factor login" in enrolment
    assert "Trần Văn An" in enrolment


def test_first_administrator_keeps_the_language_of_the_setup_page(client, english):
    client.post("/setup", data=_setup_form())

    assert db.session.scalar(select(User.language)) == "en"
    assert '<html lang="en">' in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_the_new_administrator_can_log_in_again_with_the_chosen_password(client, auth):
    client.post("/setup", data=_setup_form())
    auth.logout()

    admin = db.session.scalar(select(User))
    assert auth.login(admin).location == "/"


def test_setup_is_closed_once_a_user_exists(client, make):
    make.user(Role.TRAINER)
    db.session.commit()

    assert client.get("/setup").status_code == 404
    answer = client.post("/setup", data=_setup_form(username="intruder"))
    assert (answer.status_code, answer.location) == (302, "/login")
    assert _users() == 1


def test_setup_sent_twice_makes_one_administrator_and_opens_the_login(client):
    first = client.post("/setup", data=_setup_form())
    client.post("/logout")
    second = client.post("/setup", data=_setup_form())

    assert first.location == "/"
    assert (second.status_code, second.location) == (302, "/login")
    assert _users() == 1


def test_setup_answers_404_after_the_first_administrator_is_created(client):
    client.post("/setup", data=_setup_form())

    assert client.get("/setup").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"password": "short pw", "confirm": "short pw"},
            "password",
            "Use at least 10 characters.",
        ),
        ({"confirm": "another long password"}, "confirm", "The passwords differ."),
        ({"username": "an admin!"}, "username", "Use letters, digits, dots, dashes."),
        ({"username": ""}, "username", "This field is required."),
    ],
    ids=["short-password", "confirm-differs", "username-characters", "username-missing"],
)
def test_setup_refuses_bad_input_beside_the_field_and_saves_nothing(
    client, english, changes, field, message
):
    response = client.post("/setup", data=_setup_form(**changes))

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), field) == [message]
    assert _users() == 0
    assert client.get("/").location == "/setup"
