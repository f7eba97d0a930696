"""Guessing passwords: after a few failures each next attempt waits longer, per account (a
minute at most, so no one can keep the owner out) and per address (up to 15 minutes); every
refusal gives the same answer, after the same check of the password."""

import re

import pytest
from sqlalchemy import func, select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth import services, throttle
from reintegration.auth.models import Role
from reintegration.auth.services import set_active
from reintegration.auth.throttle_models import GuessCount
from reintegration.extensions import db
from tests.auth.pages import field_errors, in_vietnamese, text
from tests.conftest import PASSWORD

REFUSED = "Wrong username or password, or too many attempts: wait a moment and try again."
WRONG_CURRENT = (
    "This is not your current password, or too many attempts: wait a moment and try again."
)
ATTACKER = "203.0.113.66"
GUESS = "not the password"
NEW_PASSWORD = "a brand new passphrase"


def _try(client, username: str, password: str = GUESS):
    return client.post("/login", data={"username": username, "password": password})


def _refused(response) -> bool:
    shown = text(response.get_data(as_text=True))
    return REFUSED in shown or in_vietnamese(REFUSED) in shown


def _fail(client, username: str, times: int) -> None:
    for _ in range(times):
        assert _refused(_try(client, username))


def _logged_in(response) -> bool:
    return response.status_code == 302 and response.location != "/login"


def _entries(action: Action) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


@pytest.fixture
def trainer(member):
    user = member(Role.TRAINER)
    db.session.commit()
    return user


def test_five_wrong_passwords_make_the_next_attempt_wait_a_second(client, trainer, frozen_clock):
    _fail(client, trainer.username, times=5)

    held_back = _try(client, trainer.username, PASSWORD)
    frozen_clock.advance(seconds=1)
    let_through = _try(client, trainer.username, PASSWORD)

    assert _refused(held_back)
    assert _logged_in(let_through)


def test_the_wait_doubles_with_each_failure(client, trainer, frozen_clock):
    _fail(client, trainer.username, times=5)
    frozen_clock.advance(seconds=1)
    _fail(client, trainer.username, times=1)  # the sixth: now two seconds

    frozen_clock.advance(seconds=1)
    assert not _logged_in(_try(client, trainer.username, PASSWORD))
    frozen_clock.advance(seconds=1)
    assert _logged_in(_try(client, trainer.username, PASSWORD))


def test_attempts_during_the_wait_do_not_lengthen_it(client, trainer, frozen_clock):
    _fail(client, trainer.username, times=5)
    _fail(client, trainer.username, times=10)  # all held back, none counted

    frozen_clock.advance(seconds=1)

    assert _logged_in(_try(client, trainer.username, PASSWORD))
    assert len(_entries(Action.LOGIN_FAILED)) == 5
    assert len(_entries(Action.LOCKOUT)) == 10


def test_an_account_never_waits_more_than_a_minute(app, trainer, frozen_clock):
    # Guesses from many addresses, each waiting out the account's wait: the account's count
    # grows far, its wait does not.
    for number in range(15):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"
        _fail(guesser, trainer.username, times=1)
        frozen_clock.advance(seconds=60)
    _fail(app.test_client(), trainer.username, times=1)

    frozen_clock.advance(seconds=59)
    assert not _logged_in(_try(app.test_client(), trainer.username, PASSWORD))
    frozen_clock.advance(seconds=1)
    assert _logged_in(_try(app.test_client(), trainer.username, PASSWORD))


def test_a_success_starts_the_account_count_again(client, trainer, auth):
    _fail(client, trainer.username, times=4)
    assert auth.login(trainer).location == "/"
    auth.logout()

    _fail(client, trainer.username, times=4)

    assert auth.login(trainer).location == "/"


def test_the_administrator_logs_in_from_another_address_while_one_address_guesses(
    app, client, member, frozen_clock
):
    admin = member(Role.ADMIN)
    db.session.commit()
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = ATTACKER
    for _ in range(30):  # a guess a minute for half an hour
        _try(attacker, admin.username)
        frozen_clock.advance(seconds=60)

    # The password is accepted (the two-factor step follows).
    assert _logged_in(_try(client, admin.username, PASSWORD))
    # Of 30 guesses 19 were checked; the address waits longer and longer (8.5 minutes now).
    assert len(_entries(Action.LOGIN_FAILED)) == 19
    assert not _logged_in(_try(attacker, admin.username, PASSWORD))


