"""A copy of the demo's database, read without the key: the SQLite file (with its write-ahead
log) or a pg_dump of PostgreSQL names no one, and gives no phone, address or note."""

import glob
import os
import subprocess
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import make_url

from reintegration.extensions import db
from reintegration.keys.rotation import encrypted_columns
from reintegration.text import fold
from tests.own_database import app_on_own_database, own_sessions


def _typed_values() -> set[str]:
    """Every value of every encrypted field, as typed (read through the app, with the key)."""
    values: set[str] = set()
    for table in db.metadata.sorted_tables:
        for name in {column for t, column, _p in encrypted_columns() if t == table.name}:
            for value in db.session.scalars(select(table.c[name])):
                if isinstance(value, date):
                    values |= {value.isoformat(), value.strftime("%d/%m/%Y")}
                elif value:
                    values.add(value)
    return values


def _raw_copy(url: str) -> bytes:
    if url.startswith("sqlite"):
        path = make_url(url).database
        return b"".join(open(name, "rb").read() for name in glob.glob(path + "*"))
    dump = subprocess.run(  # noqa: S603
        [  # noqa: S607  (PostgreSQL's own client, on the PATH)
            "pg_dump",
            "--no-owner",
            make_url(url).set(drivername="postgresql").render_as_string(False),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )
    return dump.stdout


def test_a_copy_of_the_demo_database_shows_no_name_phone_address_or_note(tmp_path_factory):
    with app_on_own_database(tmp_path_factory, "stolen") as app, own_sessions():
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
            typed = _typed_values()
            names = set(db.session.scalars(select(db.metadata.tables["cases"].c.full_name)))
            db.session.remove()
            db.engine.dispose()
        assert len(names) >= 55
        raw = _raw_copy(app.config["SQLALCHEMY_DATABASE_URI"])

        # Long enough to name or describe someone; short values ("Ổn") are words of any page.
        sought = {value for value in typed if len(value) >= 8}
        sought |= {fold(name) for name in names}  # the folded copy the search once kept
        found = sorted(value for value in sought if value.encode("utf-8") in raw)
        assert found == []
        assert len(sought) > 150
