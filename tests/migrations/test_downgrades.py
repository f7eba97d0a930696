"""A downgrade never destroys data silently: refused, with what it would lose, unless forced."""

from contextlib import contextmanager

from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from flask_migrate.cli import db as db_command
from sqlalchemy import create_engine, func, inspect, select, table, text

from reintegration import create_app
from reintegration.database import MIGRATIONS
from reintegration.extensions import db
from reintegration.operations.copying import copy_tables
from tests.own_database import SETTINGS, own_sessions, race_database

from .released import RELEASED, on_postgresql, revision_of, unpack

HEAD = ScriptDirectory(MIGRATIONS).get_current_head()
POPULATED = RELEASED[-1]


@contextmanager
def _app_on(url: str):
    app = create_app({**SETTINGS, "DATABASE_URL": url})
    try:
        with own_sessions(), app.app_context():
            yield app
    finally:
        with app.app_context():
            db.engine.dispose()


@contextmanager
def _populated_at_head(tmp_path, tmp_path_factory):
    """The newest released fixture's rows, upgraded to head, on the suite's kind of database."""
    database = unpack(POPULATED, tmp_path)
    if not on_postgresql():
        with _app_on(f"sqlite:///{database}") as app:
            upgrade(directory=MIGRATIONS)
            yield app
        return
    with race_database(tmp_path_factory, "downgrades") as url, _app_on(url) as app:
        upgrade(directory=MIGRATIONS, revision=revision_of(POPULATED))
        source = create_engine(f"sqlite:///{database}")
        copy_tables(source, db.engine)
        source.dispose()
        upgrade(directory=MIGRATIONS)
        yield app


def _state() -> tuple[str | None, dict[str, int]]:
    """The revision and each table's row count."""
    with db.engine.connect() as connection:
        counts = {
            name: connection.scalar(select(func.count()).select_from(table(name)))
            for name in inspect(connection).get_table_names()
        }
        version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return version, counts


def _downgrade(app, *arguments: str):
    return app.test_cli_runner().invoke(db_command, ["downgrade", *arguments])


def test_a_downgrade_that_would_lose_data_is_refused_and_changes_nothing(
    tmp_path, tmp_path_factory, caplog
):
    with _populated_at_head(tmp_path, tmp_path_factory) as app:
        before = _state()
        assert before[1]["reminders"] == 45

        refused = _downgrade(app, "base")

        assert refused.exit_code == 1
        said = refused.output + caplog.text  # Flask-Migrate logs the refusal as an error
        assert "would lose data" in said
        # The first loss on the way down: 0010's record of the fixture's reminder pass.
        assert "task_runs: 1 row" in said
        assert "flask --app wsgi restore" in said
        assert "-x force=yes" in said
        assert _state() == before


def test_an_empty_database_downgrades_step_by_step_without_force(tmp_path, tmp_path_factory):
    revisions = len(list(ScriptDirectory(MIGRATIONS).walk_revisions()))
    with race_database(tmp_path_factory, "empty") as url, _app_on(url):
        upgrade(directory=MIGRATIONS)

        for _step in range(revisions):
            downgrade(directory=MIGRATIONS, revision="-1")

        with db.engine.connect() as connection:
            assert inspect(connection).get_table_names() == ["alembic_version"]
            assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 0


def test_a_forced_downgrade_to_base_removes_every_table(tmp_path, tmp_path_factory):
    with _populated_at_head(tmp_path, tmp_path_factory) as app:
        forced = _downgrade(app, "base", "-x", "force=yes")

        assert forced.exit_code == 0, forced.output
        with db.engine.connect() as connection:
            assert inspect(connection).get_table_names() == ["alembic_version"]
            assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 0
            if connection.dialect.name == "sqlite":
                assert connection.scalar(text("PRAGMA foreign_keys")) == 1
