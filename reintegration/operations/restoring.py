"""Restoring a backup into an empty database, the app's configured one (SQLite or PostgreSQL).

Every check comes before the first change: the file exists and is a sound SQLite backup of
this app (schema revision, audit log), of a schema this release knows, and the database holds
nothing beyond the reference data its migrations insert. Then the database is migrated to the
backup's revision (or the backup's rows are brought to the database's, when the app already
migrated it further), the rows are copied (``copying.copy_tables``), counts and the audit
log's digest are compared with the backup's, and the database is upgraded to head unless told
not to.
"""

import os
import secrets
from dataclasses import dataclass

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine

from ..database import MIGRATIONS, writing
from ..extensions import db
from .backups import (
    backup_folder,
    copy_file,
    partial_path,
    private_file,
    private_folder,
    read_facts,
    remove,
    remove_left_behind,
)
from .copying import copy_tables
from .schema import (
    AUDIT_TABLE,
    CopyFailed,
    Facts,
    Refused,
    compare,
    facts,
    head,
    is_known,
    is_older,
    migrate,
    revision_of,
    rows_beyond_migrations,
    sqlite_url,
)

_SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Restored:
    backup: Facts  # what the file held
    restored: Facts  # what the database held after the copy, before any upgrade
    revision: str  # the database's revision at the end


def restore(path: str, app: Flask, to_head: bool = True) -> Restored:
    """Restore the backup at ``path`` into the app's database (in an app context)."""
    backup = backup_facts(path)
    target_revision = empty_target(app)
    folder = private_folder(backup_folder(app))
    remove_left_behind(folder)
    working = partial_path(folder, f"restore-{secrets.token_hex(8)}")
    private_file(working)
    try:
        copy_file(path, working)
        revision = backup.revision
        assert revision is not None, "backup_facts refuses a file without a schema revision"
        if target_revision is None or is_older(target_revision, revision):
            upgrade(directory=MIGRATIONS, revision=revision)
        elif is_older(revision, target_revision):
            # The app migrated the new database when the command started: bring the backup's
            # rows to the same schema rather than take the database back.
            migrate(sqlite_url(working), target_revision, app)
            revision = target_revision
        restored = _copy_verified(working)
    finally:
        remove(working)
    if to_head and revision != head():
        upgrade(directory=MIGRATIONS)
        revision = head()
    return Restored(backup, restored, revision)


def backup_facts(path: str) -> Facts:
    """The facts of a backup file, or Refused saying why it cannot be restored."""
    if not os.path.exists(path):
        raise Refused(f"{path}: no such file.")
    if not os.path.isfile(path):
        raise Refused(f"{path} is not a file.")
    with open(path, "rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise Refused(f"{path} is not a backup: it is not a SQLite database.")
    try:
        found = read_facts(path)
    except Exception as error:
        raise Refused(f"{path} does not open ({type(error).__name__}).") from error
    if found is None:
        raise Refused(f"{path} is damaged: SQLite's integrity check fails.")
    if found.revision is None or AUDIT_TABLE not in found.counts:
        raise Refused(
            f"{path} is not a backup of this app: it has no schema revision or audit log."
        )
    if not is_known(found.revision):
        raise Refused(
            f"{path} was made by a newer release (schema revision {found.revision}; this "
            f"release knows up to {head()}). Install that release to restore it."
        )
    return found


def empty_target(app: Flask) -> str | None:
    """The revision of the app's database, or Refused when it holds data."""
    with db.engine.connect() as connection:
        revision = revision_of(connection)
        if revision is not None and not is_known(revision):
            raise Refused(
                f"The database is at schema revision {revision}, which this release does "
                "not know: restore into a new, empty database."
            )
        held = rows_beyond_migrations(connection, app)
    if held:
        raise Refused(
            "The database is not empty ("
            + ", ".join(f"{table}: {count} rows" for table, count in sorted(held.items())[:5])
            + "). Restore into a new, empty database: nothing was changed."
        )
    return revision


def _copy_verified(working: str) -> Facts:
    source = create_engine(sqlite_url(working), hide_parameters=True)
    try:
        with source.connect() as reading:
            expected = facts(reading)
            with writing(), db.engine.begin() as target:
                copy_tables(reading, target)
    finally:
        source.dispose()
    with db.engine.connect() as connection:
        found = facts(connection)
    problem = compare(expected, found)
    if problem:
        raise CopyFailed(f"the restored database does not match the backup: {problem}")
    return found
