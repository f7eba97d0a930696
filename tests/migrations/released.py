"""The populated databases of every released schema (fixtures/, see its README), and what a
test compares before and after migrating them."""

import gzip
import os
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

FIXTURES = Path(__file__).parent / "fixtures"
RELEASED = sorted(FIXTURES.glob("schema-*.db.gz"))
# A demo account every release's demo makes, and the shelter it works at.
STAFF = ("staff", "demo-staff-2026")


def revision_of(fixture: Path) -> str:
    return fixture.name.removeprefix("schema-").removesuffix(".db.gz")


def unpack(fixture: Path, folder: Path) -> Path:
    database = folder / fixture.name.removesuffix(".gz")
    database.write_bytes(gzip.decompress(fixture.read_bytes()))
    return database


def on_postgresql() -> bool:
    url = os.environ.get("DATABASE_URL")
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: Counter  # each row, as its values' repr, and how many times it is there

    @property
    def count(self) -> int:
        return self.rows.total()


# Columns a later migration drops because they only repeat others: 0015's folded copy of the
# name, which keyed search tokens replace; or because they only held back logins for minutes:
# 0013's lock of a user, which the guess limits replace.
DERIVED = {"cases": {"name_search"}, "users": {"failed_logins", "locked_until"}}


def snapshot(
    database: Path, columns: dict[str, tuple[str, ...]] | None = None, opened=None
) -> dict:
    """Each table's columns and rows (of ``columns`` only, when given: the columns a table had
    before it was migrated), each value passed through ``opened(table, column, value)`` when
    given (to decrypt the encrypted fields). The migrations' own table is left out."""
    with closing(sqlite3.connect(database)) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name <> 'alembic_version'"
            )
        ]
        shot = {}
        for table in tables:
            present = tuple(row[1] for row in connection.execute(f'PRAGMA table_info("{table}")'))
            chosen = [
                column
                for column in (columns or {}).get(table, present)
                if column not in DERIVED.get(table, ())
            ]
            listed = ", ".join(f'"{column}"' for column in chosen)
            rows = connection.execute(f'SELECT {listed} FROM "{table}"')  # noqa: S608
            if opened is not None:
                rows = [
                    tuple(
                        opened(table, column, value)
                        for column, value in zip(chosen, row, strict=True)
                    )
                    for row in rows
                ]
            shot[table] = Table(present, Counter(map(repr, rows)))
        return shot


def pragma(database: Path, statement: str) -> list:
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute(f"PRAGMA {statement}").fetchall()


def a_case_of(database: Path, username: str) -> tuple[int, str]:
    """The id and code of a case of the user's facility."""
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute(
            "SELECT cases.id, cases.code FROM cases JOIN users "
            "ON users.facility_id = cases.facility_id WHERE users.username = ? "
            "ORDER BY cases.id LIMIT 1",
            (username,),
        ).fetchone()


def shipped_rows(folder: Path) -> dict[str, dict[str, int]]:
    """The rows the migrations insert themselves: per revision, each table's count in an empty
    database migrated to it."""
    from flask_migrate import upgrade

    from reintegration import create_app
    from reintegration.database import MIGRATIONS
    from reintegration.extensions import db
    from tests.own_database import SETTINGS, own_sessions

    database = folder / "empty.db"
    app = create_app({**SETTINGS, "DATABASE_URL": f"sqlite:///{database}"})
    counts = {}
    with own_sessions(), app.app_context():
        for script in reversed(list(ScriptDirectory(MIGRATIONS).walk_revisions())):
            upgrade(directory=MIGRATIONS, revision=script.revision)
            counts[script.revision] = {name: t.count for name, t in snapshot(database).items()}
        db.engine.dispose()
    return counts
