"""Domain errors and the friendly error pages."""

import contextlib
import logging

from flask import Flask, g, render_template, request
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .database import writing
from .extensions import db, login

log = logging.getLogger(__name__)

# SQLite's words for a database file it cannot reach or write at all.
_SQLITE_UNREACHABLE = (
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
    "readonly database",
)
# PostgreSQL's classes of errors that say the server, not the request, is at fault: connection
# exceptions, insufficient resources, operator intervention (a restart), system errors.
_SERVER_SQLSTATES = ("08", "53", "57", "58")


class DomainError(Exception):
    """A rule refused the change. ``field`` names the form field the message belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def register_errorhandlers(app: Flask) -> None:
    def render(code: int):
        def handler(_error):
            return render_template(f"errors/{code}.html"), code

        return handler

    for code in (400, 403, 404, 405, 500):
        app.register_error_handler(code, render(code))
    app.register_error_handler(DataError, value_not_stored)
    app.register_error_handler(OverflowError, value_not_stored)
    app.register_error_handler(OperationalError, database_failed)
    app.register_error_handler(PoolTimeout, database_failed)


def unreachable(error: Exception) -> bool:
    """Whether the database itself failed (down, restarting, its disk), not the request."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    state = getattr(original, "sqlstate", None)
    if state is not None:
        return state.startswith(_SERVER_SQLSTATES)
    if type(original).__module__.startswith("psycopg"):
        return True  # no SQLSTATE: the connection itself failed (refused, reset, timed out)
    return str(original).lower().startswith(_SQLITE_UNREACHABLE)


def database_failed(error: Exception):
    if unreachable(error):
        return database_unavailable(error)
    if "database is locked" in str(getattr(error, "orig", "")):
        return database_busy(error)
    raise error  # a fault of the app's own (a missing table...): the unexpected error's page


def database_busy(error: Exception):
    """SQLite's write lock held longer than a save waits for it (``database.BUSY_TIMEOUT_MS``):
    the save was rolled back, so the page says that nothing was saved and to try again, rather
    than that something went wrong."""
    if unreachable(error):
        return database_unavailable(error)
    db.session.rollback()
    with writing(False):  # the page reads the user again: it must not wait for the lock too
        log.warning("The database stayed locked at %s %s", request.method, request.endpoint)
        return render_template("errors/503.html"), 503


def database_unavailable(error: Exception):
    """The database cannot be reached (an outage, a restart): one line in the log for each
    request that met it, not a traceback each, and a page that says the service is unavailable
    and that nothing was saved. The page reads nothing from the database: it is anonymous
    unless the user was already loaded, and plain."""
    with contextlib.suppress(Exception):
        db.session.rollback()
    if "_login_user" not in g:
        login._update_request_context_with_user()  # anonymous: loading the user needs the database
    log.warning(
        "The database is unreachable (%s) at %s %s",
        type(getattr(error, "orig", None) or error).__name__,
        request.method,
        request.endpoint,
    )
    return render_template("errors/unavailable.html"), 503, {"Retry-After": "30"}


def value_not_stored(error: Exception):
    """The last line of defence: a value the database cannot hold (a NUL in a text on
    PostgreSQL, a number beyond its column) that a form should have refused. The request is
    answered as a bad one, and logged without the value (the exception's text quotes it) so the
    missing check can be found and added."""
    db.session.rollback()
    log.warning(
        "A value the database cannot hold reached it (%s) at %s %s: a form check is missing.",
        type(getattr(error, "orig", None) or error).__name__,
        request.method,
        request.endpoint,
    )
    return render_template("errors/400.html"), 400
