"""An app on a database of its own, for tests that need real commits seen by other connections
(races, many people at once, a real server), which the rolled-back transaction of every other
test cannot give.
"""

import os
from contextlib import contextmanager

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from reintegration import create_app, database
from reintegration.database import MIGRATIONS
from reintegration.extensions import db

SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "AUTO_MIGRATE": False,
    "WTF_CSRF_ENABLED": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 64,
}


def on_server(url: str, statement: str) -> None:
    """Run ``statement`` outside a transaction (CREATE/DROP DATABASE) on the test server."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def race_database(tmp_path_factory, suffix: str = "race"):
    """A SQLite file, or beside the PostgreSQL test database one named ``<it>_<suffix>``."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path_factory.mktemp(suffix) / f"{suffix}.db")
        return
    test_url = make_url(url)
    name = f"{test_url.database}_{suffix}"
    on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    on_server(url, f'CREATE DATABASE "{name}"')
    try:
        yield test_url.set(database=name).render_as_string(hide_password=False)
    finally:
        on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def own_sessions():
    """Flask-SQLAlchemy's own ``db.session``, one session per app context as in production.

    tests/conftest.py points ``db.session`` at the rolled-back connection of the main test
    database for every test; these tests must commit, on their own database.
    """
    test_sessions = db.session
    db.session = db._make_scoped_session({})
    try:
        yield
    finally:
        db.session = test_sessions


@contextmanager
def app_on_own_database(tmp_path_factory, suffix: str, busy_ms: int | None = None, **settings):
    """The app with the tests' settings (and ``settings``) on a migrated database of its own.

    ``busy_ms``: how long SQLite waits for another connection's write lock, for tests where a
    request held up where it should not be must fail at once rather than after 20 s.
    """
    with pytest.MonkeyPatch.context() as patch:
        if busy_ms is not None:
            patch.setattr(database, "BUSY_TIMEOUT_MS", busy_ms)
        with _migrated_app(tmp_path_factory, suffix, settings) as app:
            yield app


@contextmanager
def _migrated_app(tmp_path_factory, suffix: str, settings: dict):
    with race_database(tmp_path_factory, suffix) as url:
        app = create_app({**SETTINGS, "DATABASE_URL": url, **settings})
        with own_sessions(), app.app_context():
            upgrade(directory=MIGRATIONS)
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()
