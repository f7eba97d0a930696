"""``flask backup``, ``flask restore`` and ``flask db ...`` take the database at the schema it
has: the app does not migrate it when it starts for them."""

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from reintegration import command_keeps_the_schema
from reintegration.keys.keyring import TEST_KEYS

from ..migrations.released import FIXTURES, unpack

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


@pytest.mark.parametrize(
    ("argv", "keeps"),
    [
        ([FLASK, "--app", "wsgi", "backup"], True),
        ([FLASK, "-A", "wsgi", "restore", "file.db"], True),
        ([FLASK, "--app=wsgi", "db", "downgrade"], True),
        (["/x/site-packages/flask/__main__.py", "--app", "wsgi", "db", "current"], True),
        ([FLASK, "--app", "wsgi", "--env-file", "backup", "run"], False),
        ([FLASK, "--app", "wsgi", "scheduler"], False),
        ([FLASK, "--app", "wsgi", "users", "create", "backup"], False),
        (["/srv/.venv/bin/gunicorn", "-w", "4", "wsgi:app"], False),
        ([], False),
    ],
)
def test_only_the_schemas_own_commands_start_without_migrating(argv, keeps):
    assert command_keeps_the_schema(argv) is keeps


def _revision(path: Path) -> str:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="a SQLite instance's own file")
def test_a_backup_before_an_upgrade_is_of_the_database_as_it_is(tmp_path):
    """With the new release installed, ``flask backup`` copies the older database: the backup to
    go back to, not one already upgraded."""
    instance = tmp_path / "instance"
    instance.mkdir()
    database = unpack(FIXTURES / "schema-0008.db.gz", tmp_path)
    database.rename(instance / "reintegration.db")
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(
        REINTEGRATION_INSTANCE=str(instance), SECRET_KEY="test-secret", DATA_KEYS=TEST_KEYS
    )

    done = subprocess.run(  # noqa: S603  (our own command)
        [FLASK, "--app", "wsgi", "backup"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    backups = list((instance / "backups").glob("reintegration-*-rev0008.db"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _revision(instance / "reintegration.db") == "0008"
    assert len(backups) == 1
    assert _revision(backups[0]) == "0008"
