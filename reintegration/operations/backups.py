"""Backups: one portable SQLite file per backup, consistent while the app runs, verified.

- SQLite: SQLite's online backup API copies the database as one snapshot, pages still in the
  ``-wal`` file included (a plain copy of the file misses them).
- PostgreSQL: the rows are read through the app's own connection in one REPEATABLE READ, read
  only transaction and written into a new SQLite file migrated to the same revision
  (``copying.copy_tables``), so every backup is the same kind of file and restores anywhere.

The counts per table and the audit log's digest are read in the same snapshot as the copy,
then read again from the written file; the file gets its final name only when they match.
Backups hold names: their folder is 0700 and each file 0600.
"""

import contextlib
import glob
import logging
import os
import re
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError

from .. import clock
from ..database import BUSY_TIMEOUT_MS, writing
from ..extensions import db
from . import runs
from .copying import copy_tables
from .schema import (
    Facts,
    compare,
    copy_sqlite,
    facts,
    new_database_file,
    revision_of,
    sqlite_url,
)

log = logging.getLogger(__name__)

PREFIX = "reintegration-"
_NAME = re.compile(r"reintegration-\d{8}T\d{6}Z-rev[\w]+\.db")


class BackupFailed(Exception):
    """The backup could not be made or did not verify; no file was kept."""


@dataclass(frozen=True)
class Backup:
    path: str
    size: int
    facts: Facts

    @property
    def revision(self) -> str | None:
        return self.facts.revision


def backup_folder(app: Flask) -> str:
    return app.config.get("BACKUP_FOLDER") or os.path.join(app.instance_path, "backups")


def backup_name(at: datetime, revision: str) -> str:
    return f"{PREFIX}{at:%Y%m%dT%H%M%S}Z-rev{revision}.db"


def make_backup(app: Flask | None = None) -> Backup:
    """A verified backup of the app's database in the backup folder (in an app context)."""
    # current_app is typed as the app itself, not as the proxy to it.
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with db.engine.connect() as connection:
        revision = revision_of(connection)
    with runs.recorded(runs.BACKUP, schema_revision=revision):
        return _make(app)


def _make(app: Flask) -> Backup:
    folder = private_folder(backup_folder(app))
    remove_left_behind(folder)
    at = clock.utcnow()
    partial = partial_path(folder, f"{PREFIX}{at:%Y%m%dT%H%M%S%f}")
    private_file(partial)
    try:
        if db.engine.dialect.name == "sqlite":
            snapshot = _sqlite_backup(partial)
        else:
            snapshot = _postgresql_dump(partial, app)
        single_file(partial)
        verify(partial, snapshot)
        path = os.path.join(folder, backup_name(at, snapshot.revision or "none"))
        os.replace(partial, path)
    except BaseException:
        remove(partial)
        raise
    return Backup(path, os.path.getsize(path), snapshot)


def _sqlite_backup(partial: str) -> Facts:
    """SQLite's online backup, from the connection whose read snapshot gave the facts."""
    with snapshot(db.engine) as connection:
        found = facts(connection)
        target = sqlite3.connect(partial)
        try:
            source = connection.connection.driver_connection
            if not isinstance(source, sqlite3.Connection):
                raise sqlite3.DatabaseError("no open SQLite connection to back up")
            source.backup(target)
        finally:
            target.close()
    return found


def _postgresql_dump(partial: str, app: Flask) -> Facts:
    with snapshot(db.engine) as source:
        found = facts(source)
        if found.revision is None:
            raise BackupFailed("the database has no schema revision: nothing to back up")
        copy_into_file(source, partial, found.revision, app)
    return found


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that reads one state of the database however long it reads, while
    others write: SQLite's read transaction (WAL), PostgreSQL's REPEATABLE READ."""
    if engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        with engine.connect().execution_options(**options) as connection, connection.begin():
            yield connection
        return
    with writing(False), engine.connect() as connection, connection.begin():
        yield connection


def copy_into_file(source: Connection, path: str, revision: str, app: Flask) -> None:
    """Rows of ``source`` into the SQLite file at ``path``, a new database at ``revision``."""
    new_database_file(path, revision, app)
    engine = create_engine(sqlite_url(path), hide_parameters=True)
    try:
        with writing():
            copy_tables(source, engine)
    finally:
        engine.dispose()


def copy_file(path: str, into: str) -> None:
    """A copy of the SQLite file at ``path`` (opened read only) by SQLite's backup API."""
    copy_sqlite(open_read_only(path), into)


