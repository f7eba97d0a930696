"""Previews kept between the upload and the confirmation.

A checked file holds names and birth dates, so it stays on the server, never in the address or
the session cookie: in a file of the instance folder, readable by the app alone, named by a
random token. A preview belongs to the user who uploaded it, and is forgotten after an hour or
once imported.
"""

import contextlib
import json
import os
from datetime import datetime, timedelta

from .. import clock
from ..kept import KeptFiles

LIFETIME = timedelta(hours=1)
SUFFIX = ".json"
CLAIMED = ".importing"
FILES = KeptFiles("IMPORT_FOLDER", "imports", lambda: LIFETIME, (SUFFIX, CLAIMED), state=SUFFIX)


def save(preview: dict, user_id: int) -> str:
    token = FILES.new_token()
    now = clock.utcnow()
    payload = {"user_id": user_id, "created_at": now.isoformat(), "preview": preview}
    with FILES.create(token, SUFFIX) as handle:
        json.dump(payload, handle)
    FILES.date(FILES.path(token, SUFFIX), now)
    return token


def load(token: str, user_id: int, suffix: str = SUFFIX) -> dict | None:
    """The preview behind ``token``, if it is ``user_id``'s and not expired."""
    # Previews hold names: none outlives its hour, uploads or not.
    if not FILES.opening(token):
        return None
    try:
        with open(FILES.path(token, suffix), encoding="utf-8") as handle:
            payload = json.load(handle)
    except FileNotFoundError:
        return None
    if payload["user_id"] != user_id or FILES.expired(
        datetime.fromisoformat(payload["created_at"])
    ):
        return None
    return payload["preview"]


def claim(token: str) -> bool:
    """Take the preview for one import: a second click on "Import" finds it gone."""
    try:
        os.rename(FILES.path(token, SUFFIX), FILES.path(token, CLAIMED))
    except FileNotFoundError:
        return False
    return True


def release(token: str) -> None:
    """Give a claimed preview back, after an import that a rule refused. One that expired
    meanwhile, swept by another worker, is gone: the user uploads the file again."""
    with contextlib.suppress(FileNotFoundError):
        os.rename(FILES.path(token, CLAIMED), FILES.path(token, SUFFIX))


def discard(token: str) -> None:
    FILES.remove(token, SUFFIX, CLAIMED)
