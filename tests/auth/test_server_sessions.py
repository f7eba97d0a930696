"""Sessions kept on the server: a logout, a password or role change, an administrator or the
user ends them at once, and a cookie copied before opens nothing after."""

import hashlib
import re

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth import sessions
from reintegration.auth.models import Role
from reintegration.auth.session_models import EndReason, UserSession
from reintegration.extensions import db
from tests.auth.pages import in_vietnamese, text
from tests.conftest import PASSWORD, Auth

NEW_PASSWORD = "a much longer new passphrase"
ENDED = "Your session has ended. Log in again."
CHROME_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _copy(app, cookie: str):
    """Another browser holding a copy of ``cookie``."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _token(app, cookie: str) -> str:
    return app.session_interface.get_signing_serializer(app).loads(cookie)[sessions.COOKIE_KEY]


def _rows(user) -> list[UserSession]:
    return db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
    ).all()


def _is_logged_in(client) -> bool:
    response = client.get("/cases/")
    return response.status_code != 302 or not response.location.startswith("/login")


@pytest.fixture
def second_browser(app):
    """The same user's second device (its own cookies), and a helper to log it in."""

    def log_in(user, user_agent: str = FIREFOX_ON_WINDOWS):
        browser = app.test_client()
        browser.environ_base["HTTP_USER_AGENT"] = user_agent
        assert Auth(browser).login(user).status_code == 302
        return browser

    return log_in


# Logout


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, client, logged_in, auth):
    logged_in(Role.PROVINCIAL_OFFICER)
    copied = _cookie(client)
    assert _is_logged_in(_copy(app, copied))

    auth.logout()

    thief = _copy(app, copied)
    response = thief.get("/cases/")
    assert response.location == "/login?next=/cases/"
    assert ENDED in text(thief.get(response.location).get_data(as_text=True))
    assert thief.get("/").location == "/login"


def test_logout_ends_the_row_with_its_reason(client, logged_in, auth, frozen_clock):
    user = logged_in(Role.TRAINER)
    frozen_clock.advance(minutes=5)

    auth.logout()

    [row] = _rows(user)
    assert row.ended_at == frozen_clock.now
    assert row.end_reason == EndReason.LOGOUT


def test_the_database_keeps_only_a_digest_of_the_token(app, client, logged_in):
    user = logged_in(Role.TRAINER)
    token = _token(app, _cookie(client))

    [row] = _rows(user)

    assert len(token) >= 43  # 32 random bytes, base64
    assert row.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_digest, row.browser, row.system}


def test_each_login_gets_a_new_token(app, client, member, auth):
    trainer = member(Role.TRAINER)
    auth.login(trainer)
    first = _token(app, _cookie(client))
    auth.logout()

    auth.login(trainer)

    assert _token(app, _cookie(client)) != first
    assert [row.ended_at is None for row in _rows(trainer)] == [False, True]


def test_a_session_from_before_the_upgrade_is_asked_to_log_in_again(client, logged_in):
    logged_in(Role.TRAINER, language="vi")
    with client.session_transaction() as cookie:
        del cookie[sessions.COOKIE_KEY]  # as the signed cookie of the older release

    response = client.get("/cases/")

    assert response.location.startswith("/login")
    assert in_vietnamese(ENDED) in text(client.get(response.location).get_data(as_text=True))


# Password, role, administrator


def test_changing_ones_password_ends_the_other_sessions_not_this_one(
    client, logged_in, second_browser
):
    user = logged_in(Role.TRAINER)
    other = second_browser(user)

    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert _is_logged_in(client)
    assert not _is_logged_in(other)
    reasons = [row.end_reason for row in _rows(user)]
    assert reasons.count(EndReason.PASSWORD_CHANGED) == 2  # both older sessions
    assert reasons.count(None) == 1  # the new one of this device


@pytest.fixture
def admin_browser(app, member):
    browser = app.test_client()
    assert Auth(browser).login(member(Role.ADMIN)).status_code == 302
    return browser


def test_an_administrators_password_reset_ends_every_session_of_the_user(
    client, logged_in, second_browser, admin_browser
):
    user = logged_in(Role.TRAINER)
    other = second_browser(user)

    admin_browser.post(
        f"/admin/users/{user.id}/password",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert not _is_logged_in(client)
    assert not _is_logged_in(other)
    assert _is_logged_in(admin_browser)


def test_deactivating_a_user_ends_their_sessions(client, logged_in, admin_browser):
    user = logged_in(Role.TRAINER)

    admin_browser.post(f"/admin/users/{user.id}/active", data={})

    assert not _is_logged_in(client)
    assert [row.end_reason for row in _rows(user)] == [EndReason.BY_ADMINISTRATOR]


def _user_form(user, **changes) -> dict:
    values = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email or "",
        "role": user.role.value,
        "facility": user.facility_id or "",
        "province": user.province_id or "",
        "version": user.version,
    }
    values.update(changes)
    return values


