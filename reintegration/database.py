"""Database engine settings and migrations that run on start."""

import os
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, has_request_context, request
from flask_migrate import upgrade
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

# Whether SQLite transactions begin IMMEDIATE, when the code says so rather than the request:
# a command or a scheduled job that writes (True), a long export that only reads (False).
_writing: ContextVar[bool | None] = ContextVar("writing", default=None)


@contextmanager
def writing(on: bool = True):
    """The transactions begun inside take SQLite's write lock at once (``on``), or only when
    they first write (not ``on``: a long read in a POST need not hold up other saves)."""
    token = _writing.set(on)
    try:
        yield
    finally:
        _writing.reset(token)


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
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection):
    """On SQLite, a request that may write takes the write lock as its transaction begins.

    Two such requests then wait for each other (busy_timeout) and the second reads what the
    first wrote, instead of failing with "database is locked" when it tries to write on an
    older snapshot. Readers are not held up (WAL).
    """
    if connection.dialect.name == "sqlite":
        immediate = _writing.get()
        if immediate is None:
            immediate = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def insert(model):
    """INSERT that knows ON CONFLICT, on SQLite as on PostgreSQL."""
    from sqlalchemy.dialects import postgresql, sqlite

    from .extensions import db

    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def migrate_on_start(app: Flask) -> None:
    """Bring the database to the newest schema; one process at a time on PostgreSQL."""
    from .extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(748201)"))
                try:
                    upgrade(directory=MIGRATIONS)
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(748201)"))
                    connection.commit()
        else:
            os.makedirs(app.instance_path, exist_ok=True)
            upgrade(directory=MIGRATIONS)
