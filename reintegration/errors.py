"""Domain errors and the friendly error pages."""

import logging

from flask import Flask, render_template, request
from sqlalchemy.exc import DataError, OperationalError

from .database import writing
from .extensions import db

log = logging.getLogger(__name__)


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
    app.register_error_handler(OperationalError, database_busy)


def database_busy(error: OperationalError):
    """SQLite's write lock held longer than a save waits for it (``database.BUSY_TIMEOUT_MS``):
    the save was rolled back, so the page says that nothing was saved and to try again, rather
    than that something went wrong. Any other database failure is the ordinary error page."""
    db.session.rollback()
    with writing(False):  # the page reads the user again: it must not wait for the lock too
        if "database is locked" not in str(error.orig):
            log.error("Database error at %s %s", request.method, request.endpoint, exc_info=error)
            return render_template("errors/500.html"), 500
        log.warning("The database stayed locked at %s %s", request.method, request.endpoint)
        return render_template("errors/503.html"), 503


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