def test_an_address_guessing_at_many_accounts_waits_up_to_a_quarter_of_an_hour(
    app, member, frozen_clock
):
    victims = [member(Role.TRAINER) for _ in range(25)]
    db.session.commit()
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = ATTACKER
    for victim in victims[:20]:
        _try(attacker, victim.username)
        frozen_clock.advance(minutes=14)

    assert not _logged_in(_try(attacker, victims[20].username, PASSWORD))
    frozen_clock.advance(minutes=1)
    assert _logged_in(_try(attacker, victims[21].username, PASSWORD))


def test_an_ipv6_guesser_cannot_escape_by_changing_the_end_of_its_address(app, trainer):
    for number in range(10):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"2001:db8:1:2::{number + 1:x}"
        _fail(guesser, f"someone{number}", times=1)

    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "2001:db8:1:2:ffff::1"
    assert not _logged_in(_try(guesser, trainer.username, PASSWORD))


def test_unknown_usernames_are_held_back_like_real_ones(client, trainer):
    _fail(client, "nobody", times=5)

    _try(client, "nobody")

    [held_back] = _entries(Action.LOCKOUT)
    assert (held_back.user_id, held_back.username) == (None, "?")


def test_a_held_back_attempt_is_in_the_audit_log_without_the_password(client, trainer):
    _fail(client, trainer.username, times=5)

    _try(client, trainer.username, PASSWORD)

    [held_back] = _entries(Action.LOCKOUT)
    assert (held_back.user_id, held_back.username, held_back.ip) == (
        trainer.id,
        trainer.username,
        "127.0.0.1",
    )
    assert PASSWORD not in str(held_back.changes)
    assert len(_entries(Action.LOGIN_FAILED)) == 5
    assert _entries(Action.LOGIN) == []


def test_counts_name_neither_the_account_nor_the_address(client, trainer):
    _fail(client, trainer.username, times=2)

    rows = db.session.execute(select(GuessCount.kind, GuessCount.scope, GuessCount.digest)).all()

    assert {(kind, scope) for kind, scope, _ in rows} == {
        (throttle.LOGIN, throttle.ACCOUNT),
        (throttle.LOGIN, throttle.ADDRESS),
    }
    stored = " ".join(digest for _, _, digest in rows)
    assert trainer.username not in stored
    assert "127.0.0.1" not in stored
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for _, _, digest in rows)


def test_counts_forget_an_hour_after_the_last_failure(client, trainer, frozen_clock):
    _fail(client, trainer.username, times=5)
    frozen_clock.advance(minutes=61)

    _fail(client, trainer.username, times=4)

    assert _logged_in(_try(client, trainer.username, PASSWORD))


# One answer, whatever the reason


def _answer_for(client, username: str, password: str) -> str:
    page = _try(client, username, password).get_data(as_text=True)
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", page)


def test_unknown_user_wrong_password_deactivated_and_held_back_get_the_same_page(
    client, member, trainer
):
    unknown = _answer_for(client, "thu.ha", PASSWORD)
    user = member(Role.TRAINER, username="thu.ha")
    db.session.commit()
    wrong = _answer_for(client, "thu.ha", "not the password")
    set_active(user, False, member(Role.ADMIN))
    db.session.commit()
    deactivated = _answer_for(client, "thu.ha", PASSWORD)
    set_active(user, True, member(Role.ADMIN))
    db.session.commit()
    _fail(client, "thu.ha", times=2)  # five failures with the three above
    held_back = _answer_for(client, "thu.ha", PASSWORD)  # the right password, held back

    assert in_vietnamese(REFUSED) in text(unknown)
    assert unknown == wrong == deactivated == held_back


