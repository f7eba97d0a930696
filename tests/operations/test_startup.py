"""Migrations when the app starts: one process at a time, and a backup before any data is
migrated (SQLite), or a refusal without one (PostgreSQL)."""

import fcntl
import os
import subprocess
import sys
import time

import pytest
from flask_migrate import upgrade

from reintegration import create_app
from reintegration.audit.models import Action, AuditEntry
from reintegration.database import MIGRATIONS
from reintegration.extensions import db
from reintegration.keys.keyring import TEST_KEYS
from reintegration.operations.backups import backups_in, read_facts
from reintegration.operations.schema import head
from reintegration.operations.startup import LOCK_SUFFIX, MigrationRefused
from tests.own_database import SETTINGS, own_sessions, race_database

from .helpers import facts_of, invoke, needs_postgresql, needs_sqlite

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POLL_SECONDS = 0.05
PATIENCE_SECONDS = 90  # only reached when something hangs
GUNICORN_STARTS = 1  # four workers racing to migrate; the lock makes every start alike
GUNICORN = [sys.executable, "-m", "gunicorn", "--workers", "4", "--bind", "127.0.0.1:0"]
READY = "worker ready"
GUNICORN_CONFIG = f"""
def post_worker_init(worker):
    worker.log.info("{READY}")
"""


def _environment(instance) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    environment.update(
        REINTEGRATION_INSTANCE=str(instance), SECRET_KEY="test-secret", DATA_KEYS=TEST_KEYS
    )
    return environment


def _wait_for(condition, process) -> None:
    """A bounded poll of a real process: until ``condition()`` or the process ends."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)


def _revision(path) -> str | None:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "alembic_version" not in tables:
            return None
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]


@needs_sqlite
def test_four_gunicorn_workers_start_on_a_new_sqlite_database_every_time(tmp_path):
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(GUNICORN_CONFIG)
    for start in range(GUNICORN_STARTS):
        instance = tmp_path / f"instance-{start}"
        log = tmp_path / f"gunicorn-{start}.log"
        with open(log, "w") as output:
            server = subprocess.Popen(  # noqa: S603  (our own command)
                [*GUNICORN, "-c", str(config), "wsgi:app"],
                cwd=ROOT,
                env=_environment(instance),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_for(lambda log=log: log.read_text().count(READY) >= 4, server)
        finally:
            server.terminate()
            server.wait(PATIENCE_SECONDS)
        text = log.read_text()
        assert text.count(READY) == 4, text
        # SQLite's "database is locked" (not a migration's words, such as "locked_until").
        assert "is locked" not in text, text
        assert "Traceback" not in text, text
        assert _revision(instance / "reintegration.db") == head()


@needs_sqlite
def test_a_second_process_waits_for_the_migration_and_finds_the_schema_at_head(tmp_path):
    database = tmp_path / "reintegration.db"
    held = os.open(str(database) + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)  # another process migrating
    log = tmp_path / "start.log"
    try:
        with open(log, "w") as output:
            starting = subprocess.Popen(
                [sys.executable, "-c", "import wsgi"],
                cwd=ROOT,
                env=_environment(tmp_path),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        _wait_for(lambda: "waiting for it" in log.read_text(), starting)
        assert "another process is migrating the database; waiting for it" in log.read_text()
        assert starting.poll() is None
        assert not database.exists() or _revision(database) is None
    finally:
        os.close(held)
    assert starting.wait(PATIENCE_SECONDS) == 0, log.read_text()
    assert _revision(database) == head()


@pytest.fixture
def database_at_0009_with_data(tmp_path_factory):
    """A database made by the release before this one (schema 0009), with an officer's login."""
    with own_sessions(), race_database(tmp_path_factory, "ops_start") as url:
        older = create_app({**SETTINGS, "DATABASE_URL": url})
        with older.app_context():
            upgrade(directory=MIGRATIONS, revision="0009")
            # The table as it was at 0009, without the chain of later releases.
            entry = {"action": Action.LOGIN, "username": "officer"}
            db.session.execute(AuditEntry.__table__.insert().values(entry))
            db.session.commit()
            db.engine.dispose()
        yield url


@needs_sqlite
def test_a_sqlite_database_with_data_is_backed_up_before_it_is_migrated(
    database_at_0009_with_data, tmp_path, caplog
):
    folder = tmp_path / "backups"
    settings = {**SETTINGS, "DATABASE_URL": database_at_0009_with_data}

    started = create_app({**settings, "AUTO_MIGRATE": True, "BACKUP_FOLDER": str(folder)})

    (backup,) = backups_in(str(folder))
    assert backup.endswith("-rev0009.db")
    assert read_facts(backup).counts["audit_entries"] == 1
    assert f"backup before migrating from schema 0009: {backup}" in caplog.text
    with own_sessions():
        assert facts_of(started).revision == head()
        assert facts_of(started).counts["audit_entries"] == 1


@needs_sqlite
def test_a_new_sqlite_database_migrates_without_a_backup(tmp_path):
    folder = tmp_path / "backups"
    url = f"sqlite:///{tmp_path / 'new.db'}"
    started = create_app(
        {**SETTINGS, "DATABASE_URL": url, "AUTO_MIGRATE": True, "BACKUP_FOLDER": str(folder)}
    )
    with own_sessions():
        assert facts_of(started).revision == head()
    assert backups_in(str(folder)) == []


@needs_postgresql
def test_postgresql_with_data_is_migrated_only_after_a_backup(database_at_0009_with_data, tmp_path):
    folder = str(tmp_path / "backups")
    settings = {**SETTINGS, "DATABASE_URL": database_at_0009_with_data, "BACKUP_FOLDER": folder}
    with own_sessions():
        before = facts_of(create_app(settings))

        with pytest.raises(MigrationRefused) as refusal:
            create_app({**settings, "AUTO_MIGRATE": True})
        assert "`flask --app wsgi backup`" in str(refusal.value)
        assert "MIGRATE_WITHOUT_BACKUP=1" in str(refusal.value)
        assert facts_of(create_app(settings)) == before

        assert invoke(create_app(settings), "backup").exit_code == 0
        started = create_app({**settings, "AUTO_MIGRATE": True})
        assert facts_of(started).revision == head()


@needs_postgresql
def test_postgresql_migrates_without_a_backup_when_told(database_at_0009_with_data):
    settings = {**SETTINGS, "DATABASE_URL": database_at_0009_with_data}
    with own_sessions():
        started = create_app({**settings, "AUTO_MIGRATE": True, "MIGRATE_WITHOUT_BACKUP": True})
        assert facts_of(started).revision == head()
