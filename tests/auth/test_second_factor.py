"""Two-factor login (TOTP): the code after the password, enrolment, recovery codes, the
account's settings and an administrator's reset."""

import re

import pytest
from sqlalchemy import select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth import throttle, totp
from reintegration.auth.models import Role
from reintegration.auth.services import set_password
from reintegration.auth.throttle_models import GuessCount
from reintegration.auth.totp_models import RecoveryCode, SecondFactor
from reintegration.config import _roles
from reintegration.extensions import db
from tests.auth.pages import field_errors, form_values, in_vietnamese, text
from tests.conftest import PASSWORD, TOTP_SECRET, Auth

WRONG = "This code is not right. Type the 6 digits your app shows now."
REUSED = "This code was already used; wait for the next one."
EXPIRED = "This code has expired; type the one your app shows now."
NOT_A_CODE = "Type the 6 digits your app shows, or one of your recovery codes."
HELD_BACK = "Too many wrong codes: wait a minute, then type the code your app shows then."
START_AGAIN = "Your login was not finished in time. Enter your username and password again."


def _entries(action: Action) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def _code(step_offset: int = 0, secret: str = TOTP_SECRET) -> str:
    return totp.code_at(secret, totp.step_at() + step_offset)


def _password(client, user):
    """The first step only."""
    db.session.commit()
    return client.post("/login", data={"username": user.username, "password": PASSWORD})


def _send(client, code: str):
    return client.post("/login/code", data={"code": code})


def _factor(user) -> SecondFactor | None:
    return db.session.get(SecondFactor, user.id)


def _guesses(user) -> int:
    """The wrong codes counted against the account (auth/throttle.py)."""
    digest = throttle._digest(throttle.SECOND_FACTOR, throttle.ACCOUNT, str(user.id))
    return (
        db.session.scalar(
            select(GuessCount.failures).where(
                GuessCount.kind == throttle.SECOND_FACTOR, GuessCount.digest == digest
            )
        )
        or 0
    )


@pytest.fixture
def officer(member):
    return member(Role.PROVINCIAL_OFFICER)


# -- the code after the password -------------------------------------------------------------


def test_a_right_password_alone_opens_nothing_for_an_enrolled_user(client, officer, english):
    response = _password(client, officer)

    assert response.location == "/login/code"
    assert not _logged_in(client)
    assert client.get("/cases/").location.startswith("/login")
    page = client.get("/login/code").get_data(as_text=True)
    assert "Type the 6-digit code your authenticator app shows" in text(page)


def test_the_code_of_the_moment_logs_in_and_goes_where_asked(client, officer):
    db.session.commit()
    asked = client.get("/cases/?stage=in_shelter").location
    form = form_values(client.get(asked).get_data(as_text=True))
    form.update(username=officer.username, password=PASSWORD)
    client.post(asked, data=form)

    response = _send(client, _code())

    assert response.location == "/cases/?stage=in_shelter"
    assert _logged_in(client)
    assert _factor(officer).last_step == totp.step_at()


@pytest.mark.parametrize("typed", ["{} {}", " {}-{} ", "{}  {}"])
def test_a_code_typed_with_spaces_or_a_dash_is_accepted(client, officer, typed):
    _password(client, officer)
    code = _code()

    response = _send(client, typed.format(code[:3], code[3:]))

    assert response.status_code == 302
    assert _logged_in(client)


def test_the_code_of_the_step_before_is_accepted_for_a_slow_phone(client, officer):
    _password(client, officer)

    assert _send(client, _code(-1)).status_code == 302


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abcdef", NOT_A_CODE),
        ("12345", NOT_A_CODE),
        ("1234567", NOT_A_CODE),
        ("", "Type the code."),
    ],
)
def test_a_code_that_is_not_one_is_refused_beside_the_field(
    client, officer, english, typed, message
):
    _password(client, officer)

    response = _send(client, typed)

    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "code") == [message]
    assert not _logged_in(client)
    assert _guesses(officer) == 0  # not a guess: nothing counted


def test_a_wrong_code_is_refused_counted_and_audited(client, officer, english):
    _password(client, officer)
    wrong = f"{(int(_code()) + 1) % 1_000_000:06d}"

    response = _send(client, wrong)

    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "code") == [WRONG]
    assert not _logged_in(client)
    assert _guesses(officer) == 1
    assert [entry.user_id for entry in _entries(Action.TOTP_FAILED)] == [officer.id]
    # The page still takes the right code.
    assert _send(client, _code()).status_code == 302
    assert _guesses(officer) == 0


def test_a_code_used_once_is_refused_the_second_time(app, client, officer, english):
    assert Auth(client).login(officer).status_code == 302  # uses the code of this moment
    used = _code()
    client.post("/logout")
    _password(client, officer)

    response = _send(client, used)

    assert field_errors(response.get_data(as_text=True), "code") == [REUSED]
    assert not _logged_in(client)
    # The next step's code (30 seconds later on the phone) is taken.
    assert _send(client, _code(+1)).status_code == 302


