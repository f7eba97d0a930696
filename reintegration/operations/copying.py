"""Every row of one database copied into another: backups, restores and moves to PostgreSQL.

What it keeps:

- Tables and columns are reflected from the databases themselves, never taken from the app's
  models, so a database of any schema revision copies into one migrated to the same revision.
  ``alembic_version`` is not copied: migrating the target set it.
- The target's rows in the copied tables are replaced (the reference data its migrations
  inserted): after the copy each table holds exactly the source's rows, ids included.
- Rows are read and written in batches, so memory stays flat however large the tables.
- Values cross between SQLite and PostgreSQL unchanged: JSON travels as its text (so a JSON
  ``null`` stays distinct from SQL NULL), times are UTC on both sides (SQLite keeps them
  without an offset, PostgreSQL with one), booleans, dates, numbers and bytes by their types.
- On PostgreSQL the sequences continue after the largest id copied, so the next row inserted
  by the app does not collide with a copied one.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    text,
    type_coerce,
)
from sqlalchemy import DateTime as DateTimeType

BATCH_ROWS = 2000
NOT_COPIED = frozenset({"alembic_version"})


def copy_tables(
    source: Connection | Engine, target: Connection | Engine, batch_rows: int = BATCH_ROWS
) -> dict[str, int]:
    """Copy the rows of every table present in both databases; the rows copied per table.

    Given connections, the copy runs in the target connection's transaction and the caller
    commits it; given an engine, the target is committed here.
    """
    with _connected(source, commit=False) as reading, _connected(target, commit=True) as writing:
        pairs = copied_tables(reading, writing)
        _defer_foreign_keys(writing)
        for _source_table, target_table in reversed(pairs):
            writing.execute(target_table.delete())
        counts = {
            target_table.name: _copy_rows(reading, source_table, writing, target_table, batch_rows)
            for source_table, target_table in pairs
        }
        reset_sequences(writing, [target_table for _source, target_table in pairs])
    return counts


def copied_tables(source: Connection, target: Connection) -> list[tuple[Table, Table]]:
    """(source table, target table) of every table both have, in the target's foreign-key
    order (a table after those it refers to)."""
    source_tables = reflect(source)
    return [
        (source_tables.tables[table.name], table)
        for table in reflect(target).sorted_tables
        if table.name in source_tables.tables and table.name not in NOT_COPIED
    ]


def reflect(connection: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return metadata


def reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """On PostgreSQL, each id sequence continues after the largest id in its table."""
    if connection.dialect.name != "postgresql":
        return  # SQLite's AUTOINCREMENT counters follow the largest id inserted by themselves
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence is None:
                continue
            largest = connection.scalar(select(func.max(column)))
            connection.execute(
                text("SELECT setval(:sequence, :next, false)"),
                {"sequence": sequence, "next": (largest or 0) + 1},
            )


@contextmanager
def _connected(bind: Connection | Engine, commit: bool) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    elif commit:
        with bind.begin() as connection:
            yield connection
    else:
        with bind.connect() as connection:
            yield connection


def _defer_foreign_keys(connection: Connection) -> None:
    # A row that refers to a later row of its own table (SQLite checks at commit instead).
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


def _copy_rows(
    source: Connection, source_table: Table, target: Connection, target_table: Table, batch: int
) -> int:
    names = [column.name for column in target_table.columns if column.name in source_table.c]
    if not names:
        return 0
    query = select(*(_read(source, source_table.c[name]) for name in names))
    query = query.order_by(*source_table.primary_key.columns).execution_options(yield_per=batch)
    statement = insert(target_table).values(
        {name: _written(target, target_table.c[name]) for name in names}
    )
    convert = {name: _converter(target_table.c[name]) for name in names}
    convert = {name: change for name, change in convert.items() if change is not _unchanged}
    copied = 0
    for rows in source.execute(query).partitions():
        target.execute(statement, [_row(names, convert, row) for row in rows])
        copied += len(rows)
    return copied


def _row(names: list[str], convert: dict[str, Callable[[Any], Any]], row) -> dict[str, Any]:
    values = dict(zip(names, row, strict=True))
    for name, change in convert.items():
        values[name] = change(values[name])
    return values


def _read(connection: Connection, column: Column):
    """JSON is read as its text, everything else by its reflected type."""
    if not isinstance(column.type, JSON):
        return column
    if connection.dialect.name == "postgresql":
        return cast(column, Text).label(column.name)
    return type_coerce(column, Text).label(column.name)


def _written(connection: Connection, column: Column):
    if not isinstance(column.type, JSON):
        return bindparam(column.name, type_=column.type)
    text_value = bindparam(column.name, type_=Text)
    if connection.dialect.name == "postgresql":
        return cast(text_value, column.type)
    return text_value  # SQLite keeps JSON as text; a CAST would apply its numeric affinity


def _converter(column: Column) -> Callable[[Any], Any]:
    if not isinstance(column.type, DateTimeType):
        return _unchanged
    return _aware_utc if column.type.timezone else _naive_utc


def _unchanged(value):
    return value


def _aware_utc(value):
    # A time from SQLite has no offset and is UTC (reintegration.types.UTCDateTime).
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _naive_utc(value):
    # PostgreSQL gives times in the session's zone: SQLite keeps them as UTC, without offset.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value
