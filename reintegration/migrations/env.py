"""Alembic environment: the app's engine and metadata, through Flask-Migrate.

A run of migrations (an upgrade or a downgrade, however many revisions) is one transaction,
so a step that fails leaves the database as it was, at the revision it started from.

On SQLite, foreign keys are off while migrations run, as SQLite's own procedure for changing a
table says: a table rebuilt in batch mode (new table, copy, drop the old one, rename) would
otherwise fail on a populated database ("FOREIGN KEY constraint failed [DROP TABLE stays]") or,
with ON DELETE CASCADE, delete the rows that refer to it. Before the transaction commits,
``PRAGMA foreign_key_check`` must find no row whose reference is broken, or nothing is kept.
Tables a batch rebuild leaves behind (``_alembic_tmp_*``) when it was interrupted outside a
transaction are dropped first, when the table they copied is still there.
"""

import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import create_engine, inspect, text

from reintegration.database import writing

config = context.config
# The app's logging (operations/logs.py) prints alembic's lines too, with their time and
# request id; alembic.ini's is for a run without it (keeping the app's loggers working).
if not logging.getLogger().handlers and config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db

_LEFTOVER = "_alembic_tmp_"


def _skip_empty_revisions(_context, _revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline() -> None:
    url = target_db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=target_db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _foreign_keys(connection, on: bool) -> None:
    """Outside any transaction (SQLite ignores the pragma inside one), on the driver's
    connection so that no transaction begins first."""
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _drop_leftovers(connection) -> None:
    tables = set(inspect(connection).get_table_names())
    for leftover in sorted(t for t in tables if t.startswith(_LEFTOVER)):
        original = leftover.removeprefix(_LEFTOVER)
        if original not in tables:
            raise CommandError(
                f"Table {original} is missing and {leftover} is there: an earlier migration "
                "stopped halfway. Restore the backup taken before the upgrade."
            )
        logger.info("Dropping %s, left by an interrupted migration of %s.", leftover, original)
        connection.execute(text(f'DROP TABLE "{leftover}"'))


def _refuse_broken_references(connection) -> None:
    broken = connection.execute(text("PRAGMA foreign_key_check")).all()
    if broken:
        counts: dict[tuple[str, str], int] = {}
        for table, _rowid, parent, _key in broken:
            counts[(table, parent)] = counts.get((table, parent), 0) + 1
        described = "; ".join(
            f"{table} → {parent}: {n} {'row' if n == 1 else 'rows'}"
            for (table, parent), n in sorted(counts.items())
        )
        raise CommandError(
            "Migration refused, nothing was changed: rows would refer to rows that do not "
            f"exist ({described})."
        )


@contextmanager
def _migration_engine():
    """The app's engine, or one on MIGRATION_DATABASE_URL: on PostgreSQL, migrations run as the
    role that owns the tables while the app runs as a role that owns nothing (docs/audit.md)."""
    url = current_app.config.get("MIGRATION_DATABASE_URL")
    if not url:
        yield target_db.engine
        return
    engine = create_engine(url, hide_parameters=True)
    try:
        yield engine
    finally:
        engine.dispose()


def run_migrations_online() -> None:
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", _skip_empty_revisions)
    options.setdefault("compare_type", True)
    with _migration_engine() as engine, engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite's DDL is transactional: the whole run in one transaction, as on PostgreSQL.
            options["transactional_ddl"] = True
            _foreign_keys(connection, on=False)
        try:
            context.configure(connection=connection, target_metadata=target_db.metadata, **options)
            with writing(), context.begin_transaction():
                if sqlite:
                    _drop_leftovers(connection)
                context.run_migrations()
                if sqlite:
                    _refuse_broken_references(connection)
        finally:
            if sqlite:
                if connection.in_transaction():
                    connection.rollback()
                _foreign_keys(connection, on=True)
        if sqlite and connection.info.pop("vacuum_after_migrating", False):
            _vacuum(connection)


def _vacuum(connection) -> None:
    """Rewrite the SQLite file once a migration that rewrote values in place has committed:
    the pages that held the old values (personal fields in clear, before 0015) are gone from
    the file and its write-ahead log, not just marked free. Outside any transaction."""
    raw = connection.connection.driver_connection
    raw.execute("VACUUM")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