def test_a_change_of_role_ends_the_users_sessions(client, logged_in, admin_browser):
    user = logged_in(Role.TRAINER)

    response = admin_browser.post(
        f"/admin/users/{user.id}", data=_user_form(user, role=Role.ADMIN.value)
    )

    assert response.status_code == 302
    assert not _is_logged_in(client)
    assert [row.end_reason for row in _rows(user)] == [EndReason.ROLE_CHANGED]


def test_a_change_of_facility_ends_the_users_sessions(client, logged_in, admin_browser, make):
    user = logged_in(Role.SHELTER_STAFF)
    elsewhere = make.facility()
    db.session.commit()

    admin_browser.post(f"/admin/users/{user.id}", data=_user_form(user, facility=elsewhere.id))

    assert not _is_logged_in(client)


def test_a_change_of_name_keeps_the_users_sessions(client, logged_in, admin_browser):
    user = logged_in(Role.TRAINER)

    response = admin_browser.post(
        f"/admin/users/{user.id}", data=_user_form(user, full_name="Lê Văn Nam")
    )

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_end_all_sessions_by_an_administrator_logs_the_user_out_everywhere(
    client, logged_in, second_browser, admin_browser
):
    user = logged_in(Role.TRAINER, language="en")
    other = second_browser(user)
    assert "End all sessions" in admin_browser.get(f"/admin/users/{user.id}").get_data(True)

    response = admin_browser.post(f"/admin/users/{user.id}/sessions/end")

    assert response.location == f"/admin/users/{user.id}"
    assert not _is_logged_in(client)
    assert not _is_logged_in(other)
    assert {row.end_reason for row in _rows(user)} == {EndReason.BY_ADMINISTRATOR}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == Action.SESSIONS_ENDED))
    assert (entry.entity, entry.entity_id) == ("users", user.id)
    assert entry.user_id != user.id  # the administrator who ended them


def test_the_users_admin_page_lists_their_open_sessions(
    client, logged_in, second_browser, admin_browser, auth
):
    client.environ_base["HTTP_USER_AGENT"] = CHROME_ON_ANDROID
    user = logged_in(Role.TRAINER)
    second_browser(user, FIREFOX_ON_WINDOWS)
    page = f"/admin/users/{user.id}"

    listed = re.search(
        r'id="user-sessions">(.*?)</ul>', admin_browser.get(page).get_data(True), re.S
    )

    assert "Chrome on Android" in text(listed.group(1))
    assert "Firefox on Windows" in text(listed.group(1))
    admin_browser.post(f"/admin/users/{user.id}/sessions/end")
    assert "No open session." in text(admin_browser.get(page).get_data(as_text=True))


def test_only_an_administrator_may_end_a_users_sessions(client, logged_in, member, app):
    logged_in(Role.PROVINCIAL_OFFICER)
    victim = member(Role.TRAINER)
    victim_browser = app.test_client()
    Auth(victim_browser).login(victim)

    assert client.post(f"/admin/users/{victim.id}/sessions/end").status_code == 403
    assert _is_logged_in(victim_browser)


# Time


def test_an_idle_session_is_refused_and_marked_expired(client, logged_in, frozen_clock):
    user = logged_in(Role.TRAINER)
    frozen_clock.advance(minutes=31)

    assert not _is_logged_in(client)

    [row] = _rows(user)
    assert row.end_reason == EndReason.EXPIRED


def test_last_seen_is_written_at_most_once_a_minute(client, logged_in, frozen_clock):
    user = logged_in(Role.TRAINER)
    began = frozen_clock.now

    frozen_clock.advance(seconds=50)
    client.get("/cases/")
    assert _rows(user)[0].last_seen_at == began

    frozen_clock.advance(seconds=10)  # a minute exactly
    client.get("/cases/")
    assert _rows(user)[0].last_seen_at == frozen_clock.now


def test_a_copied_cookie_lives_no_longer_than_twelve_hours(app, client, logged_in, frozen_clock):
    logged_in(Role.TRAINER)
    thief = _copy(app, _cookie(client))
    for _ in range(36):  # the thief keeps it busy every 20 minutes: 12 hours
        frozen_clock.advance(minutes=20)
        thief.get("/cases/")

    frozen_clock.advance(minutes=1)

    assert not _is_logged_in(thief)
    assert not _is_logged_in(client)


