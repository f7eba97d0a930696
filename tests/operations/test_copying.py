"""copy_tables: every value crosses between SQLite and PostgreSQL unchanged, in batches."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    insert,
    null,
    select,
    text,
)

from reintegration.operations.copying import copy_tables
from tests.own_database import race_database

ROWS = 2500  # more than one batch of 1000


def _schema() -> MetaData:
    metadata = MetaData()
    Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(80)),
        Column("active", Boolean, nullable=False),
        Column("born", Date),
        Column("seen_at", DateTime(timezone=True)),
        Column("details", JSON),
        Column("photo", LargeBinary),
        Column("status", String(40)),
        Column("amount", BigInteger),
        Column("ratio", Numeric(6, 2)),
    )
    Table(
        "visits",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("person_id", Integer, ForeignKey("people.id"), nullable=False),
    )
    Table("alembic_version", metadata, Column("version_num", String(32), primary_key=True))
    return metadata


def _person(number: int) -> dict:
    return {
        "id": number,
        "name": f"Nguyễn Thị {number}",
        "active": number % 2 == 0,
        "born": date(1990, 1, 1) + timedelta(days=number),
        "seen_at": datetime(2026, 3, 15, 2, 0, tzinfo=UTC) + timedelta(minutes=number),
        # SQL NULL, JSON null and a document stay three different things.
        "details": null() if number % 3 == 0 else (None if number % 3 == 1 else {"n": number}),
        "photo": bytes([number % 256, 0, 255]),
        "status": "identified" if number % 5 else "under_identification",
        "amount": 3_000_000_000 + number,
        "ratio": Decimal("1.25"),
    }


def _filled(url: str):
    engine = create_engine(url)
    metadata = _schema()
    metadata.create_all(engine)
    with engine.begin() as connection:
        people = metadata.tables["people"]
        for number in range(1, ROWS + 1):
            connection.execute(insert(people).values(_person(number)))
        connection.execute(
            insert(metadata.tables["visits"]), [{"person_id": n} for n in range(1, 11)]
        )
        connection.execute(insert(metadata.tables["alembic_version"]).values(version_num="x"))
    return engine


def _rows(engine, table: str) -> list[tuple]:
    metadata = _schema()
    with engine.connect() as connection:
        columns = list(metadata.tables[table].columns)
        if table == "people":  # the JSON column as its stored text: null and NULL apart
            query = text(
                "SELECT id, name, active, born, seen_at, CAST(details AS TEXT), photo, status, "
                "amount, ratio FROM people ORDER BY id"
            ).columns(*columns[:5], Column("details", String), *columns[6:])
            return [tuple(map(_utc, row)) for row in connection.execute(query)]
        return [tuple(row) for row in connection.execute(select(*columns).order_by(columns[0]))]


def _utc(value):
    """A time as SQLite gives it back (UTC, no offset), whichever database it comes from."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


@pytest.fixture
def sqlite_source(tmp_path):
    engine = _filled(f"sqlite:///{tmp_path / 'source.db'}")
    yield engine
    engine.dispose()


def _copied(source, target_url: str):
    target = create_engine(target_url)
    _schema().create_all(target)
    with target.begin() as connection:  # the reference data migrations insert is replaced
        connection.execute(text("INSERT INTO people (id, active) VALUES (99999, true)"))
    counts = copy_tables(source, target, batch_rows=1000)
    return target, counts


def test_every_value_is_copied_unchanged_into_another_database(sqlite_source, tmp_path_factory):
    with race_database(tmp_path_factory, "ops_copy_values") as url:
        target, counts = _copied(sqlite_source, url)
        try:
            assert counts == {"people": ROWS, "visits": 10}
            assert _rows(target, "people") == _rows(sqlite_source, "people")
            assert _rows(target, "visits") == _rows(sqlite_source, "visits")
            with target.connect() as connection:
                kept = connection.scalar(text("SELECT version_num FROM alembic_version"))
            assert kept is None  # not copied: migrating the target sets it
        finally:
            target.dispose()


def test_values_come_back_from_the_copy_unchanged(sqlite_source, tmp_path_factory, tmp_path):
    with race_database(tmp_path_factory, "ops_copy_back") as url:
        middle, _counts = _copied(sqlite_source, url)
        back, _counts = _copied(middle, f"sqlite:///{tmp_path / 'back.db'}")
        try:
            assert _rows(back, "people") == _rows(sqlite_source, "people")
        finally:
            middle.dispose()
            back.dispose()


def test_new_rows_after_a_copy_get_new_ids(sqlite_source, tmp_path_factory):
    with race_database(tmp_path_factory, "ops_copy_ids") as url:
        target, _counts = _copied(sqlite_source, url)
        try:
            with target.begin() as connection:
                added = connection.execute(
                    insert(_schema().tables["people"]).values(active=True)
                ).inserted_primary_key[0]
            assert added == ROWS + 1
        finally:
            target.dispose()
