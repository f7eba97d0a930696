"""The scheduler's nightly backup, and the runs of background tasks as the administrator sees
them."""

import os

import pytest
from sqlalchemy import func, select

from reintegration import create_app
from reintegration.auth.models import User
from reintegration.extensions import db
from reintegration.keys.keyring import TEST_KEYS
from reintegration.operations import backups, runs
from reintegration.operations.backups import BackupFailed
from reintegration.reminders import services, tasks
from tests.own_database import own_sessions

OLD = [f"reintegration-2026010{day}T190000Z-rev0009.db" for day in (1, 2, 3)]


@pytest.fixture
def backup_folder(province, tmp_path, monkeypatch):
    folder = tmp_path / "backups"
    folder.mkdir()
    for name in OLD:
        (folder / name).write_bytes(b"an older backup")
    monkeypatch.setitem(province.config, "BACKUP_FOLDER", str(folder))
    monkeypatch.setitem(province.config, "BACKUP_KEEP", 2)
    monkeypatch.setattr(tasks, "_app", province)
    return folder


def test_the_nightly_backup_keeps_the_last_ones_once_a_new_one_is_verified(backup_folder):
    with own_sessions():
        tasks.make_nightly_backup()

    kept = sorted(os.listdir(backup_folder))
    assert kept[0] == OLD[-1]
    assert kept[1] > OLD[-1]
    assert backups.read_facts(backup_folder / kept[1]) is not None
    assert len(kept) == 2


def test_a_nightly_backup_that_fails_deletes_nothing_and_is_recorded(
    province, backup_folder, monkeypatch
):
    def fails(_path, _expected):
        raise BackupFailed("the written backup does not verify: rows differ in cases")

    monkeypatch.setattr(backups, "verify", fails)
    with own_sessions():
        tasks.make_nightly_backup()
        with province.app_context():
            run = runs.last_runs()[runs.BACKUP]

    assert sorted(os.listdir(backup_folder)) == OLD
    assert run.failed
    assert run.error == "BackupFailed"


def test_the_scheduler_backs_up_sqlite_every_night_at_the_hour_set():
    production = {"SECRET_KEY": "test-secret", "DATA_KEYS": TEST_KEYS, "AUTO_MIGRATE": False}
    sqlite = create_app({**production, "DATABASE_URL": "sqlite://", "BACKUP_HOUR": 3})
    postgresql = create_app({**production, "DATABASE_URL": "postgresql://officer@db/province"})

    nightly = {job_id: trigger for job_id, _function, trigger in tasks.jobs(sqlite)}
    assert str(nightly[tasks.BACKUP_JOB]) == "cron[hour='3', minute='0']"
    assert tasks.BACKUP_JOB not in {job_id for job_id, _f, _t in tasks.jobs(postgresql)}


def test_a_failed_reminder_pass_is_recorded_by_its_error_class_only(app, monkeypatch):
    def fails(**_):
        raise ValueError("Nguyễn Thị Hoa, born 1999")

    monkeypatch.setattr(tasks, "_app", app)
    monkeypatch.setattr(services, "run_pass", fails)
    tasks.run_reminder_pass()
    failed = runs.last_runs()[runs.REMINDER_PASS]

    monkeypatch.undo()
    monkeypatch.setattr(tasks, "_app", app)
    tasks.run_reminder_pass()
    recovered = runs.last_runs()[runs.REMINDER_PASS]

    assert failed.failed
    assert failed.error == "ValueError"
    assert failed.succeeded_at is None
    assert "Nguyễn" not in repr(failed)
    assert not recovered.failed
    assert recovered.error is None
    assert recovered.succeeded_at == recovered.finished_at >= recovered.started_at


def test_a_reminder_pass_that_fails_midway_is_recorded_as_failed(province, monkeypatch):
    """The pass fails after it began to write (its transaction holds SQLite's write lock):
    the administrator still sees that it failed, not a pass running for ever."""

    def fails_midway(**_):
        db.session.execute(select(func.count()).select_from(User))
        raise ValueError("a rule's query failed")

    monkeypatch.setattr(tasks, "_app", province)
    monkeypatch.setattr(services, "run_pass", fails_midway)
    with own_sessions():
        tasks.run_reminder_pass()
        with province.app_context():
            run = runs.last_runs()[runs.REMINDER_PASS]

    assert run.failed
    assert run.error == "ValueError"
    assert not run.running