def test_the_same_code_sent_from_two_browsers_logs_in_only_one(app, client, officer, english):
    other = app.test_client()
    _password(client, officer)
    _password(other, officer)
    code = _code()

    first, second = _send(client, code), _send(other, code)

    assert first.status_code == 302
    assert field_errors(second.get_data(as_text=True), "code") == [REUSED]
    assert not _logged_in(other)


def test_an_older_code_is_refused_as_expired(client, officer, english):
    _password(client, officer)

    response = _send(client, _code(-4))

    assert field_errors(response.get_data(as_text=True), "code") == [EXPIRED]
    assert not _logged_in(client)


def test_after_five_wrong_codes_each_next_attempt_waits(client, officer, english, frozen_clock):
    _password(client, officer)
    wrong = f"{(int(_code()) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert field_errors(_send(client, wrong).get_data(as_text=True), "code") == [WRONG]

    right_too_soon = _send(client, _code())

    assert field_errors(right_too_soon.get_data(as_text=True), "code") == [HELD_BACK]
    assert not _logged_in(client)
    assert _guesses(officer) == 5  # an attempt held back counts nothing
    frozen_clock.advance(seconds=1)  # the wait doubles from 1 s: never a lock
    assert _send(client, _code()).status_code == 302
    assert _logged_in(client)
    assert _guesses(officer) == 0


def test_the_code_page_waits_five_minutes_after_the_password(
    client, officer, english, frozen_clock
):
    _password(client, officer)
    frozen_clock.advance(minutes=5, seconds=1)

    response = _send(client, _code())

    assert response.location == "/login"
    assert START_AGAIN in text(client.get("/login").get_data(as_text=True))
    assert not _logged_in(client)
    assert _factor(officer).last_step is None  # the code was not spent


def test_the_code_step_without_the_password_step_logs_no_one_in(client, officer, english):
    db.session.commit()

    response = _send(client, _code())

    assert response.location == "/login"
    assert START_AGAIN in text(client.get("/login").get_data(as_text=True))
    assert not _logged_in(client)
    assert client.get("/login/code").location == "/login"


def test_a_tampered_pending_marker_is_refused(client, officer):
    _password(client, officer)
    with client.session_transaction() as session:
        session["totp_pending"] = session["totp_pending"][:-3] + "AAA"

    assert _send(client, _code()).location == "/login"
    assert not _logged_in(client)


def test_a_password_reset_between_the_steps_ends_the_pending_login(client, officer):
    _password(client, officer)
    set_password(officer, "another long password 26")
    db.session.commit()

    assert _send(client, _code()).location == "/login"
    assert not _logged_in(client)


def test_a_deactivated_account_cannot_finish_the_login(client, officer, member):
    _password(client, officer)
    officer.active = False
    db.session.commit()

    assert _send(client, _code()).location == "/login"
    assert not _logged_in(client)


def test_cancel_forgets_the_password_step(client, officer):
    _password(client, officer)

    client.post("/login/cancel")

    assert _send(client, _code()).location == "/login"


def test_a_user_of_a_role_that_does_not_require_it_logs_in_with_the_password(client, member):
    trainer = member(Role.TRAINER)

    assert _password(client, trainer).location == "/"
    assert _factor(trainer) is None


# -- recovery codes --------------------------------------------------------------------------


def test_a_recovery_code_logs_in_once(app, client, member, english):
    trainer = member(Role.TRAINER)
    codes = totp.enrol_with_secret(trainer, TOTP_SECRET)
    _password(client, trainer)

    response = _send(client, codes[3].upper().replace("-", " "))

    assert response.location == "/"
    assert "You logged in with a recovery code; 9 left." in text(
        client.get("/").get_data(as_text=True)
    )
    assert [entry.user_id for entry in _entries(Action.RECOVERY_CODE_USED)] == [trainer.id]
    client.post("/logout")
    _password(client, trainer)
    again = _send(client, codes[3])
    assert field_errors(again.get_data(as_text=True), "code") == [
        "This recovery code was already used; each one works once."
    ]
    assert not _logged_in(client)


def test_a_wrong_recovery_code_is_counted(client, officer, english):
    _password(client, officer)

    response = _send(client, "aaaa-bbbb-cccc")

    assert field_errors(response.get_data(as_text=True), "code") == [
        "This recovery code is not right."
    ]
    assert _guesses(officer) == 1


def test_recovery_codes_are_stored_as_keyed_hashes(officer):
    codes = totp.enrol_with_secret(officer, TOTP_SECRET) if not _factor(officer) else None
    stored = db.session.scalars(
        select(RecoveryCode.code_hash).where(RecoveryCode.user_id == officer.id)
    ).all()
    assert len(stored) == 10
    for code in codes or []:
        assert code not in stored
        assert code.replace("-", "") not in "".join(stored)


