"""Previews kept between the upload and the confirmation.

A checked file holds names and birth dates, so it stays on the server, never in the address or
the session cookie: in a file of the instance folder, readable by the app alone, named by a
random token. A preview belongs to the user who uploaded it, and is forgotten after an hour or
once imported.
"""

import contextlib
import json
import os
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app

from .. import clock

LIFETIME = timedelta(hours=1)
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
SUFFIX = ".json"
CLAIMED = ".importing"


def folder() -> str:
    return current_app.config.get("IMPORT_FOLDER") or os.path.join(
        current_app.instance_path, "imports"
    )


def _path(token: str, suffix: str = SUFFIX) -> str:
    return os.path.join(folder(), token + suffix)


def save(preview: dict, user_id: int) -> str:
    sweep()
    os.makedirs(folder(), mode=0o700, exist_ok=True)
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    payload = {"user_id": user_id, "created_at": now.isoformat(), "preview": preview}
    descriptor = os.open(_path(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    # Aged by the app's clock, as the preview's lifetime is.
    os.utime(_path(token), (now.timestamp(), now.timestamp()))
    return token


def load(token: str, user_id: int, suffix: str = SUFFIX) -> dict | None:
    """The preview behind ``token``, if it is ``user_id``'s and not expired."""
    sweep()  # previews hold names: none outlives its hour, uploads or not
    if not TOKEN.fullmatch(token):
        return None
    try:
        with open(_path(token, suffix), encoding="utf-8") as handle:
            payload = json.load(handle)
    except FileNotFoundError:
        return None
    created = datetime.fromisoformat(payload["created_at"])
    if payload["user_id"] != user_id or clock.utcnow() - created > LIFETIME:
        return None
    return payload["preview"]


def claim(token: str) -> bool:
    """Take the preview for one import: a second click on "Import" finds it gone."""
    try:
        os.rename(_path(token), _path(token, CLAIMED))
    except FileNotFoundError:
        return False
    return True


def release(token: str) -> None:
    """Give a claimed preview back, after an import that a rule refused."""
    os.rename(_path(token, CLAIMED), _path(token))


def discard(token: str) -> None:
    for suffix in (SUFFIX, CLAIMED):
        with contextlib.suppress(FileNotFoundError):
            os.remove(_path(token, suffix))


def sweep() -> None:
    """Delete the previews older than their lifetime."""
    try:
        names = os.listdir(folder())
    except FileNotFoundError:
        return
    oldest = (clock.utcnow() - LIFETIME).timestamp()
    for name in names:
        path = os.path.join(folder(), name)
        with contextlib.suppress(FileNotFoundError):
            if name.endswith((SUFFIX, CLAIMED)) and os.path.getmtime(path) < oldest:
                os.remove(path)
