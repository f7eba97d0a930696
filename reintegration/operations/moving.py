"""Moving a province's database to PostgreSQL: ``flask --app wsgi db copy --to URL``.

Every check comes before the first change: the URL is a PostgreSQL one, its server answers,
the app's database is at head (the app migrates it when it starts), and the target holds
nothing beyond the reference data its migrations insert. Then the target is migrated to the
same revision (its audit log's triggers included), every row is copied from one snapshot of
the app's database, and counts and the audit log's digest are compared. The password of the
URL is never shown.
"""

from flask import Flask
from sqlalchemy import URL, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from ..extensions import db
from .backups import snapshot
from .copying import copy_tables
from .schema import (
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
)


def postgresql_url(text: str) -> URL:
    try:
        url = make_url(text)
    except ArgumentError as error:
        raise Refused("The target is not a database URL (postgresql://user@host/name).") from error
    if url.get_backend_name() != "postgresql" or not url.database:
        raise Refused(
            f"The target must be a PostgreSQL database URL (postgresql://user@host/name), "
            f"not {shown(url)}."
        )
    return url.set(drivername="postgresql+psycopg")


def shown(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def copy_database(app: Flask, target: str) -> Facts:
    """Copy every row of the app's database into the empty PostgreSQL database ``target``."""
    url = postgresql_url(target)
    engine = create_engine(url, hide_parameters=True)
    try:
        revision = _checked(app, url, engine)
        migrate(url.render_as_string(hide_password=False), revision, app)
        with snapshot(db.engine) as source:
            expected = facts(source)
            with engine.begin() as writing:
                copy_tables(source, writing)
        with engine.connect() as reading:
            found = facts(reading)
    finally:
        engine.dispose()
    problem = compare(expected, found)
    if problem:
        raise CopyFailed(f"the copy in {shown(url)} does not match: {problem}")
    return found


def _checked(app: Flask, url: URL, engine: Engine) -> str:
    """The revision to copy at, once every check passed."""
    with db.engine.connect() as connection:
        revision = revision_of(connection)
    if revision != head():
        raise Refused(
            f"This database is at schema revision {revision}, not {head()}: start the app "
            "once (it migrates at start) or run `flask --app wsgi db upgrade`, then copy."
        )
    try:
        with engine.connect() as connection:
            target_revision = revision_of(connection)
            held = (
                rows_beyond_migrations(connection, app)
                if target_revision is None or is_known(target_revision)
                else {}
            )
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        if url.password:
            reason = reason.replace(str(url.password), "***")
        raise Refused(f"Cannot reach {shown(url)}: {reason}") from error
    if target_revision is not None and (
        not is_known(target_revision) or is_older(revision, target_revision)
    ):
        raise Refused(
            f"{shown(url)} is at schema revision {target_revision}, newer than this database's "
            f"{revision}: copy into a new, empty database."
        )
    if held:
        listed = ", ".join(f"{table}: {count} rows" for table, count in sorted(held.items())[:5])
        raise Refused(
            f"{shown(url)} is not empty ({listed}). Copy into a new, empty database: nothing "
            "was changed."
        )
    return revision
