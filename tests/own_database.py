"""An app on a database of its own, for tests that need real commits seen by other connections
(races, many people at once, a real server), which the rolled-back transaction of every other
test cannot give.
"""

import os
import shutil
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
def race_database(tmp_path_factory, suffix: str = "race", template: str | None = None):
    """A SQLite file, or beside the PostgreSQL test database one named ``<it>_<suffix>``: empty,
    or a copy of ``template`` (a migrated database of the same kind, ``_template``)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        path = tmp_path_factory.mktemp(suffix) / f"{suffix}.db"
        if template is not None:
            shutil.copyfile(template, path)
        yield "sqlite:///" + str(path)
        return
    test_url = make_url(url)
    name = f"{test_url.database}_{suffix}"
    on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    copied = f' TEMPLATE "{template}"' if template is not None else ""
    on_server(url, f'CREATE DATABASE "{name}"{copied}')
    try:
        yield test_url.set(database=name).render_as_string(hide_password=False)
    finally:
        on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The migrated database that the apps on a database of their own start from, made once per run:
# a file (SQLite) or a database's name (PostgreSQL). Migrating every release takes seconds, a
# copy a fraction of one.
_templates: dict[str, str] = {}
# Settings that change what a migration writes: an app with them migrates its own database.
_MIGRATION_SETTINGS = {"DATA_KEY_FILE", "DATA_KEYS"}


def _template(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL") or "sqlite"
    if url not in _templates:
        if url == "sqlite":
            path = str(tmp_path_factory.mktemp("template") / "template.db")
            _migrate("sqlite:///" + path)
            _templates[url] = path
        else:
            name = f"{make_url(url).database}_template"
            on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            on_server(url, f'CREATE DATABASE "{name}"')
            _migrate(make_url(url).set(database=name).render_as_string(hide_password=False))
            _templates[url] = name
    return _templates[url]


def _migrate(url: str) -> None:
    app = create_app({**SETTINGS, "DATABASE_URL": url})
    with own_sessions(), app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()  # no connection left: a template is copied only when unused


def drop_templates() -> None:
    """At the end of the run: the PostgreSQL template made for it."""
    for url, template in _templates.items():
        if url != "sqlite":
            on_server(url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    _templates.clear()


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
    own_migration = bool(_MIGRATION_SETTINGS & set(settings))
    template = None if own_migration else _template(tmp_path_factory)
    with race_database(tmp_path_factory, suffix, template) as url:
        app = create_app({**SETTINGS, "DATABASE_URL": url, **settings})
        if own_migration:
            with own_sessions(), app.app_context():
                upgrade(directory=MIGRATIONS)
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()
