"""The folder the app's temporary files go to, its own, instead of the system's.

A workbook being made keeps each of its sheets on disk until it is saved, and a large one waits
on disk before it is stored; a process killed midway (out of memory, ``kill -9``, a server's
restart) may leave files behind. So each process writes its temporary files into
``instance/tmp/<host>-<pid>`` (readable by the app alone): a workbook's, sealed with a key held
only in memory and without a name (exports/spool.py), and any a library makes while a workbook
is made (the process's ``tempfile.tempdir`` points there meanwhile). A sweep, when the app
starts and before each workbook, removes the folders of this host's processes that no longer
run and anything older than a day.
"""

import contextlib
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from contextlib import contextmanager

from flask import current_app

log = logging.getLogger(__name__)

# Nothing the app writes here is meant to outlive a day; a folder of a process that still runs
# (or of another host, sharing the instance folder) is left alone until then.
LONGEST_SECONDS = 24 * 3600


def base(app=None) -> str:
    return os.path.join((app or current_app).instance_path, "tmp")


def _own_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def folder(app=None) -> str:
    """This process's folder, made if need be (0700)."""
    parent = base(app)
    path = os.path.join(parent, _own_name())
    os.makedirs(parent, mode=0o700, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    return path


_lock = threading.Lock()
_users = 0
_before: str | None = None


@contextmanager
def in_use(app=None):
    """While a workbook is made, the process's temporary files, those of its libraries
    included (openpyxl's sheets), go to its folder; the process's setting is put back when
    the last workbook being made is done (a test runner's own temporary folder stays where it
    was)."""
    global _users, _before
    path = folder(app)
    with _lock:
        if _users == 0:
            # Found now, not left to be found (None): another thread finding the system's
            # folder at this moment would set it over ours, for the whole workbook.
            _before = tempfile.gettempdir()
            tempfile.tempdir = path
        _users += 1
    try:
        yield path
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                tempfile.tempdir = _before


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: not ours to judge
    return True


def _left_behind(name: str, host: str, oldest: float, path: str) -> bool:
    owner, _, pid = name.rpartition("-")
    if owner == host and pid.isdigit() and not _alive(int(pid)):
        return True
    return _older(path, oldest)


def _older(path: str, oldest: float) -> bool:
    try:
        return os.lstat(path).st_mtime < oldest
    except FileNotFoundError:
        return False


def sweep(app=None) -> int:
    """Remove what crashed processes left, and anything older than a day; the count removed."""
    parent = base(app)
    try:
        names = os.listdir(parent)
    except FileNotFoundError:
        return 0
    except OSError as error:
        log.warning("temporary files: %s not read (%s)", parent, type(error).__name__)
        return 0
    host, own, oldest = socket.gethostname(), _own_name(), time.time() - LONGEST_SECONDS
    removed = 0
    for name in names:
        path = os.path.join(parent, name)
        if name != own and _left_behind(name, host, oldest, path):
            removed += _remove(path)
        elif os.path.isdir(path) and not os.path.islink(path):
            removed += sum(_remove(os.path.join(path, inner)) for inner in _old(path, oldest))
    if removed:
        log.info("temporary files: %s left by stopped processes or old, removed", removed)
    return removed


def _old(path: str, oldest: float) -> list[str]:
    try:
        return [name for name in os.listdir(path) if _older(os.path.join(path, name), oldest)]
    except FileNotFoundError:
        return []


def _remove(path: str) -> int:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    except FileNotFoundError:
        return 0  # removed a moment ago by another process's sweep
    except OSError as error:
        # Not the app's to remove (another user's): said, and the app goes on.
        log.warning("temporary files: %s not removed (%s)", path, type(error).__name__)
        return 0
    return 1
