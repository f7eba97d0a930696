"""The app's own temporary folder: what stopped processes left goes at the next sweep."""

import os
import socket
import stat
import subprocess
import sys
import time

import pytest

from reintegration import scratch

DAY = 24 * 3600


@pytest.fixture
def base(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "tmp"


def _ended_pid() -> int:
    """The id of a process that ran and no longer does."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _folder(base, name: str, age: float = 0):
    folder = base / name
    folder.mkdir(parents=True)
    (folder / "openpyxl.abc").write_text("<row>Lò Thị Mai</row>")
    stamp = time.time() - age
    for path in (folder / "openpyxl.abc", folder):
        os.utime(path, (stamp, stamp))
    return folder


def test_the_folder_of_this_process_is_the_apps_alone(base):
    folder = scratch.folder()

    assert folder == str(base / f"{socket.gethostname()}-{os.getpid()}")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(base).st_mode) == 0o700


def test_the_sweep_removes_what_stopped_processes_of_this_host_left(base):
    host = socket.gethostname()
    ended = _folder(base, f"{host}-{_ended_pid()}")
    running = _folder(base, f"{host}-{os.getppid()}")
    elsewhere = _folder(base, "another-server-4242")
    mine = _folder(base, f"{host}-{os.getpid()}")

    scratch.sweep()

    assert not ended.exists()
    assert running.exists() and elsewhere.exists() and mine.exists()
    assert (mine / "openpyxl.abc").exists()


def test_the_sweep_removes_anything_older_than_a_day(base):
    host = socket.gethostname()
    elsewhere = _folder(base, "another-server-4242", age=DAY + 60)
    mine = _folder(base, f"{host}-{os.getpid()}", age=DAY + 60)
    (base / "stray file").write_text("x")
    os.utime(base / "stray file", (time.time() - DAY - 60,) * 2)
    recent = _folder(base, "another-server-4343", age=DAY - 60)

    scratch.sweep()

    assert not elsewhere.exists() and not (base / "stray file").exists()
    assert mine.exists() and not (mine / "openpyxl.abc").exists()
    assert recent.exists()


def test_a_sweep_without_a_folder_does_nothing(base):
    assert scratch.sweep() == 0
    assert not base.exists()