@pytest.fixture
def hash_checks(monkeypatch):
    """The number of password checks each login makes."""
    calls = []
    check = services.verify_password

    def counted(stored, password):
        calls.append(stored)
        return check(stored, password)

    monkeypatch.setattr(services, "verify_password", counted)
    return calls


@pytest.mark.parametrize("case", ["unknown", "wrong", "deactivated", "held back", "right"])
def test_every_login_checks_a_password_hash_once(client, member, hash_checks, case):
    user = member(Role.TRAINER)
    if case == "deactivated":
        set_active(user, False, member(Role.ADMIN))
    db.session.commit()
    if case == "held back":
        _fail(client, user.username, times=5)
        hash_checks.clear()
    username = "nobody" if case == "unknown" else user.username

    _try(client, username, "not the password" if case == "wrong" else PASSWORD)

    assert len(hash_checks) == 1


# The current password on the change-password page


def _change(client, current: str, password: str = NEW_PASSWORD):
    return client.post(
        "/account/password", data={"current": current, "password": password, "confirm": password}
    )


def test_guessing_the_current_password_is_held_back_too(client, logged_in, auth, frozen_clock):
    trainer = logged_in(Role.TRAINER)
    for _ in range(5):
        page = _change(client, "not my password").get_data(as_text=True)
        assert field_errors(page, "current") == [WRONG_CURRENT]

    held_back = _change(client, PASSWORD)

    assert field_errors(held_back.get_data(as_text=True), "current") == [WRONG_CURRENT]
    auth.logout()
    assert _logged_in(auth.login(trainer))  # the password did not change
    assert len(_entries(Action.LOGIN_FAILED)) == 5
    assert len(_entries(Action.LOCKOUT)) == 1


def test_the_current_password_is_accepted_once_the_wait_is_over(
    client, logged_in, auth, frozen_clock
):
    trainer = logged_in(Role.TRAINER)
    for _ in range(5):
        _change(client, "not my password")
    frozen_clock.advance(seconds=1)

    assert _change(client, PASSWORD).location == "/"
    auth.logout()
    assert _logged_in(auth.login(trainer, password=NEW_PASSWORD))


def test_guessing_the_current_password_does_not_hold_back_the_login(client, logged_in, auth):
    trainer = logged_in(Role.TRAINER)
    for _ in range(8):
        _change(client, "not my password")
    auth.logout()

    assert _logged_in(auth.login(trainer))


def test_counts_are_in_the_database(client, trainer):
    _fail(client, trainer.username, times=3)

    failures = select(func.sum(GuessCount.failures)).where(GuessCount.kind == throttle.LOGIN)
    assert db.session.scalar(failures) == 6  # three for the account, three for the address


def test_counts_an_hour_old_are_deleted_at_the_next_login(client, member, frozen_clock):
    guessed, other = member(Role.TRAINER), member(Role.TRAINER)
    db.session.commit()
    _fail(client, "nobody-at-all", times=3)
    _fail(client, guessed.username, times=1)
    frozen_clock.advance(minutes=61)

    assert _logged_in(_try(client, other.username, PASSWORD))

    assert db.session.scalar(select(func.count()).select_from(GuessCount)) == 0


def _waits_after(kind: str, failures: int, frozen_clock) -> int:
    """Seconds the account must wait after ``failures`` wrong guesses of ``kind``, each from
    another address (so only the account's count holds the guesser back)."""
    for number in range(failures):
        address = f"10.0.{number // 250}.{number % 250 + 1}"
        while not throttle.check(kind, "officer", address):
            frozen_clock.advance(seconds=1)
        throttle.failed(kind, "officer", address)
    waited = 0
    while not throttle.check(kind, "officer", "10.9.9.9"):
        frozen_clock.advance(seconds=1)
        waited += 1
    return waited


def test_a_two_factor_code_is_guessed_far_more_slowly_than_a_password(app, frozen_clock):
    """Only someone who has the password guesses the code: its account waits grow to 15
    minutes (an address's longest), a password's to one minute."""
    with app.test_request_context():
        password = _waits_after(throttle.LOGIN, 20, frozen_clock)
        code = _waits_after(throttle.SECOND_FACTOR, 20, frozen_clock)

    assert password == 60
    assert code == 900
