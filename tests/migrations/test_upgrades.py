"""A populated database of every released schema upgrades to the newest, keeping every row:
on SQLite as the app starts (foreign keys on), and the same rows on PostgreSQL."""

import json
import sqlite3
from contextlib import closing

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, func, inspect, select, table, text

from reintegration import create_app
from reintegration.database import MIGRATIONS
from reintegration.extensions import db
from reintegration.keys.fields import decrypt
from reintegration.keys.rotation import encrypted_columns
from reintegration.operations.copying import copy_tables
from tests.own_database import SETTINGS, own_sessions, race_database

from .released import (
    RELEASED,
    STAFF,
    a_case_of,
    on_postgresql,
    pragma,
    revision_of,
    shipped_rows,
    snapshot,
    unpack,
)

HEAD = ScriptDirectory(MIGRATIONS).get_current_head()


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    return shipped_rows(tmp_path_factory.mktemp("shipped"))


def _expected_counts(before: dict, revision: str, shipped: dict) -> dict[str, int]:
    """Every row before, and the rows the migrations after ``revision`` insert themselves."""
    return {
        name: table.count + shipped[HEAD].get(name, 0) - shipped[revision].get(name, 0)
        for name, table in before.items()
    }


def decrypted():
    """A snapshot's ``opened``: the encrypted fields' values as they were typed (in an app
    context), so that rows are compared by what they say, not by their ciphertext."""
    purposes = {(table, column): purpose for table, column, purpose in encrypted_columns()}

    def opened(table: str, column: str, value):
        purpose = purposes.get((table, column))
        if purpose is None or value is None or value == "":
            return logged_values_hidden(table, column, value)
        return decrypt(purpose, value)

    return opened


# The names of the encrypted fields (0015): the audit log keeps only that they changed.
ENCRYPTED_NAMES = {
    "full_name", "date_of_birth", "home_address", "phone", "family_contacts",
    "trafficking_notes", "note", "reopen_reason", "destination_address", "discharge_note",
    "reason", "notes", "wellbeing", "resolution_note", "description", "end_note",
    "dropout_reason", "documents",
}  # fmt: skip


def logged_values_hidden(table: str, column: str, value):
    """An audit entry's changes with every encrypted field's value as "changed", before and
    after the upgrade alike: 0015 hides the values older entries held."""
    if (table, column) != ("audit_entries", "changes") or not value:
        return value
    changes = json.loads(value)
    if not isinstance(changes, dict):
        return value
    return json.dumps(
        {name: "changed" if name in ENCRYPTED_NAMES else v for name, v in changes.items()},
        sort_keys=True,
        ensure_ascii=False,
    )


