import pytest
from sqlalchemy import select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.auth.services import set_active
from reintegration.extensions import db
from tests.auth.pages import form_values, text
from tests.conftest import PASSWORD, second_step

# The one answer of every refused login (tests/auth/test_guess_limits.py).
WRONG = "Wrong username or password, or too many attempts: wait a moment and try again."


def _entries(action: Action) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


def _fail(auth, user, times: int = 1):
    for _ in range(times):
        response = auth.login(user, password="not the password")
    return response


def _is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_pages_are_in_vietnamese_by_default(client, member):
    member(Role.TRAINER)
    db.session.commit()

    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)


def test_visitor_can_switch_the_pages_to_english(client, member, english):
    member(Role.TRAINER)
    db.session.commit()

    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page


def test_right_password_leads_to_the_home_page(client, member, auth):
    staff = member(Role.SHELTER_STAFF, full_name="Lê Thu Hà")

    response = auth.login(staff)

    assert response.status_code == 302
    assert response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Lê Thu Hà" in page
    assert "Shelter staff" in page


def test_username_is_not_case_sensitive(client, member, auth):
    member(Role.TRAINER, username="thu.ha")

    client.post("/login", data={"username": " Thu.Ha ", "password": PASSWORD})

    assert _is_logged_in(client)


def test_wrong_password_is_refused_with_a_message(client, member, auth, english):
    trainer = member(Role.TRAINER)

    response = _fail(auth, trainer)

    assert response.status_code == 200
    assert WRONG in text(response.get_data(as_text=True))
    assert not _is_logged_in(client)


def test_unknown_username_gets_the_same_message_as_a_wrong_password(client, member, english):
    member(Role.TRAINER)
    db.session.commit()

    response = client.post("/login", data={"username": "nobody", "password": PASSWORD})

    assert WRONG in text(response.get_data(as_text=True))
    assert not _is_logged_in(client)


def test_logged_in_user_visiting_the_login_page_goes_home(client, logged_in):
    logged_in(Role.TRAINER)

    assert client.get("/login").location == "/"


def test_four_failed_attempts_do_not_hold_the_account_back(client, member, auth):
    trainer = member(Role.TRAINER)
    _fail(auth, trainer, times=4)

    assert auth.login(trainer).location == "/"


def test_a_successful_login_starts_the_count_of_failures_again(client, member, auth):
    trainer = member(Role.TRAINER)
    _fail(auth, trainer, times=4)
    auth.login(trainer)
    auth.logout()

    _fail(auth, trainer, times=4)

    assert auth.login(trainer).location == "/"


def test_failed_logins_are_in_the_audit_log(client, member, auth):
    trainer = member(Role.TRAINER)

    _fail(auth, trainer, times=2)

    failures = _entries(Action.LOGIN_FAILED)
    assert [(e.user_id, e.username, e.entity_id) for e in failures] == [
        (trainer.id, trainer.username, trainer.id)
    ] * 2
    assert failures[0].ip == "127.0.0.1"


def test_failed_login_with_an_unknown_username_is_in_the_audit_log_without_what_was_typed(
    client, member
):
    member(Role.TRAINER)
    db.session.commit()

    client.post("/login", data={"username": "Secret-Typed-In-Wrong-Field", "password": "x"})

    [failure] = _entries(Action.LOGIN_FAILED)
    assert (failure.user_id, failure.username) == (None, "?")
    assert failure.ip == "127.0.0.1"


def test_login_is_in_the_audit_log(client, member, auth, frozen_clock):
    trainer = member(Role.TRAINER)

    auth.login(trainer)

    [login] = _entries(Action.LOGIN)
    assert (login.user_id, login.username, login.at) == (
        trainer.id,
        trainer.username,
        frozen_clock.now,
    )


def test_deactivated_user_cannot_log_in(client, member, auth, english):
    admin = member(Role.ADMIN)
    trainer = member(Role.TRAINER)
    set_active(trainer, False, admin)

    response = auth.login(trainer)

    assert WRONG in text(response.get_data(as_text=True))
    assert not _is_logged_in(client)
    assert [e.user_id for e in _entries(Action.LOGIN_FAILED)] == [trainer.id]


def test_after_login_the_user_returns_to_the_page_asked_for(client, member, english):
    officer = member(Role.PROVINCIAL_OFFICER)
    db.session.commit()

    asked = client.get("/cases/?stage=in_shelter")
    assert asked.location.startswith("/login?next=")
    form = form_values(client.get(asked.location).get_data(as_text=True))
    form.update(username=officer.username, password=PASSWORD)
    response = second_step(client, client.post(asked.location, data=form))

    assert response.location == "/cases/?stage=in_shelter"


@pytest.mark.parametrize(
    "target",
    ["http://evil.example/", "//evil.example/", "https:evil.example", "/\\evil.example", "cases"],
)
def test_login_never_redirects_away_from_the_site(client, member, target):
    trainer = member(Role.TRAINER)
    db.session.commit()

    response = client.post(
        "/login", data={"username": trainer.username, "password": PASSWORD, "next": target}
    )

    assert response.location == "/"


@pytest.mark.parametrize("crafted", ["/cases/%00", "/cases/%1b[31m", "/" + "a" * 5000])
def test_a_crafted_link_to_the_login_page_still_lets_the_user_log_in(client, member, crafted):
    officer = member(Role.PROVINCIAL_OFFICER)
    db.session.commit()

    form = form_values(client.get(f"/login?next={crafted}").get_data(as_text=True))
    form.update(username=officer.username, password=PASSWORD)
    response = second_step(client, client.post("/login", data=form))

    assert response.status_code == 302
    assert response.location == "/"


def test_logout_by_get_is_not_allowed(client, logged_in):
    logged_in(Role.TRAINER)

    assert client.get("/logout").status_code == 405
    assert _is_logged_in(client)


def test_logout_ends_the_session(client, logged_in, auth):
    logged_in(Role.TRAINER)

    response = auth.logout()

    assert response.location == "/login"
    assert "You have logged out." in text(client.get("/login").get_data(as_text=True))
    assert client.get("/").location == "/login"


def test_login_page_after_logout_keeps_the_language_of_the_user(client, logged_in, auth):
    logged_in(Role.TRAINER, language="en")

    auth.logout()

    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_logout_is_in_the_audit_log(client, logged_in, auth):
    trainer = logged_in(Role.TRAINER)

    auth.logout()

    [logout] = _entries(Action.LOGOUT)
    assert (logout.user_id, logout.username) == (trainer.id, trainer.username)
