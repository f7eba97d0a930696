"""Apps on databases of their own for the operations tests, and what they hold."""

import os
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

from reintegration import create_app
from reintegration.extensions import db
from reintegration.operations.schema import Facts, facts
from tests.own_database import SETTINGS, race_database

on_postgresql = bool(os.environ.get("DATABASE_URL"))
needs_postgresql = pytest.mark.skipif(
    not on_postgresql, reason="needs the PostgreSQL server of the test run (DATABASE_URL)"
)
needs_sqlite = pytest.mark.skipif(on_postgresql, reason="SQLite only")


@contextmanager
def app_on_new_database(tmp_path_factory, suffix: str, **settings):
    """The app on a database of its own, new: no schema unless AUTO_MIGRATE=True is given.
    Its backup folder (where a restore keeps its working copy) is a temporary one."""
    folder = str(tmp_path_factory.mktemp(f"{suffix}-backups") / "backups")
    with race_database(tmp_path_factory, suffix) as url:
        app = create_app({**SETTINGS, "DATABASE_URL": url, "BACKUP_FOLDER": folder, **settings})
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


def invoke(app, *args: str):
    """``flask --app wsgi <args>`` on ``app`` (the tests' own app context set aside)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def facts_of(app) -> Facts:
    with app.app_context(), db.engine.connect() as connection:
        return facts(connection)


def postgresql_url(tmp_suffix: str) -> str:
    """Beside the run's PostgreSQL test database, the URL of one named ``<it>_<suffix>``."""
    url = make_url(os.environ["DATABASE_URL"])
    return url.set(database=f"{url.database}_{tmp_suffix}").render_as_string(hide_password=False)
