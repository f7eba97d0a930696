"""The schema revisions this code knows, the facts a copy is checked by, and migrating a
database other than the app's own (a backup file, the target of a restore or a copy)."""

import atexit
import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import (
    JSON,
    Connection,
    MetaData,
    Text,
    cast,
    func,
    inspect,
    select,
    table,
    text,
    type_coerce,
)

from .. import scratch
from ..database import MIGRATIONS
from ..extensions import db
from .copying import NOT_COPIED

AUDIT_TABLE = "audit_entries"


class Refused(Exception):
    """A restore or a copy that was not started, and why; nothing was changed."""


class CopyFailed(Exception):
    """The rows were written but do not match what was read: the target must not be used."""


def compare(expected: "Facts", found: "Facts") -> str | None:
    """How ``found`` differs from ``expected`` (None: same revision, counts and audit log)."""
    if found.revision != expected.revision:
        return f"schema revision {found.revision}, expected {expected.revision}"
    different = sorted(
        name
        for name in expected.counts.keys() | found.counts.keys()
        if expected.counts.get(name) != found.counts.get(name)
    )
    if different:
        return "rows differ in " + ", ".join(different)
    if found.audit_digest != expected.audit_digest:
        return "the audit log differs"
    return None


@cache
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config)


def head() -> str:
    current = _scripts().get_current_head()
    if current is None:
        raise RuntimeError(f"no migration in {MIGRATIONS}")
    return current


def revisions() -> list[str]:
    """Every revision the code knows, oldest first."""
    return [script.revision for script in reversed(list(_scripts().walk_revisions()))]


def is_known(revision: str | None) -> bool:
    return revision in revisions()


def is_older(revision: str, than: str) -> bool:
    known = revisions()
    return known.index(revision) < known.index(than)


def revision_of(connection: Connection) -> str | None:
    """The schema revision of a database; None when it has none (new, or not this app's)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


@dataclass(frozen=True)
class Facts:
    """What a copy must show the same: revision, rows per table and the audit log's digest."""

    revision: str | None
    counts: dict[str, int]
    audit_digest: str

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def facts(connection: Connection) -> Facts:
    """Read in the connection's transaction: one snapshot when the caller holds one."""
    names = sorted(set(inspect(connection).get_table_names()) - NOT_COPIED)
    counts = {
        name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in names
    }
    digest = ""
    if AUDIT_TABLE in counts:
        metadata = MetaData()
        metadata.reflect(bind=connection, only=[AUDIT_TABLE])
        digest = audit_digest(connection, metadata.tables[AUDIT_TABLE])
    return Facts(revision_of(connection), counts, digest)


def audit_digest(connection: Connection, table) -> str:
    """SHA-256 of the audit log's rows in id order, each value in a form that is the same
    read from SQLite or from PostgreSQL (times in UTC, JSON by its parsed content)."""
    columns = sorted(table.columns, key=lambda column: column.name)
    query = select(*(_as_read(connection, column) for column in columns))
    query = query.order_by(table.c.id).execution_options(yield_per=2000)
    digest = hashlib.sha256()
    for row in connection.execute(query):
        values = [_plain(column, value) for column, value in zip(columns, row, strict=True)]
        digest.update(json.dumps(values, ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()


def _as_read(connection: Connection, column):
    if not isinstance(column.type, JSON):
        return column
    if connection.dialect.name == "postgresql":
        return cast(column, Text)
    return type_coerce(column, Text)


def _plain(column, value):
    if value is None:
        return None
    if isinstance(column.type, JSON):
        return ["json", json.dumps(json.loads(value), sort_keys=True)]
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def sqlite_url(path: str) -> str:
    return "sqlite:///" + os.path.abspath(path)


@contextmanager
def app_on(url: str, like: Flask) -> Iterator[Flask]:
    """The app on another database, with ``like``'s settings, for migrating it."""
    keep = ("SECRET_KEY", "TESTING", "ENV", "BACKUP_FOLDER")
    settings = {name: like.config.get(name) for name in keep if like.config.get(name)}
    other = like.extensions["create_app"]({**settings, "DATABASE_URL": url, "AUTO_MIGRATE": False})
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


def migrate(url: str, revision: str, like: Flask) -> None:
    """Bring the database at ``url`` to ``revision`` (upgrades only)."""
    with app_on(url, like) as other, other.app_context():
        upgrade(directory=MIGRATIONS, revision=revision)


def rows_beyond_migrations(connection: Connection, like: Flask) -> dict[str, int]:
    """Tables holding rows that its migrations did not put there, with their counts: a
    database is empty when there is none, even after its migrations added reference data."""
    revision = revision_of(connection)
    counts = facts(connection).counts
    fresh = _fresh_counts(revision, like) if revision else {}
    return {name: count for name, count in counts.items() if count != fresh.get(name, 0)}


def _fresh_counts(revision: str, like: Flask) -> dict[str, int]:
    if revision not in _FRESH:
        url = sqlite_url(migrated_template(revision, like))
        with app_on(url, like) as other, other.app_context(), db.engine.connect() as c:
            _FRESH[revision] = facts(c).counts
    return _FRESH[revision]


def new_database_file(path: str, revision: str, like: Flask) -> None:
    """Make the (empty, existing) file at ``path`` a new SQLite database at ``revision``: a
    copy of one migrated once per process, since migrating takes seconds."""
    copy_sqlite(sqlite3.connect(migrated_template(revision, like)), path)


def copy_sqlite(source: sqlite3.Connection, into: str) -> None:
    """Every page of ``source`` into the SQLite file ``into``, by SQLite's backup API; both
    connections closed after."""
    target = sqlite3.connect(into)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def migrated_template(revision: str, like: Flask) -> str:
    """A new SQLite database migrated to ``revision``: reference data only, no person's. Kept
    in the process's own temporary folder (``scratch``), swept if the process dies."""
    path = _TEMPLATES.get(revision)
    if path is None or not os.path.exists(path):  # a sweep removes a day-old file
        path = os.path.join(scratch.folder(like), f"schema-{revision}.db")
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
        migrate(sqlite_url(path), revision, like)
        if not _TEMPLATES:
            atexit.register(_remove_templates)
        _TEMPLATES[revision] = path
    return path


def _remove_templates() -> None:
    for path in _TEMPLATES.values():
        with contextlib.suppress(OSError):
            os.remove(path)


# Per revision, what a freshly migrated database holds: the same for every database.
_FRESH: dict[str, dict[str, int]] = {}
_TEMPLATES: dict[str, str] = {}
