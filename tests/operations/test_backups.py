"""flask backup while people save, flask restore into a new database, and every refusal."""

import os
import sqlite3
import stat
import threading
from contextlib import closing

import pytest

from reintegration.audit.models import Action, AuditEntry
from reintegration.database import writing
from reintegration.extensions import db
from reintegration.operations import backups
from reintegration.operations.backups import BackupFailed, make_backup, read_facts
from tests.own_database import own_sessions

from .helpers import app_on_new_database, facts_of, invoke

POLL_LIMIT = 2000  # bounded waits for the writing thread


class Writer(threading.Thread):
    """An officer's saves, one commit after another, until stopped."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.written, self.stop = app, 0, threading.Event()
        self.progress = threading.Condition()
        self.failure: BaseException | None = None

    def run(self):
        try:
            while not self.stop.is_set():
                with self.app.app_context(), writing():
                    db.session.add(AuditEntry(action=Action.VIEW, entity="case", entity_id=1))
                    db.session.commit()
                    db.session.remove()
                with self.progress:
                    self.written += 1
                    self.progress.notify_all()
        except BaseException as error:
            self.failure = error

    def wait_for(self, written: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: self.written >= written or self.failure, 60)
        assert self.failure is None, self.failure


def test_a_backup_made_while_an_officer_saves_holds_what_it_reports(province, tmp_path_factory):
    with own_sessions():
        before = facts_of(province).counts["audit_entries"]
        writer = Writer(province)
        writer.start()
        try:
            writer.wait_for(5)
            with province.app_context():
                made = make_backup(province)
            at_backup = writer.written
            writer.wait_for(at_backup + 3)  # saves went on after the backup's snapshot
        finally:
            writer.stop.set()
            writer.join()
        assert writer.failure is None
        after = facts_of(province).counts["audit_entries"]

        assert read_facts(made.path) == made.facts
        assert before + 5 <= made.facts.counts["audit_entries"] < after
        assert os.path.basename(made.path).endswith(f"-rev{made.revision}.db")
        assert stat.S_IMODE(os.stat(made.path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(made.path)).st_mode) == 0o700
        assert not [name for name in os.listdir(os.path.dirname(made.path)) if "partial" in name]

        # Restored where the app started on a new database (it migrated it at start).
        with app_on_new_database(tmp_path_factory, "ops_restore", AUTO_MIGRATE=True) as target:
            result = invoke(target, "restore", made.path)
            assert result.exit_code == 0, result.output
            assert "the audit log match the backup" in result.output
            assert facts_of(target) == made.facts


def test_the_backup_command_prints_the_file_its_size_and_counts(province):
    with own_sessions():
        result = invoke(province, "backup")
    assert result.exit_code == 0, result.output
    path = result.output.split("Backup: ", 1)[1].split("\n", 1)[0]
    found = read_facts(path)
    assert f"{os.path.getsize(path):,} bytes" in result.output
    assert f"cases {found.counts['cases']:>10,}".split() == next(
        line.split() for line in result.output.splitlines() if line.strip().startswith("cases ")
    )


def test_a_backup_that_does_not_verify_leaves_no_file_and_fails(province, monkeypatch):
    folder = backups.backup_folder(province)
    kept = sorted(os.listdir(folder)) if os.path.isdir(folder) else []

    def damaged(path, expected):
        with closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA journal_mode=DELETE")
        raise BackupFailed("the written backup does not verify: rows differ in cases")

    monkeypatch.setattr(backups, "verify", damaged)
    with own_sessions():
        result = invoke(province, "backup")
    assert result.exit_code == 1
    assert "No backup was made: the written backup does not verify" in result.output
    assert sorted(os.listdir(folder)) == kept


@pytest.fixture
def empty_target(tmp_path_factory):
    with own_sessions(), app_on_new_database(tmp_path_factory, "ops_refused") as target:
        yield target


def _newer_schema(path, tmp_path) -> str:
    newer = str(tmp_path / "newer.db")
    backups.copy_file(path, newer)
    with closing(sqlite3.connect(newer)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
        connection.commit()
    return newer


def _not_sqlite(_path, tmp_path) -> str:
    (tmp_path / "notes.db").write_text("Nguyễn Văn A, 1990\n")
    return str(tmp_path / "notes.db")


def _other_sqlite(_path, tmp_path) -> str:
    with closing(sqlite3.connect(tmp_path / "other.db")) as connection:
        connection.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    return str(tmp_path / "other.db")


@pytest.mark.parametrize(
    ("make_file", "reason"),
    [
        (lambda _path, tmp_path: str(tmp_path / "missing.db"), "no such file"),
        (lambda _path, tmp_path: str(tmp_path), "is not a file"),
        (_not_sqlite, "is not a backup: it is not a SQLite database"),
        (_other_sqlite, "is not a backup of this app"),
        (_newer_schema, "was made by a newer release (schema revision 9999"),
    ],
    ids=["wrong path", "a folder", "not a database", "another database", "newer schema"],
)
def test_a_restore_of_what_is_not_a_backup_is_refused_and_changes_nothing(
    province_backup, empty_target, tmp_path, make_file, reason
):
    path = make_file(province_backup.path, tmp_path)
    before = facts_of(empty_target)

    result = invoke(empty_target, "restore", path)

    assert result.exit_code == 1
    assert reason in result.output
    assert facts_of(empty_target) == before
    assert before.revision is None
    assert before.counts == {}


def test_a_restore_into_a_database_with_data_is_refused_and_changes_nothing(
    province, province_backup
):
    with own_sessions():
        before = facts_of(province)
        result = invoke(province, "restore", province_backup.path)
        assert result.exit_code == 1
        assert "The database is not empty (" in result.output
        assert "nothing was changed" in result.output
        assert facts_of(province) == before


def test_a_restore_without_upgrade_keeps_the_backups_schema(province_backup, empty_target):
    result = invoke(empty_target, "restore", "--no-upgrade", province_backup.path)
    assert result.exit_code == 0, result.output
    assert facts_of(empty_target) == province_backup.facts
