"""Guesses sent all at once to a real threaded server, each request on its own connection and
committing for real: no more of them are checked than if they had come one after the other."""

import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.browsing import serving
from tests.conftest import PASSWORD, Factory
from tests.own_database import app_on_own_database, own_sessions

AT_ONCE = 16


@pytest.fixture(scope="module")
def guessed(tmp_path_factory):
    # One proxy in front: the address of each guess is the one it forwards.
    with app_on_own_database(
        tmp_path_factory, "guesses", PROPAGATE_EXCEPTIONS=False, PROXY_COUNT=1
    ) as app:
        with own_sessions(), app.app_context():
            make = Factory()
            usernames = [make.user(Role.TRAINER).username for _ in range(AT_ONCE + 1)]
            db.session.commit()
        with serving(app) as base:
            yield app, base, usernames


def _guess(base: str, username: str, password: str, address: str) -> tuple[int, str]:
    """The status and redirect of one login; the server's requests use the app's own
    sessions, on its own database, not the rolled-back one of the test (own_database.py)."""
    with own_sessions():
        return _post(base, username, password, address)


def _post(base: str, username: str, password: str, address: str) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 (http only)
        base + "/login",
        data=urllib.parse.urlencode({"username": username, "password": password}).encode(),
        headers={"X-Forwarded-For": address},
    )
    try:
        with urllib.request.build_opener(_NoRedirect()).open(request, timeout=60) as answer:
            return answer.status, ""
    except urllib.error.HTTPError as answer:  # a redirect, not followed, or an error
        return answer.code, answer.headers.get("Location") or ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


def _all_at_once(guesses: list[tuple[str, str, str]], base: str) -> list[int]:
    statuses: list[int] = []
    start = threading.Barrier(len(guesses))
    lock = threading.Lock()

    def send(username, password, address):
        start.wait()
        status, _location = _post(base, username, password, address)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=send, args=guess) for guess in guesses]
    with own_sessions():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return statuses


def _count(app, action: Action, address: str) -> int:
    with own_sessions(), app.app_context():
        query = select(func.count(AuditEntry.id)).where(
            AuditEntry.action == action, AuditEntry.ip == address
        )
        return db.session.scalar(query)


def test_guesses_at_one_account_all_at_once_get_five_checks(guessed, frozen_clock):
    app, base, usernames = guessed
    target = usernames[-1]
    address = "198.51.100.7"

    statuses = _all_at_once([(target, "a wrong guess", address)] * AT_ONCE, base)

    assert statuses == [200] * AT_ONCE
    assert _count(app, Action.LOGIN_FAILED, address) == 5
    assert _count(app, Action.LOCKOUT, address) == AT_ONCE - 5
    assert _guess(base, target, PASSWORD, "198.51.100.8") == (200, "")  # held back
    frozen_clock.advance(seconds=1)
    assert _guess(base, target, PASSWORD, "198.51.100.8") == (302, "/")


def test_guesses_from_one_address_all_at_once_get_ten_checks(guessed, frozen_clock):
    app, base, usernames = guessed
    address = "203.0.113.9"

    guesses = [(username, "a wrong guess", address) for username in usernames[:AT_ONCE]]
    statuses = _all_at_once(guesses, base)

    assert statuses == [200] * AT_ONCE
    assert _count(app, Action.LOGIN_FAILED, address) == 10
    assert _count(app, Action.LOCKOUT, address) == AT_ONCE - 10
