"""Previews kept between the upload and the confirmation, in the database, which every web
worker and server shares.

A checked file holds names and birth dates, so it never travels in the address or the session
cookie: it is a row of ``import_previews``, sealed (reintegration/sealing.py), named by a random
token. A preview belongs to the user who uploaded it, and is forgotten after an hour or once
imported. The import claims it by deleting it in the import's own transaction: a second click
finds it gone, and an import that fails (a rule refuses a row, the request crashes) rolls back
with its claim, leaving the preview there to try again.
"""

import json
import secrets
from datetime import timedelta

from sqlalchemy import delete, exists, select

from .. import clock, sealing
from ..database import rowcount
from ..extensions import db
from .models import ImportPreview

LIFETIME = timedelta(hours=1)
PURPOSE = "import preview"


def _bound(token: str, user_id: int) -> str:
    return f"{token}/{user_id}"


def save(preview: dict, user_id: int) -> str:
    """Keep ``preview`` for ``user_id``; the caller commits. Old previews go first."""
    delete_expired()
    token = secrets.token_urlsafe(32)
    data = json.dumps(preview).encode("utf-8")
    db.session.add(
        ImportPreview(
            token=token,
            user_id=user_id,
            created_at=clock.utcnow(),
            sealed=sealing.seal(data, PURPOSE, _bound(token, user_id)),
        )
    )
    db.session.flush()
    return token


def _current(token: str, user_id: int):
    return (
        (ImportPreview.token == token)
        & (ImportPreview.user_id == user_id)
        & (ImportPreview.created_at > clock.utcnow() - LIFETIME)
    )


def load(token: str, user_id: int) -> dict | None:
    """The preview behind ``token``, if it is ``user_id``'s and not expired."""
    if len(token) != 43:
        return None
    sealed = db.session.scalar(select(ImportPreview.sealed).where(_current(token, user_id)))
    if sealed is None:
        return None
    try:
        return json.loads(sealing.unseal(sealed, PURPOSE, _bound(token, user_id)))
    except sealing.Unreadable:
        return None  # sealed with another SECRET_KEY: as good as expired


def claim(token: str, user_id: int) -> bool:
    """Take the preview for one import, in the import's transaction: on PostgreSQL a second
    click's DELETE waits for the first's transaction, then finds nothing; on SQLite it begins
    after the first committed."""
    claimed = db.session.execute(
        delete(ImportPreview)
        .where(_current(token, user_id))
        .execution_options(synchronize_session=False)
    )
    return rowcount(claimed) == 1


def expired_exist() -> bool:
    oldest = clock.utcnow() - LIFETIME
    return bool(db.session.scalar(select(exists().where(ImportPreview.created_at <= oldest))))


def delete_expired() -> int:
    """Previews older than an hour, deleted; the caller commits."""
    deleted = db.session.execute(
        delete(ImportPreview)
        .where(ImportPreview.created_at <= clock.utcnow() - LIFETIME)
        .execution_options(synchronize_session=False)
    )
    return rowcount(deleted)
