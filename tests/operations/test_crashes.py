"""A backup or a restore killed midway leaves no copy of the database behind: the next one
removes what it left."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from reintegration.operations.backups import make_backup
from tests.own_database import SETTINGS, own_sessions

from .helpers import app_on_new_database, invoke

# A process of the app that dies (as if killed) at the step named, in the middle of its work.
_DIES = """
import json, os, sys
from reintegration import create_app
from reintegration.operations import backups, restoring
settings, step, backup = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
app = create_app(settings)
with app.app_context():
    if step == "backup":
        backups.verify = lambda *args: os._exit(9)
        backups.make_backup(app)
    else:
        restoring._copy_verified = lambda *args: os._exit(9)
        restoring.restore(backup, app)
"""


def _dies_during(app, step: str, backup: str = "") -> None:
    keep = ("DATABASE_URL", "BACKUP_FOLDER")
    settings = {**SETTINGS, **{name: app.config[name] for name in keep}}
    ended = subprocess.run(  # noqa: S603  (our own command)
        [sys.executable, "-c", _DIES, json.dumps(settings), step, backup],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ended.returncode == 9, ended.stderr[-3000:]


def _hidden(folder: str) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith("."))


def test_a_backup_killed_midway_leaves_no_copy_once_the_next_backup_is_made(
    province, province_backup, tmp_path_factory
):
    with app_on_new_database(tmp_path_factory, "ops_crash", AUTO_MIGRATE=True) as app:
        folder = app.config["BACKUP_FOLDER"]
        restored = invoke(app, "restore", province_backup.path)
        assert restored.exit_code == 0, restored.output

        _dies_during(app, "backup")
        assert _hidden(folder)  # the dead process's copy, holding every name

        with own_sessions(), app.app_context():
            made = make_backup(app)

        assert _hidden(folder) == []
        assert os.listdir(folder) == [os.path.basename(made.path)]


def test_a_restore_killed_midway_leaves_no_copy_once_restored_again(
    province_backup, tmp_path_factory
):
    with app_on_new_database(tmp_path_factory, "ops_crash_restore", AUTO_MIGRATE=True) as app:
        folder = app.config["BACKUP_FOLDER"]
        _dies_during(app, "restore", province_backup.path)
        assert _hidden(folder)

        restored = invoke(app, "restore", province_backup.path)

        assert restored.exit_code == 0, restored.output
        assert _hidden(folder) == []


def test_a_nightly_backup_killed_midway_is_late_by_the_next_night(tmp_path_factory, frozen_clock):
    """Its process died (the scheduler's, with the backup) and nothing started it again: the
    administrator and /health learn that backups stopped, not that one is running for ever."""
    with app_on_new_database(
        tmp_path_factory, "ops_crash_nightly", AUTO_MIGRATE=True, NIGHTLY_BACKUP=True
    ) as app:
        _dies_during(app, "backup")
        frozen_clock.now = datetime.now(UTC) + timedelta(hours=30)

        with own_sessions():
            health = app.test_client().get("/health")

        assert health.json["backup"] == "late"
        assert health.json["status"] == "degraded"
