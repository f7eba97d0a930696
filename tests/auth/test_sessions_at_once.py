"""Server-side sessions on a real threaded server, committing for real on a database of the
test's own (SQLite file or PostgreSQL database): a copied cookie dies with the logout, and many
sessions writing "last seen" at once get no error page."""

import copy
import sqlite3
import threading
import urllib.request

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role, User
from reintegration.auth.session_models import UserSession
from reintegration.extensions import db
from tests.browsing import Browser, serving
from tests.conftest import PASSWORD, Factory
from tests.migrations.released import on_postgresql
from tests.own_database import app_on_own_database, own_sessions

PEOPLE = 6
ROUNDS = 4


@pytest.fixture(scope="module")
def server_app(tmp_path_factory):
    with app_on_own_database(
        tmp_path_factory,
        "sessions",
        WTF_CSRF_ENABLED=True,
        SESSION_COOKIE_SECURE=False,
        PROPAGATE_EXCEPTIONS=False,  # an exception is a 500 page, as in production
    ) as app:
        yield app


def _staff(app, group: str, count: int) -> list[str]:
    """``count`` shelter staff of a facility of their own, named after ``group``."""
    with own_sessions(), app.app_context():
        make = Factory()
        facility = make.facility("NA", code=group)
        names = [
            make.user(
                Role.SHELTER_STAFF, facility=facility, language="en", username=f"{group}{n}"
            ).username
            for n in range(count)
        ]
        db.session.commit()
        db.session.remove()
    return names


def _jar(browser: Browser):
    [processor] = [
        handler
        for handler in browser.opener.handlers
        if isinstance(handler, urllib.request.HTTPCookieProcessor)
    ]
    return processor.cookiejar


def _copy_of(browser: Browser) -> Browser:
    """Another computer, with a copy of ``browser``'s cookies."""
    thief = Browser(browser.base)
    for cookie in _jar(browser):
        _jar(thief).set_cookie(copy.copy(cookie))
    return thief


def _log_out(browser: Browser):
    return browser.post("/logout", browser.get("/cases/").form("/logout"))


def _sessions_of(app, username: str) -> list[UserSession]:
    with own_sessions(), app.app_context():
        rows = db.session.scalars(
            select(UserSession)
            .join(User, User.id == UserSession.user_id)
            .where(User.username == username)
            .order_by(UserSession.id)
        ).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def test_a_cookie_copied_before_logout_opens_nothing_on_a_real_server(server_app):
    [username] = _staff(server_app, "copied", 1)
    with own_sessions(), serving(server_app) as base:
        owner = Browser(base)
        owner.login(username, PASSWORD)
        thief = _copy_of(owner)
        assert thief.get("/cases/").path == "/cases/"

        assert _log_out(owner).path == "/login"

        refused = thief.get("/cases/")
        assert refused.path.startswith("/login")
        assert "Your session has ended. Log in again." in refused.text
        assert thief.get("/").path == "/login"


def test_many_sessions_at_once_write_last_seen_without_an_error_page(server_app, frozen_clock):
    names = _staff(server_app, "busy", PEOPLE)
    statuses: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    with own_sessions(), serving(server_app) as base:
        browsers = {name: Browser(base) for name in names}
        for name, browser in browsers.items():
            browser.login(name, PASSWORD)
        # Each person's second device, ended from the first while both are busy.
        second = {name: Browser(base) for name in names}
        for name, browser in second.items():
            browser.login(name, PASSWORD)
        frozen_clock.advance(minutes=2)  # every session's "last seen" is due
        start = threading.Barrier(PEOPLE * 2)

        def busy(browser: Browser, ends_the_others: bool):
            try:
                start.wait()
                for round_ in range(ROUNDS):
                    pages = [browser.get("/cases/"), browser.get("/account/sessions")]
                    if ends_the_others and round_ == 0:
                        form = pages[-1].form("/account/sessions/end-others")
                        pages.append(browser.post("/account/sessions/end-others", form))
                    with lock:
                        statuses.extend(s for page in pages for s in page.statuses)
            except BaseException as error:  # reported below
                with lock:
                    failures.append(error)

        threads = [threading.Thread(target=busy, args=(browsers[name], True)) for name in names] + [
            threading.Thread(target=busy, args=(second[name], False)) for name in names
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        still_in = [browsers[name].get("/cases/").path == "/cases/" for name in names]
        seconds_out = [second[name].get("/cases/").path.startswith("/login") for name in names]

    assert failures == []
    assert [status for status in statuses if status >= 500] == []
    assert still_in == [True] * PEOPLE
    assert seconds_out == [True] * PEOPLE
    for name in names:
        first, other = _sessions_of(server_app, name)
        assert first.ended_at is None
        assert first.last_seen_at == frozen_clock.now
        assert other.ended_at is not None


@pytest.fixture(scope="module")
def impatient_app(tmp_path_factory):
    """Waits a fifth of a second for SQLite's write lock, so a test can hold it."""
    with app_on_own_database(
        tmp_path_factory,
        "sessions_busy",
        busy_ms=200,
        SESSION_COOKIE_SECURE=False,
        PROPAGATE_EXCEPTIONS=False,
    ) as app:
        yield app


@pytest.mark.skipif(on_postgresql(), reason="SQLite's one writer; PostgreSQL locks rows")
def test_a_page_is_shown_while_another_holds_the_write_lock(impatient_app, frozen_clock):
    [username] = _staff(impatient_app, "locked", 1)
    began = frozen_clock.now
    database = impatient_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with own_sessions(), serving(impatient_app) as base:
        browser = Browser(base)
        browser.login(username, PASSWORD)
        frozen_clock.advance(minutes=2)  # "last seen" is due
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # a long save of someone else
        try:
            page = browser.get("/cases/")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        [skipped] = _sessions_of(impatient_app, username)
        after = browser.get("/cases/")
        [written] = _sessions_of(impatient_app, username)

    assert (page.path, page.statuses) == ("/cases/", [200])
    assert skipped.last_seen_at == began
    assert after.path == "/cases/"
    assert written.last_seen_at == frozen_clock.now