def open_read_only(path: str) -> sqlite3.Connection:
    uri = f"file:{os.path.abspath(path)}?mode=ro"
    return sqlite3.connect(
        uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, factory=ReadOnlyConnection
    )


def single_file(path: str) -> None:
    """One self-contained file: SQLite's rollback journal rather than its write-ahead log."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def verify(path: str, expected: Facts) -> None:
    """The file opens, passes SQLite's integrity check and holds what the snapshot held."""
    problem = check_file(path, expected)
    if problem:
        raise BackupFailed(f"the written backup does not verify: {problem}")


def check_file(path: str, expected: Facts | None = None) -> str | None:
    """Why the SQLite file at ``path`` is not a sound copy of ``expected`` (None: it is)."""
    try:
        found = read_facts(path)
    except (sqlite3.Error, OSError) as error:
        return f"it does not open as a SQLite database ({type(error).__name__})"
    if found is None:
        return "SQLite's integrity check fails"
    if expected is None:
        return None
    return compare(expected, found)


def read_facts(path: str) -> Facts | None:
    """The facts of a SQLite file, opened read only; None if its integrity check fails."""
    engine = create_engine("sqlite://", creator=lambda: open_read_only(path))
    try:
        with engine.connect() as connection:
            # "ok" alone, or a row for each fault found.
            integrity = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
            return facts(connection) if integrity == "ok" else None
    except DBAPIError as error:
        raise sqlite3.DatabaseError(type(error.orig).__name__) from error
    finally:
        engine.dispose()


class ReadOnlyConnection(sqlite3.Connection):
    """A connection to a file opened read only. Its own class keeps it from the app's
    settings for new SQLite connections (reintegration/database.py), which would write: WAL
    mode would change the file, and fails on a read-only one."""


def backups_in(folder: str) -> list[str]:
    """The backups in ``folder``, oldest first (their names begin with their time)."""
    paths = glob.glob(os.path.join(glob.escape(folder), PREFIX + "*.db"))
    return sorted(path for path in paths if _NAME.fullmatch(os.path.basename(path)))


def keep_last(folder: str, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups; the paths deleted."""
    old = backups_in(folder)[:-keep] if keep > 0 else []
    for path in old:
        remove(path)
    return old


def nightly_backup(app: Flask | None = None) -> Backup:
    """The scheduler's backup: a new verified one first, then the oldest beyond BACKUP_KEEP."""
    # current_app is typed as the app itself, not as the proxy to it.
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    backup = make_backup(app)
    deleted = keep_last(os.path.dirname(backup.path), app.config["BACKUP_KEEP"])
    log.info(
        "nightly backup %s: %s bytes, %s rows; %s older backups deleted",
        os.path.basename(backup.path),
        backup.size,
        backup.facts.rows,
        len(deleted),
    )
    return backup


def private_folder(folder: str) -> str:
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def private_file(path: str) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def partial_path(folder: str, stem: str) -> str:
    """A file being written, hidden, named after the process writing it: one that died leaves
    it behind, and the next backup or restore removes it (``remove_left_behind``)."""
    return os.path.join(folder, f".{stem}@{socket.gethostname()}-{os.getpid()}{_PARTIAL}")


def remove_left_behind(folder: str) -> list[str]:
    """Remove the files being written by processes of this host that no longer run (killed
    midway: each a whole copy of the database), and any older than a day; those removed."""
    host, oldest = socket.gethostname(), time.time() - _LONGEST_SECONDS
    removed = []
    for found in glob.glob(os.path.join(glob.escape(folder), f".*{_PARTIAL}*")):
        path = found[: found.rindex(_PARTIAL) + len(_PARTIAL)]
        writer = os.path.basename(path).removesuffix(_PARTIAL).rpartition("@")[2]
        owner, _, pid = writer.rpartition("-")
        try:
            old = os.path.getmtime(found) < oldest
        except FileNotFoundError:
            continue
        if path not in removed and (old or (owner == host and pid.isdigit() and _gone(int(pid)))):
            remove(path)
            removed.append(path)
    return removed


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


_PARTIAL = ".partial"
_LONGEST_SECONDS = 24 * 3600


def remove(path: str) -> None:
    for leftover in (path, path + "-journal", path + "-wal", path + "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(leftover)
