"""Two web servers that share a database and nothing else: each its own instance folder, each a
real threaded server, as two machines behind one address would be."""

import os
import tempfile
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from reintegration import create_app
from reintegration.extensions import db
from tests.browsing import TIMEOUT_SECONDS, Browser, serving
from tests.own_database import SETTINGS, app_on_own_database, own_sessions


@dataclass
class Server:
    app: object
    base: str

    @property
    def folder(self) -> str:
        """The app's own temporary folder (reintegration/scratch.py)."""
        return os.path.join(self.app.instance_path, "tmp")


@contextmanager
def two_servers(tmp_path_factory, suffix: str, **settings):
    """Servers ``a`` and ``b`` on one database of the test's own; the process's temporary
    folder, which a job points at the app's, is put back after."""
    instances = [tmp_path_factory.mktemp(f"instance-{name}") for name in "ab"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", tempfile.tempdir)
        patch.setenv("REINTEGRATION_INSTANCE", str(instances[0]))
        with app_on_own_database(tmp_path_factory, suffix, **settings) as first:
            patch.setenv("REINTEGRATION_INSTANCE", str(instances[1]))
            url = first.config["DATABASE_URL"]
            second = create_app({**SETTINGS, "DATABASE_URL": url, **settings})
            try:
                with own_sessions(), serving(first) as a, serving(second) as b:
                    yield Server(first, a), Server(second, b)
            finally:
                with second.app_context():
                    db.engine.dispose()


def get_bytes(browser: Browser, path: str) -> tuple[int, bytes]:
    """A file the browser downloads, as its bytes."""
    try:
        with browser.opener.open(browser.base + path, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read()


def post_file(browser: Browser, path: str, fields: dict, name: str, filename: str, data: bytes):
    """A form with a file, sent as a browser sends it (multipart)."""
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(  # noqa: S310 (http only)
        browser.base + path,
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with browser.opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.headers.get("Location")
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Location")