# -- enrolment -------------------------------------------------------------------------------


def _secret_on(page: str) -> str:
    found = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert found, "no key on the page"
    return found.group(1).replace(" ", "")


def test_an_administrator_must_enrol_right_after_the_password(client, member, english):
    admin = member(Role.ADMIN, second_factor=False)

    response = _password(client, admin)

    assert response.location == "/account/two-factor/enrol"
    assert client.get("/cases/").location == "/account/two-factor/enrol"
    assert client.get("/admin/users/").location == "/account/two-factor/enrol"
    page = client.get("/account/two-factor/enrol").get_data(as_text=True)
    assert "Your role requires two-factor login" in page
    assert '<svg viewBox="' in page
    assert 'class="totp-qr"' in page
    assert "<img" not in page.split("<main", 1)[-1]  # made here: no image from elsewhere
    secret = _secret_on(page)
    assert f"secret={secret}" in page  # the otpauth address, for typing by hand too

    form = form_values(page, "")
    form["code"] = _code(secret=secret)
    done = client.post("/account/two-factor/enrol", data=form)

    assert done.status_code == 200
    shown = re.findall(
        r"<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>", done.get_data(as_text=True)
    )
    assert len(set(shown)) == 10
    assert _logged_in(client)
    factor = _factor(admin)
    assert secret.encode() not in factor.secret  # sealed, not in clear
    assert [entry.entity_id for entry in _entries(Action.TOTP_ENROLLED)] == [admin.id]
    # The next login asks for the code.
    client.post("/logout")
    assert _password(client, admin).location == "/login/code"
    assert _send(client, shown[0]).status_code == 302


def test_a_user_who_must_enrol_can_log_out(client, member):
    admin = member(Role.ADMIN, second_factor=False)
    _password(client, admin)

    response = client.post("/logout")

    assert response.location == "/login"
    assert client.get("/").location.startswith("/login")


def test_a_wrong_code_at_enrolment_stores_nothing(client, member, english):
    admin = member(Role.ADMIN, second_factor=False)
    _password(client, admin)
    page = client.get("/account/two-factor/enrol").get_data(as_text=True)
    secret = _secret_on(page)
    form = form_values(page, "")

    for typed, message in [
        ("000000" if _code(secret=secret) != "000000" else "111111", WRONG),
        ("12 34", "Type the 6 digits your app shows."),
        ("", "Type the code."),
    ]:
        form["code"] = typed
        response = client.post("/account/two-factor/enrol", data=form)
        assert response.status_code == 400
        answer = response.get_data(as_text=True)
        assert field_errors(answer, "code") == [message]
        assert _secret_on(answer) == secret  # the same key: the app already holds it
    assert _factor(admin) is None
    assert client.get("/cases/").location == "/account/two-factor/enrol"


def test_an_altered_enrolment_form_is_refused(client, member, english):
    admin = member(Role.ADMIN, second_factor=False)
    _password(client, admin)
    form = form_values(client.get("/account/two-factor/enrol").get_data(as_text=True), "")
    form["offer"] = "00" + form["offer"][2:]
    form["code"] = "123456"

    response = client.post("/account/two-factor/enrol", data=form)

    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "code") == [
        "This page is too old. Scan the new code and try again."
    ]
    assert _factor(admin) is None


def test_any_role_may_turn_it_on_and_off(client, member, auth, english):
    trainer = member(Role.TRAINER)
    auth.login(trainer)
    assert "Off" in text(client.get("/account/two-factor").get_data(as_text=True))
    page = client.get("/account/two-factor/enrol").get_data(as_text=True)
    secret = _secret_on(page)
    form = form_values(page, "")
    form["code"] = _code(secret=secret)
    client.post("/account/two-factor/enrol", data=form)
    assert _factor(trainer) is not None

    wrong = client.post("/account/two-factor/off", data={"disable-code": "000000"})
    assert wrong.status_code == 400
    assert field_errors(wrong.get_data(as_text=True), "disable-code") in ([WRONG], [REUSED])
    assert _factor(trainer) is not None

    off = client.post("/account/two-factor/off", data={"disable-code": _code(+1, secret)})
    assert off.location == "/account/two-factor"
    assert _factor(trainer) is None
    assert [e.entity_id for e in _entries(Action.TOTP_DISABLED)] == [trainer.id]


def test_a_role_that_requires_it_cannot_turn_it_off(client, officer, auth, english):
    auth.login(officer)

    page = client.get("/account/two-factor").get_data(as_text=True)
    response = client.post("/account/two-factor/off", data={"disable-code": _code(+1)})

    assert "it cannot be turned off" in text(page)
    assert "disable-code" not in page
    assert response.location == "/account/two-factor"
    assert "Your role requires two-factor login: it stays on." in text(
        client.get(response.location).get_data(as_text=True)
    )
    assert _factor(officer) is not None


