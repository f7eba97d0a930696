"""Migrations when the app starts: one process at a time, and never without a backup.

- One process migrates while the others wait: PostgreSQL's advisory lock, or on SQLite an
  exclusive ``flock`` on a file beside the database (``<database>.migrate-lock``). The others
  then find the schema at head and go on (gunicorn's workers all start at once).
- A database holding data is backed up before it is migrated. On SQLite the app does it
  (``backups.make_backup``) and logs where. On PostgreSQL, where the database may be large and
  its backups are the operator's, it refuses to migrate unless a backup was made at the
  current revision within the last day (``flask --app wsgi backup``, recorded in task_runs or
  found in the backup folder) or MIGRATE_WITHOUT_BACKUP is set (a pg_dump was taken).
- An empty database (a new install: no rows beyond what the migrations themselves insert)
  migrates at once.
"""

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from .. import clock
from ..database import MIGRATIONS
from ..extensions import db
from .backups import backup_folder, backups_in, make_backup
from .runs import last_backup_at
from .schema import head, is_known, revision_of, rows_beyond_migrations

log = logging.getLogger(__name__)

ADVISORY_LOCK = 748201
LOCK_SUFFIX = ".migrate-lock"
# A backup older than this does not count as the one taken before an upgrade.
RECENT_BACKUP = timedelta(hours=24)


class MigrationRefused(RuntimeError):
    """The app does not start: migrating now could lose data no backup holds."""


def migrate_on_start(app: Flask) -> None:
    """Bring the database to the newest schema (see the module's notes)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execute(text(f"SELECT pg_advisory_lock({ADVISORY_LOCK})"))
                try:
                    _migrate(app)
                finally:
                    connection.execute(text(f"SELECT pg_advisory_unlock({ADVISORY_LOCK})"))
                    connection.commit()
        else:
            os.makedirs(app.instance_path, exist_ok=True)
            with migration_lock(db.engine.url.database):
                _migrate(app)


@contextmanager
def migration_lock(database: str | None) -> Iterator[None]:
    """An exclusive lock on the file beside a SQLite database; waits for its holder."""
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    descriptor = os.open(os.path.abspath(database) + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another process is migrating the database; waiting for it")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing lets go of the lock


def _migrate(app: Flask) -> None:
    target = head()
    with db.engine.connect() as connection:
        current = revision_of(connection)
        if current == target:
            return
        if current is not None and not is_known(current):
            raise MigrationRefused(
                f"The database is at schema revision {current}, which this release does not "
                f"know (its newest is {target}): it was made by a newer release. Run that "
                "release, or restore a backup made by this one (docs/backups.md)."
            )
        holds_data = bool(rows_beyond_migrations(connection, app))
    if holds_data:
        _backed_up(app, current)
    log.info("migrating the database from schema %s to %s", current or "(none)", target)
    upgrade(directory=MIGRATIONS)


def _backed_up(app: Flask, current: str | None) -> None:
    if db.engine.dialect.name == "sqlite":
        backup = make_backup(app)
        log.warning(
            "backup before migrating from schema %s: %s (%s bytes); restore it with "
            "`flask --app wsgi restore` to go back to this release",
            current,
            backup.path,
            backup.size,
        )
        return
    if app.config["MIGRATE_WITHOUT_BACKUP"]:
        log.warning("migrating from schema %s without a backup (MIGRATE_WITHOUT_BACKUP)", current)
        return
    # A database without a schema revision matches a backup recorded without one.
    made = _recent_backup(app, current)
    if made is None:
        raise MigrationRefused(
            f"The database is at schema revision {current} and this release migrates it to "
            f"{head()}. Take a backup first, with the new release installed: "
            "`flask --app wsgi backup`, then start the app again. When a "
            "pg_dump of the database was taken instead, start it with "
            "MIGRATE_WITHOUT_BACKUP=1 (docs/backups.md)."
        )
    log.info("migrating from schema %s after the backup %s", current, made)


def _recent_backup(app: Flask, revision: str | None) -> str | None:
    """Where a backup at ``revision`` of the last day is: recorded, or in the backup folder."""
    since = clock.utcnow() - RECENT_BACKUP
    with db.engine.connect() as connection:
        recorded = last_backup_at(revision, connection)
    if recorded is not None and recorded >= since:
        return f"recorded at {recorded:%Y-%m-%d %H:%M} UTC"
    for path in reversed(backups_in(backup_folder(app))):
        if path.endswith(f"-rev{revision}.db") and os.path.getmtime(path) >= since.timestamp():
            return path
    return None
