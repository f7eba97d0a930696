"""Sessions kept on the server: begun at login, checked on every request, ended by a logout, a
password or role change, an administrator, the user from their list of sessions, or time.

The signed cookie carries a random token (256 bits); the table keeps its SHA-256 digest
(session_models.py), so a cookie copied before a logout opens nothing after it, and a copy of
the database opens no session.

What a request costs:
- one indexed read, the row of the cookie's token (``refusal``, before the view);
- "last seen" written at most once a minute, after the page is made, in a short transaction of
  its own (``note_activity``): on SQLite a page only reads (reintegration/database.py). When the
  database is busy the write is skipped, never an error page; a later request makes it. The
  idle time counts from the last "last seen" written, so it may end a session up to a minute
  early, never late.

Old rows are deleted when someone logs in: rows are only made by logins, so that is enough to
keep the table small.
"""

import hashlib
import logging
import re
import secrets
from datetime import timedelta

from flask import abort, current_app, g, request, session
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..database import begins_writing, rowcount, writing
from ..extensions import db
from .session_models import EndReason, UserSession

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
# The key of the token in Flask's signed cookie.
COOKIE_KEY = "sid"
# "Last seen" is written when it is at least this old.
ACTIVITY_STEP = timedelta(minutes=1)
# Ended and expired sessions are deleted this long after they were last seen.
KEPT = timedelta(days=7)

_CURRENT = "session_row_id"
_SEEN = "session_seen_due"
_EXPIRED = "session_expired"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def limits() -> tuple[timedelta, timedelta]:
    """How long a session lasts without a request, and at most after the login."""
    config = current_app.config
    return (
        timedelta(minutes=config["SESSION_MINUTES"]),
        timedelta(hours=config["SESSION_MAX_HOURS"]),
    )


def open_now():
    return UserSession.open_at(clock.utcnow(), *limits())


# Device