def test_new_recovery_codes_replace_the_old_ones(client, officer, auth, english):
    auth.login(officer)
    old_hashes = set(
        db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == officer.id))
    )

    wrong = client.post("/account/two-factor/recovery-codes", data={"renew-code": "abcdef"})
    assert field_errors(wrong.get_data(as_text=True), "renew-code") == [
        "Type the 6 digits your app shows."
    ]
    response = client.post("/account/two-factor/recovery-codes", data={"renew-code": _code(+1)})

    shown = re.findall(r"<li><code>([a-z2-7-]{14})</code></li>", response.get_data(as_text=True))
    assert len(shown) == 10
    new_hashes = set(
        db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == officer.id))
    )
    assert len(new_hashes) == 10
    assert not new_hashes & old_hashes
    assert {totp.recovery_hash(officer.id, code) for code in shown} == new_hashes
    assert [e.entity_id for e in _entries(Action.RECOVERY_CODES_RENEWED)] == [officer.id]


# -- an administrator's reset ----------------------------------------------------------------


def test_an_administrator_resets_a_lost_second_factor_with_a_reason(
    app, client, member, auth, officer, english
):
    laptop = app.test_client()  # the officer's, still logged in, lost with the phone
    Auth(laptop).login(officer)
    assert laptop.get("/cases/").status_code == 200
    auth.login(member(Role.ADMIN))
    page = client.get(f"/admin/users/{officer.id}").get_data(as_text=True)
    assert "Reset two-factor login" in page

    blank = client.post(f"/admin/users/{officer.id}/two-factor/reset", data={"reason": " "})
    assert blank.status_code == 400
    assert field_errors(blank.get_data(as_text=True), "reason") == ["Say why (a lost phone...)."]
    assert _factor(officer) is not None

    done = client.post(
        f"/admin/users/{officer.id}/two-factor/reset", data={"reason": "Lost phone, ticket 42"}
    )

    assert done.location == f"/admin/users/{officer.id}"
    assert _factor(officer) is None
    assert not db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == officer.id)
    ).all()
    [entry] = _entries(Action.TOTP_RESET)
    assert (entry.entity_id, entry.changes) == (officer.id, {"reason": "Lost phone, ticket 42"})
    assert laptop.get("/cases/").status_code == 302  # its session ended with the reset
    # At the next login the officer enrols again.
    other = app.test_client()
    assert _password(other, officer).location == "/account/two-factor/enrol"


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.TRAINER])
def test_only_an_administrator_resets_a_second_factor(client, member, auth, officer, role):
    auth.login(member(role))

    response = client.post(
        f"/admin/users/{officer.id}/two-factor/reset", data={"reason": "Lost phone"}
    )

    assert response.status_code in (403, 404)
    assert _factor(officer) is not None


# -- settings and language -------------------------------------------------------------------


def test_the_required_roles_are_a_setting(app, client, member, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", ("trainer",))
    admin = member(Role.ADMIN, second_factor=False)
    trainer = member(Role.TRAINER, second_factor=False)

    assert _password(client, admin).location == "/"
    client.post("/logout")
    assert _password(app.test_client(), trainer).location == "/account/two-factor/enrol"


def test_the_required_roles_read_from_the_environment():
    assert _roles("admin, provincial_officer") == ("admin", "provincial_officer")
    assert _roles("") == ()


def test_the_code_page_speaks_the_users_language(client, member):
    officer = member(Role.PROVINCIAL_OFFICER, language="vi")
    _password(client, officer)

    response = _send(client, "abcdef")

    assert field_errors(response.get_data(as_text=True), "code") == [in_vietnamese(NOT_A_CODE)]
    assert in_vietnamese(NOT_A_CODE) != NOT_A_CODE


def test_a_shell_command_resets_the_last_administrators_second_factor(runner, officer):
    db.session.commit()

    refused = runner.invoke(args=["users", "reset-second-factor", officer.username])
    done = runner.invoke(
        args=["users", "reset-second-factor", officer.username, "--reason", "Lost phone"]
    )
    again = runner.invoke(
        args=["users", "reset-second-factor", officer.username, "--reason", "Lost phone"]
    )

    assert refused.exit_code != 0
    assert "--reason" in refused.output
    assert done.exit_code == 0, done.output
    assert _factor(officer) is None
    [entry] = _entries(Action.TOTP_RESET)
    assert (entry.entity_id, entry.username, entry.changes) == (
        officer.id,
        "cli",
        {"reason": "Lost phone"},
    )
    assert again.exit_code != 0
    assert "not on" in again.output
