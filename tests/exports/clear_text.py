"""Looking for a text on disk as someone holding a copy of the server's disk would: in every file
under some folders, and in the files a process has open there, those without a name included
(a file removed while open is still on disk until it is closed); inside a zip (an xlsx) too."""

import contextlib
import io
import os
import zipfile


def files_holding(text: str, roots, pid: int | str = "self") -> list[str]:
    """The files under ``roots``, and the files there that process ``pid`` has open, whose
    bytes hold ``text`` in clear."""
    roots = [os.path.realpath(root) for root in roots]
    found = []
    for path, shown in _named(roots) + open_files(roots, pid):
        data = _read(path)
        if data is not None and holds(data, text):
            found.append(shown)
    return found


def holds(data: bytes, text: str) -> bool:
    """Whether ``data`` holds ``text`` in clear (in a zip's members too), as UTF-8 or as XML
    writes it in ASCII (openpyxl's sheets: "Lò" is "L&#242;")."""
    forms = {
        text.encode("utf-8"),
        text.encode("ascii", "xmlcharrefreplace"),
        "".join(c if ord(c) < 128 else f"&#x{ord(c):x};" for c in text).encode("ascii"),
    }
    return any(_holds(data, needle) for needle in forms)


def every_file(roots) -> list[str]:
    return [shown for _path, shown in _named([os.path.realpath(root) for root in roots])]


def _named(roots) -> list[tuple[str, str]]:
    return [
        (os.path.join(folder, name), os.path.join(folder, name))
        for root in roots
        for folder, _dirs, names in os.walk(root)
        for name in names
    ]


def open_files(roots, pid: int | str = "self") -> list[tuple[str, str]]:
    """(a path that reads the open file, the name it had) for each file ``pid`` has open under
    ``roots``: /proc/<pid>/fd/<n> reads a removed file too."""
    roots = [os.path.realpath(root) for root in roots]
    folder = f"/proc/{pid}/fd"
    opened = []
    for descriptor in os.listdir(folder):
        path = os.path.join(folder, descriptor)
        try:
            target = os.readlink(path)
        except OSError:
            continue  # closed meanwhile
        if any(target.startswith(root + os.sep) for root in roots):
            opened.append((path, target))
    return opened


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None  # removed or closed meanwhile


def _holds(data: bytes, needle: bytes) -> bool:
    if needle in data:
        return True
    if data.startswith(b"PK"):  # a zip's members are compressed: read them
        broken = (zipfile.BadZipFile, EOFError, ValueError, OSError)
        with contextlib.suppress(*broken), zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(needle in archive.read(name) for name in archive.namelist())
    return False
