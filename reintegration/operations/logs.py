"""What the app tells its operators: one line per event, in UTC, with the request it belongs to.

Every line carries a UTC timestamp, its level and a request id (``-`` outside a request). The id
comes from a proxy's ``X-Request-Id`` header when it is a plain token, or is made here; it is sent
back in the same header and shown on error pages, so a user reporting an error gives the line to
look for. Values a user typed never reach a line: the app's messages hold ids and counts, and an
unexpected error is logged as its type and where it happened, never its message (which may quote
a name).
"""

import logging
import re
import secrets
import time
import traceback

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
# A proxy's id is kept if it is a plain token: it is written to the log as it is.
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
FORMAT = "%(asctime)s %(levelname)-5s [%(request_id)s] %(name)s: %(message)s"


class UtcFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)

    def formatTime(self, record, datefmt=None):
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created))
        return f"{moment}.{int(record.msecs):03d}Z"


def request_id() -> str:
    if not has_request_context():
        return "-"
    given = g.get("request_id")
    if given is None:
        header = request.headers.get(REQUEST_ID_HEADER, "")
        given = header if _GIVEN_ID.fullmatch(header) else secrets.token_hex(8)
        g.request_id = given
    return given


_factory_installed = False


def _install_record_factory() -> None:
    """Every record, whichever logger and handler, knows its request: an operator's own
    logging configuration can print ``%(request_id)s`` too."""
    global _factory_installed
    if _factory_installed:
        return
    make = logging.getLogRecordFactory()

    def with_request_id(*args, **kwargs):
        record = make(*args, **kwargs)
        record.request_id = request_id()
        return record

    logging.setLogRecordFactory(with_request_id)
    _factory_installed = True


def init_app(app: Flask) -> None:
    """The app's messages at INFO, and every library's warnings, on stderr, unless the server's
    logging is configured; tests leave them to pytest, which still sees each record's request
    id."""
    _install_record_factory()
    for name in ("reintegration", "alembic"):  # the app's lines, and the migrations' at start
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # its set-up, each run
    root = logging.getLogger()
    if not (app.testing or root.handlers):
        # On the root logger: the libraries' warnings (the scheduler's, the database
        # driver's) come out in the same form.
        handler = logging.StreamHandler()
        handler.setFormatter(UtcFormatter(FORMAT))
        root.addHandler(handler)

    @app.before_request
    def name_request():
        request_id()

    @app.after_request
    def send_request_id(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response

    # Replaced on this app alone, as Flask lets an app do; its types call it a method.
    app.log_exception = lambda exc_info: log_unexpected(app, exc_info)  # type: ignore[method-assign]


def log_unexpected(app: Flask, exc_info) -> None:
    """An unexpected error, logged once: its type and where it happened, not its message."""
    kind, _error, trace = exc_info
    where = "".join(traceback.format_tb(trace))
    app.logger.error(
        "Unexpected %s at %s %s\n%s", kind.__name__, request.method, request.endpoint, where
    )
