"""Where the data keys come from, and the keys derived from each.

A keyring is one or more keys, the first of which encrypts; the others only open what they
encrypted before a rotation finished. Each key is written ``ID:SECRET`` (an id such as
``k1``, and 32 random bytes in URL-safe base64), one per line in the key file
(``DATA_KEY_FILE``, ``instance/data.keys`` unless set) or separated by commas in ``DATA_KEYS``
(the environment or instance/config.py), which wins over the file.

The database never holds a key: ``data_keys`` keeps, for each key id, a verifier (a keyed
digest of a fixed text) by which the app knows at start whether its keys are the ones the
database was encrypted with, and refuses to start otherwise.

Without a key the app does not start, except in development, where one is made in the
instance folder, and in tests, which use a fixed key.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

KEY_BYTES = 32
KEY_FILE_NAME = "data.keys"
# The key tests use when they name none: every process of a test agrees on it.
TEST_KEYS = "test:" + base64.urlsafe_b64encode(b"t" * KEY_BYTES).decode().rstrip("=")
_ID = re.compile(r"^[a-z0-9]{1,12}$")
# How often a running process looks whether the key file changed (a rotation began or ended).
RELOAD_SECONDS = 2.0


class KeyProblem(RuntimeError):
    """The keys are missing, unreadable or not the database's."""


@dataclass(frozen=True)
class DataKey:
    id: str
    secret: bytes = field(repr=False)

    def derive(self, purpose: str) -> bytes:
        return HKDF(
            algorithm=hashes.SHA256(),
            length=KEY_BYTES,
            salt=b"reintegration data key",
            info=purpose.encode("utf-8"),
        ).derive(self.secret)

    @cached_property
    def cipher(self) -> AESGCM:
        return AESGCM(self.derive("fields"))

    @cached_property
    def token_key(self) -> bytes:
        return self.derive("search tokens")

    @cached_property
    def verifier(self) -> str:
        message = f"reintegration data key {self.id}".encode()
        return hmac.new(self.derive("verifier"), message, hashlib.sha256).hexdigest()[:32]

    def line(self) -> str:
        return f"{self.id}:{base64.urlsafe_b64encode(self.secret).decode().rstrip('=')}"


@dataclass(frozen=True)
class Keyring:
    keys: tuple[DataKey, ...]
    # Where they came from: "DATA_KEYS" or the key file's path, for messages.
    source: str

    @property
    def current(self) -> DataKey:
        return self.keys[0]

    def get(self, key_id: str) -> DataKey | None:
        return next((key for key in self.keys if key.id == key_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key.id for key in self.keys)


def new_key(taken: tuple[str, ...] = ()) -> DataKey:
    """A fresh key whose id follows the ids ``taken`` (k1, k2, ...)."""
    numbers = [int(key_id[1:]) for key_id in taken if re.fullmatch(r"k\d+", key_id)]
    return DataKey(f"k{max(numbers, default=0) + 1}", secrets.token_bytes(KEY_BYTES))


def parse(text: str, source: str) -> Keyring:
    """The keys written in ``text`` (see the module's docstring), or KeyProblem saying why not."""
    keys: list[DataKey] = []
    entries = [
        entry.strip() for line in text.splitlines() for entry in line.split("#", 1)[0].split(",")
    ]
    for number, entry in enumerate(filter(None, entries), start=1):
        if not entry:
            continue
        key_id, _, encoded = entry.partition(":")
        key_id, encoded = key_id.strip(), encoded.strip()
        try:
            secret = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            secret = b""
        if not _ID.match(key_id) or len(secret) != KEY_BYTES:
            raise KeyProblem(
                f"{source}: entry {number} is not a data key (ID:SECRET, as written by "
                "`flask --app wsgi keys new`)."
            )
        if any(key.id == key_id for key in keys):
            raise KeyProblem(f"{source}: the key id {key_id} is written twice.")
        keys.append(DataKey(key_id, secret))
    if not keys:
        raise KeyProblem(f"{source} holds no key.")
    return Keyring(tuple(keys), source)


def key_file(app) -> str:
    return app.config.get("DATA_KEY_FILE") or os.path.join(app.instance_path, KEY_FILE_NAME)


def write_key_file(path: str, keys: tuple[DataKey, ...]) -> None:
    """Replace the key file at once (a reader sees the old file or the new, never half),
    readable by its owner only."""
    text = (
        "# Data keys of the reintegration tracker: the first encrypts, the others only open.\n"
        "# Keep a copy apart from the database's backups: without it they cannot be read.\n"
        + "".join(key.line() + "\n" for key in keys)
    )
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.new"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class _Loaded:
    """The app's keyring, read again when the key file changes (a rotation in progress)."""

    def __init__(self, app):
        self.app = app
        self.path = key_file(app)
        self.keyring: Keyring | None = None
        self.stamp: tuple | None = None
        self.checked = 0.0

    def reload(self) -> Keyring:
        """Read the key file again now (it was just written)."""
        self.keyring, self.stamp = None, None
        return self.get()

    def get(self) -> Keyring:
        configured = self.app.config.get("DATA_KEYS")
        if configured:
            if self.keyring is None:
                self.keyring = parse(str(configured), "DATA_KEYS")
            return self.keyring
        now = time.monotonic()
        if self.keyring is None or now - self.checked >= RELOAD_SECONDS:
            self.checked = now
            try:
                info = os.stat(self.path)
            except FileNotFoundError:
                raise KeyProblem(missing_message(self.app)) from None
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
            if stamp != self.stamp:
                with open(self.path, encoding="utf-8") as handle:
                    self.keyring = parse(handle.read(), self.path)
                self.stamp = stamp
        assert self.keyring is not None
        return self.keyring


def missing_message(app) -> str:
    return (
        f"No data key: {key_file(app)} does not exist and DATA_KEYS is not set. The personal "
        "fields of the database are encrypted with it. On a new installation run "
        "`flask --app wsgi keys new` and keep a copy of the key file apart from the "
        "database's backups. If this database was made elsewhere, bring its key file (or "
        "DATA_KEYS) from there: without it the names, addresses and notes cannot be read."
    )


def init_app(app) -> None:
    """Make a development key, use the test key in tests; refuse nothing here (``check``
    does, once the database is known)."""
    if not app.config.get("DATA_KEYS"):
        if app.config.get("TESTING") and not os.path.exists(key_file(app)):
            app.config["DATA_KEYS"] = TEST_KEYS
        elif app.config.get("ENV") == "development" and not os.path.exists(key_file(app)):
            write_key_file(key_file(app), (new_key(),))
            app.logger.warning(
                "made a data key in %s: keep a copy apart from the database", key_file(app)
            )
    app.extensions["data_keys"] = _Loaded(app)


def keyring() -> Keyring:
    return current_app.extensions["data_keys"].get()


def problem_with_keys(app) -> str | None:
    """Why the app has no usable keys (missing, unreadable); None when it has them."""
    try:
        app.extensions["data_keys"].get()
    except KeyProblem as problem:
        return str(problem)
    return None