def test_a_page_reads_its_session_once_and_writes_nothing_within_the_minute(client, logged_in):
    logged_in(Role.PROVINCIAL_OFFICER)
    statements = []

    def note(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get("/cases/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)

    about_sessions = [s for s in statements if "user_sessions" in s]
    assert len(about_sessions) == 1
    assert about_sessions[0].lstrip().upper().startswith("SELECT")


def test_a_busy_database_skips_last_seen_and_shows_the_page(client, logged_in, frozen_clock):
    user = logged_in(Role.TRAINER)
    began = frozen_clock.now

    def busy(*_args, **_kwargs):
        raise OperationalError("UPDATE user_sessions", {}, Exception("database is locked"))

    frozen_clock.advance(minutes=5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sessions, "_update", busy)
        assert client.get("/").status_code == 200
    assert _rows(user)[0].last_seen_at == began

    frozen_clock.advance(minutes=5)
    assert client.get("/").status_code == 200
    assert _rows(user)[0].last_seen_at == frozen_clock.now


# My sessions


def test_my_sessions_lists_each_device_and_marks_this_one(
    client, logged_in, second_browser, frozen_clock
):
    client.environ_base["HTTP_USER_AGENT"] = CHROME_ON_ANDROID
    user = logged_in(Role.TRAINER, language="en")
    frozen_clock.advance(minutes=3)
    second_browser(user, FIREFOX_ON_WINDOWS)

    page = client.get("/account/sessions").get_data(as_text=True)

    shown = text(page)
    assert "Chrome on Android This device" in shown
    assert "Firefox on Windows" in shown
    assert "Started: 15/03/2026 09:00" in shown  # Vietnam time
    assert "Last seen: 15/03/2026 09:03" in shown
    assert shown.index("Firefox on Windows") < shown.index("Chrome on Android")  # newest first


def test_my_sessions_is_in_the_account_menu(client, logged_in):
    logged_in(Role.TRAINER)

    assert 'href="/account/sessions"' in client.get("/").get_data(as_text=True)


def test_a_user_ends_one_of_their_other_sessions(client, logged_in, second_browser):
    user = logged_in(Role.TRAINER, language="en")
    other = second_browser(user)
    other_row = _rows(user)[1]

    response = client.post(f"/account/sessions/{other_row.id}/end", follow_redirects=True)

    assert "The session is ended." in text(response.get_data(as_text=True))
    assert not _is_logged_in(other)
    assert _is_logged_in(client)
    assert _rows(user)[1].end_reason == EndReason.BY_USER


def test_a_user_ends_all_their_other_sessions(client, logged_in, second_browser):
    user = logged_in(Role.TRAINER)
    others = [second_browser(user), second_browser(user, CHROME_ON_ANDROID)]

    client.post("/account/sessions/end-others")

    assert [_is_logged_in(other) for other in others] == [False, False]
    assert _is_logged_in(client)
    assert len(sessions.open_sessions(user.id)) == 1


def test_another_users_session_answers_404_and_stays_open(app, client, logged_in, member):
    logged_in(Role.TRAINER)
    stranger = member(Role.TRAINER)
    stranger_browser = app.test_client()
    Auth(stranger_browser).login(stranger)
    [theirs] = _rows(stranger)

    assert client.post(f"/account/sessions/{theirs.id}/end").status_code == 404
    assert _is_logged_in(stranger_browser)
    assert _rows(stranger)[0].ended_at is None
    assert f'data-session="{theirs.id}"' not in client.get("/account/sessions").get_data(True)


def test_ending_sessions_needs_the_csrf_token(app, client, logged_in, second_browser, monkeypatch):
    user = logged_in(Role.TRAINER)
    other = second_browser(user)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    assert client.post("/account/sessions/end-others").status_code == 400
    assert _is_logged_in(other)


# Devices and old rows


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (CHROME_ON_ANDROID, ("Chrome", "Android")),
        (FIREFOX_ON_WINDOWS, ("Firefox", "Windows")),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            ("Safari", "iOS"),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            ("Edge", "Windows"),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "coc_coc_browser/125.0.0 Chrome/119.0.0.0 Safari/537.36",
            ("Cốc Cốc", "Windows"),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            ("Safari", "macOS"),
        ),
        ("curl/8.5.0", ("", "")),
        ("", ("", "")),
    ],
)
def test_the_device_is_named_by_browser_and_system(user_agent, device):
    assert sessions.describe_device(user_agent) == device


def test_a_login_deletes_sessions_unseen_for_a_week(
    app, client, member, auth, second_browser, frozen_clock
):
    old, recent = member(Role.TRAINER), member(Role.TRAINER)
    second_browser(old)
    frozen_clock.advance(days=6)
    second_browser(recent)
    frozen_clock.advance(days=2)

    auth.login(member(Role.TRAINER))

    assert _rows(old) == []
    assert len(_rows(recent)) == 1  # expired, but seen less than a week ago
    assert db.session.scalar(select(func.count(UserSession.id))) == 2