# The first token found names the browser: Edge, Opera, Cốc Cốc and Samsung Internet also say
# "Chrome" and "Safari", Chrome says "Safari".
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("coc_coc_browser", "Cốc Cốc"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Zalo", "Zalo"),
    ("FxiOS", "Firefox"),
    ("Firefox", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Version", "Safari"),
)
# Android says "Linux", iPhones and iPads say "Mac OS X".
_SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> tuple[str, str]:
    """(browser, system) named by a User-Agent, "" for what it does not say."""
    browser = next(
        (name for token, name in _BROWSERS if re.search(rf"\b{token}\w*/", user_agent)), ""
    )
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    return browser, system


# Beginning, checking


def begin(user_id: int) -> None:
    """A new session for the user, its token put in the cookie.

    Called by ``auth.views.start_session`` once the login's outcome is committed: the row is
    written in a short transaction of its own, that takes SQLite's write lock as it begins, with
    the deletion of old rows.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.utcnow()
    browser, system = describe_device(request.user_agent.string or "")
    # A short transaction of its own, on purpose (not the request's one commit): the session's
    # row and the sweep of old rows take SQLite's write lock only for as long as they write.
    db.session.commit()  # ends the request's reads
    with writing():
        db.session.execute(
            delete(UserSession).where(
                UserSession.last_seen_at < now - KEPT, ~UserSession.open_at(now, *limits())
            )
        )
        db.session.add(
            UserSession(
                token_digest=digest(token),
                user_id=user_id,
                started_at=now,
                last_seen_at=now,
                browser=browser,
                system=system,
            )
        )
        db.session.commit()
    session[COOKIE_KEY] = token


def _row_of_cookie() -> UserSession | None:
    token = session.get(COOKIE_KEY)
    if not isinstance(token, str):
        return None  # a session of a release before sessions were kept on the server
    return db.session.scalar(select(UserSession).where(UserSession.token_digest == digest(token)))


def refusal(user_id: int) -> str | None:
    """Before a request of a logged-in user: None while the cookie's session is open, or the
    message that asks the user to log in again."""
    row = _row_of_cookie()
    if row is None or row.user_id != user_id:
        return _("Your session has ended. Log in again.")
    now = clock.utcnow()
    closed = row.closed_because(now, *limits())
    if closed is None:
        g.setdefault(_CURRENT, row.id)
        if now - row.last_seen_at >= ACTIVITY_STEP:
            g.setdefault(_SEEN, row.id)
        return None
    if closed == "ended":
        return _("Your session has ended. Log in again.")
    g.setdefault(_EXPIRED, row.id)
    if closed == "idle":
        return _("Your session expired after a while without activity. Log in again.")
    return _(
        "Your session ended %(hours)s hours after you logged in, however active. Log in again.",
        hours=current_app.config["SESSION_MAX_HOURS"],
    )


def current_id() -> int | None:
    """The id of this request's session (once ``refusal`` let it through)."""
    return g.get(_CURRENT)


def note_activity(response):
    """After-request hook: "last seen" of this request's session, or the end of an expired one,
    in a short transaction of its own. Skipped, never an error, when it cannot be written now:
    a POST that did not commit (refused and rolled back, unit_of_work.py: its transactions still
    begin writing), a failed request, a busy database."""
    seen, expired = g.pop(_SEEN, None), g.pop(_EXPIRED, None)
    if (seen is None and expired is None) or response.status_code >= 500 or begins_writing():
        return response
    # Why a page that only reads writes: "last seen" keeps an active session open
    # (SESSION_MINUTES), and an expired one is closed for good. A short transaction of its own,
    # on purpose, after the request's commit (unit_of_work.py): a GET's own transaction never
    # takes SQLite's write lock, and a "last seen" that cannot be written costs nothing.
    now = clock.utcnow()
    try:
        db.session.commit()  # ends the page's reads
        with writing():
            if seen is not None:
                # Two requests of one session at once: the second finds it written.
                _update(
                    (UserSession.id == seen) & (UserSession.last_seen_at <= now - ACTIVITY_STEP),
                    last_seen_at=now,
                )
            if expired is not None:
                _update(UserSession.id == expired, ended_at=now, end_reason=EndReason.EXPIRED)
            db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.info(
            "a session's activity was not written (%s); a later request writes it",
            type(error).__name__,
        )
    return response


# Ending


def _update(where, **values) -> int:
    """Change the sessions ``where`` that have not ended (an end is never undone)."""
    return rowcount(
        db.session.execute(
            update(UserSession)
            .where(where, UserSession.ended_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )


def _end(where, reason: EndReason) -> int:
    return _update(where, ended_at=clock.utcnow(), end_reason=reason)


def end_current(reason: EndReason) -> None:
    """End the session of this request's cookie (a logout). The caller commits."""
    token = session.get(COOKIE_KEY)
    if isinstance(token, str):
        _end(UserSession.token_digest == digest(token), reason)


def end_all(user_id: int, reason: EndReason, keep_current: bool = False) -> int:
    """End the user's sessions (``keep_current``: but this request's). The caller commits."""
    where = UserSession.user_id == user_id
    token = session.get(COOKIE_KEY) if keep_current else None
    if isinstance(token, str):
        where = where & (UserSession.token_digest != digest(token))
    return _end(where, reason)


def end_one(row: UserSession, reason: EndReason) -> bool:
    """End one session; False when it had already ended. The caller commits."""
    return _end(UserSession.id == row.id, reason) == 1


# Listing


def open_sessions(user_id: int) -> list[UserSession]:
    """The user's open sessions, the most recently seen first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id, open_now())
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def own_session_or_404(user_id: int, session_id: int) -> UserSession:
    """One of the user's own sessions; another user's answers 404, as if it did not exist."""
    row = db.session.scalar(
        select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user_id)
    )
    if row is None:
        abort(404)
    return row
