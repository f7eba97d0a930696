"""The app's own temporary folder: what stopped processes left goes at the next sweep."""

import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
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
    assert running.exists()
    assert elsewhere.exists()
    assert mine.exists()
    assert (mine / "openpyxl.abc").exists()


def test_the_sweep_removes_anything_older_than_a_day(base):
    host = socket.gethostname()
    elsewhere = _folder(base, "another-server-4242", age=DAY + 60)
    mine = _folder(base, f"{host}-{os.getpid()}", age=DAY + 60)
    (base / "stray file").write_text("x")
    os.utime(base / "stray file", (time.time() - DAY - 60,) * 2)
    recent = _folder(base, "another-server-4343", age=DAY - 60)

    scratch.sweep()

    assert not elsewhere.exists()
    assert not (base / "stray file").exists()
    assert mine.exists()
    assert not (mine / "openpyxl.abc").exists()
    assert recent.exists()


def test_a_sweep_without_a_folder_does_nothing(base):
    assert scratch.sweep() == 0
    assert not base.exists()


class _WatchedLock:
    """tempfile's lock around finding the system's temporary folder, telling when the thread
    watched begins to wait for it."""

    def __init__(self, watched: list, waiting: threading.Event):
        self.lock, self.watched, self.waiting = threading.Lock(), watched, waiting

    def acquire(self, *args, **kwargs):
        if threading.current_thread() in self.watched:
            self.waiting.set()
        return self.lock.acquire(*args, **kwargs)

    def release(self):
        self.lock.release()


def test_a_workbook_begun_while_another_request_finds_the_system_folder_stays_in_the_apps(
    app, base, monkeypatch
):
    """Another request of the process (an upload being read) asks for the system's temporary
    folder at the moment a workbook begins: openpyxl's sheets, holding names, still go to
    the app's folder, not the system's."""
    system, finding, found = tempfile.gettempdir(), threading.Event(), threading.Event()
    bounded = 30  # seconds: only if the app's code hangs

    def slow_default():
        finding.set()
        assert found.wait(bounded)
        return system

    workbook: list = []
    begun = threading.Event()  # the workbook is in its folder, or waits for the other request
    seen: list[str] = []
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(tempfile, "_get_default_tempdir", slow_default)
    monkeypatch.setattr(tempfile, "_once_lock", _WatchedLock(workbook, begun))

    def make_workbook():
        with app.app_context(), scratch.in_use() as folder:
            begun.set()
            assert found.wait(bounded)
            other.join(bounded)
            seen.extend([folder, tempfile.gettempdir()])

    other = threading.Thread(target=tempfile.gettempdir)
    other.start()
    assert finding.wait(bounded)
    workbook.append(threading.Thread(target=make_workbook))
    workbook[0].start()
    assert begun.wait(bounded)
    found.set()
    workbook[0].join(bounded)
    other.join(bounded)

    folder, used = seen
    assert used == folder