class _Compiled(BytecodeCache):
    """Templates compiled once for all the apps of this module, not once per app."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _Compiled()


def _opens_a_case_page(app, case_id: int, code: str) -> None:
    app.jinja_env.bytecode_cache = _COMPILED
    client = app.test_client()
    username, password = STAFF
    signed_in = client.post("/login", data={"username": username, "password": password})
    assert signed_in.status_code == 302
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert code in page.get_data(as_text=True)


@pytest.mark.skipif(on_postgresql(), reason="the SQLite run of the suite upgrades the files")
@pytest.mark.parametrize("fixture", RELEASED, ids=revision_of)
def test_a_released_sqlite_database_upgrades_when_the_app_starts(
    fixture, tmp_path, monkeypatch, shipped
):
    database = unpack(fixture, tmp_path)
    before = snapshot(database, opened=logged_values_hidden)
    monkeypatch.setenv("REINTEGRATION_INSTANCE", str(tmp_path / "instance"))
    # The schema of the report upgrades as the app starts (a backup first, then the
    # migrations); the others through the same migrations, without the backup's seconds.
    at_start = revision_of(fixture) == "0005"

    app = create_app(
        {**SETTINGS, "DATABASE_URL": f"sqlite:///{database}", "AUTO_MIGRATE": at_start}
    )

    try:
        with own_sessions(), app.app_context():
            if not at_start:
                upgrade(directory=MIGRATIONS)
            with db.engine.connect() as connection:
                assert connection.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
                assert connection.scalar(text("PRAGMA foreign_keys")) == 1
            after = snapshot(
                database, {name: t.columns for name, t in before.items()}, opened=decrypted()
            )
            lost = {name: t.rows - after[name].rows for name, t in before.items()}
            assert {name: rows for name, rows in lost.items() if rows} == {}
            counts = {name: t.count for name, t in after.items() if name in before}
            assert counts == _expected_counts(before, revision_of(fixture), shipped)
            assert pragma(database, "integrity_check") == [("ok",)]
            assert pragma(database, "foreign_key_check") == []
            assert not [name for name in after if name.startswith("_alembic_tmp_")]
            _opens_a_case_page(app, *a_case_of(database, STAFF[0]))
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.skipif(not on_postgresql(), reason="the PostgreSQL run of the suite")
def test_the_rows_of_every_released_database_upgrade_on_postgresql(
    tmp_path, tmp_path_factory, shipped
):
    with race_database(tmp_path_factory, "upgrades") as url:
        app = create_app({**SETTINGS, "DATABASE_URL": url})
        try:
            for fixture in RELEASED:
                database = unpack(fixture, tmp_path)
                before = snapshot(database)
                source = create_engine(f"sqlite:///{database}")
                with own_sessions(), app.app_context():
                    with db.engine.begin() as connection:
                        connection.execute(text("DROP SCHEMA public CASCADE"))
                        connection.execute(text("CREATE SCHEMA public"))
                    upgrade(directory=MIGRATIONS, revision=revision_of(fixture))
                    copied = copy_tables(source, db.engine)
                    upgrade(directory=MIGRATIONS)
                    with db.engine.connect() as connection:
                        version = connection.scalar(text("SELECT version_num FROM alembic_version"))
                        present = set(inspect(connection).get_table_names())
                        counts = {
                            name: connection.scalar(select(func.count()).select_from(table(name)))
                            for name in before
                            if name in present
                        }
                    assert (fixture.name, version) == (fixture.name, HEAD)
                    assert copied == {name: t.count for name, t in before.items()}
                    assert counts == _expected_counts(before, revision_of(fixture), shipped)
                    if fixture == RELEASED[0]:  # the most migrations; a login costs a second
                        _opens_a_case_page(app, *a_case_of(database, STAFF[0]))
                source.dispose()
        finally:
            with app.app_context():
                db.engine.dispose()


@pytest.mark.skipif(on_postgresql(), reason="SQLite only")
def test_an_upgrade_that_would_leave_a_broken_reference_changes_nothing(tmp_path):
    database = unpack(RELEASED[-1], tmp_path)
    with closing(sqlite3.connect(database)) as connection:
        # A row written while foreign keys were off, referring to a stay that does not exist.
        connection.execute("UPDATE services SET stay_id = 999999 WHERE id = 1")
        connection.commit()
    before = snapshot(database)
    app = create_app({**SETTINGS, "DATABASE_URL": f"sqlite:///{database}"})

    with own_sessions(), app.app_context(), pytest.raises(SystemExit):
        upgrade(directory=MIGRATIONS)

    assert snapshot(database) == before
    with closing(sqlite3.connect(database)) as connection:
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == (revision_of(RELEASED[-1]),)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.skipif(on_postgresql(), reason="SQLite only")
def test_a_table_left_by_an_interrupted_rebuild_does_not_stop_the_upgrade(tmp_path):
    fixture = next(f for f in RELEASED if revision_of(f) == "0005")
    database = unpack(fixture, tmp_path)
    with closing(sqlite3.connect(database)) as connection:
        # What a batch rebuild of stays leaves when it stops after copying, outside a transaction.
        connection.execute("CREATE TABLE _alembic_tmp_stays AS SELECT * FROM stays")
        connection.commit()
    before = snapshot(database)
    app = create_app({**SETTINGS, "DATABASE_URL": f"sqlite:///{database}"})

    with own_sessions(), app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()

    after = snapshot(database)
    assert "_alembic_tmp_stays" not in after
    assert after["stays"].count == before["stays"].count
