"""Database engine settings, transactions on SQLite, and migrations that run on start.

How a request uses SQLite's one writer (PostgreSQL needs none of this):

- A transaction that will write takes the write lock as it begins (``BEGIN IMMEDIATE``), so
  two writers wait for each other (``busy_timeout``) and the second reads what the first wrote.
  A transaction begun without it (``BEGIN``) that reads and then writes fails at once with
  "database is locked" when another connection committed in between: waiting cannot help, since
  its snapshot is already old. So whether a transaction writes is decided before it begins.
- A request that only reads never takes the lock, so colleagues' saves do not queue behind
  it: GET and HEAD requests, and POST views marked ``reads_only`` (a search posted so the text
  stays out of addresses and logs).
- Other POST requests begin IMMEDIATE, until their commit (the request's one commit, after its
  view: ``unit_of_work``): what runs after the commit (after-request hooks, the user's own row
  read again) only reads, so it cannot wait on the lock, and nothing can turn a saved change
  into an error page.
- A GET that must write (a view of a case, written to the audit log) or a write after a commit
  says so with ``writing()``: ``audit.services`` writes the "viewed" entries after the page is
  made, in a short transaction of its own.
- Long work that reads (a workbook, a file of cases to check) runs under ``writing(False)``;
  when it must write to rehearse, it does so in short transactions, each holding the lock for a
  fraction of a second, so others wait briefly and never fail.

With ``TESTING`` on, a statement that writes inside a transaction begun without the lock is an
error, so the test suite finds every path that would fail under load on SQLite.
"""

import os
import re
import time
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import Session

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

# How long SQLite waits for another connection's write lock before giving up.
BUSY_TIMEOUT_MS = 20_000

# Whether SQLite transactions begin IMMEDIATE, when the code says so rather than the request:
# a command or a scheduled job that writes (True), a long export that only reads (False).
_writing: ContextVar[bool | None] = ContextVar("writing", default=None)

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_COMMITTED = "_database_committed"
_WRITES = "writes_expected"
_WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@contextmanager
def writing(on: bool = True):
    """The transactions begun inside take SQLite's write lock at once (``on``), or never hold
    it (not ``on``: a long read in a POST need not hold up other saves)."""
    token = _writing.set(on)
    try:
        yield
    finally:
        _writing.reset(token)


# SQLite's busy handler looks again at most every 100 ms; a pause a little longer lets a
# writer that waits see the lock free.
_LONGEST_POLL_SECONDS = 0.12


def let_waiting_writers_in(connection_dialect: str) -> None:
    """Between two short write transactions of one long task (on SQLite): the waiting writers
    poll for the lock, so a task that takes it again at once would win every time, and a
    colleague's save would wait for the whole task. A pause longer than their longest poll lets
    the first of them in."""
    if connection_dialect == "sqlite":
        time.sleep(_LONGEST_POLL_SECONDS)


def reads_only(view):
    """Mark a POST view that only reads: none of its request's transactions, the user's own
    row read before the view included, takes SQLite's write lock."""
    view.reads_only = True
    return view


def begins_writing() -> bool:
    """Whether a transaction beginning now is one that may write (see the module's notes)."""
    chosen = _writing.get()
    if chosen is not None:
        return chosen
    if not has_request_context() or g.get(_COMMITTED) or request.method in _READ_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "reads_only", False)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record):
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # Let SQLAlchemy, not the driver, begin transactions, so SAVEPOINT works (see the
    # SQLAlchemy pysqlite notes on serializable isolation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection):
    writes = connection.info[_WRITES] = begins_writing()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@event.listens_for(Session, "after_begin")
def _note_whether_writes_expected(_session, _transaction, connection):
    # Also where a session joins a transaction already begun (the tests' savepoints).
    connection.info[_WRITES] = begins_writing()


@event.listens_for(Session, "after_commit")
def _note_commit(session):
    if has_request_context() and not session.in_nested_transaction():
        g.setdefault(_COMMITTED, True)


def init_app(app: Flask) -> None:
    """With ``TESTING``, watch each request from its first hook to its last for writes in a
    transaction begun to read (a test's own setup code is not watched)."""
    if not app.testing:
        return
    app.before_request_funcs.setdefault(None, []).insert(0, _watch)
    app.after_request(_unwatch)  # registered first of the app's, so it runs last


_WATCHED = "_database_watched"


def _watch() -> None:
    g.setdefault(_WATCHED, True)


def _unwatch(response):
    g.pop(_WATCHED, None)
    return response


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_unplanned_writes(connection, _cursor, statement, _parameters, _context, _many):
    """In tests, a write where the transaction did not expect one (see the module's notes)."""
    if (
        connection.info.get(_WRITES) is False
        and has_request_context()
        and g.get(_WATCHED)
        and _WRITE_STATEMENT.match(statement)
    ):
        raise AssertionError(
            f"{request.method} {request.endpoint} writes in a transaction begun to read only: "
            "on SQLite it can fail when a colleague saves at the same moment. Write under "
            "database.writing(), or mark a read-only view reads_only."
        )


def insert(model):
    """INSERT that knows ON CONFLICT, on SQLite as on PostgreSQL."""
    from sqlalchemy.dialects import postgresql, sqlite

    from .extensions import db

    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def rowcount(result: Result) -> int:
    """The rows an UPDATE or DELETE run through the session matched. The session types its
    results as ``Result``; theirs is a ``CursorResult``, the one that counts rows."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} counts no rows")
    return result.rowcount
