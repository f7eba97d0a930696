"""The audit log's hash chain: each entry carries a keyed hash of itself and of the entry before,
so an entry changed, removed or added in the database by hand, triggers dropped, shows.

``chain = HMAC-SHA256(key, previous entry's chain || canonical JSON of the entry's stored
fields)``, the key derived from SECRET_KEY (HKDF, a purpose of its own, as in ``sealing``):
whoever holds the database but not the key cannot write a chain that verifies.

Every entry is written through ``append`` (or, for an ``AuditEntry`` added to the session,
``_chain_new_entries`` at flush), which takes the chain's lock (PostgreSQL: an advisory lock
held until the transaction ends; SQLite: the transaction's write lock), reads the newest entry
and gives the new ones the next ids, without gaps, and their chains. Verifying the chain, and
anchoring it after a change of SECRET_KEY, are in verification.py.
"""

import hashlib
import hmac
import json
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Connection, event, insert, select, text
from sqlalchemy.orm import Session

from .. import clock
from ..sealing import SALT
from .models import AuditEntry

PURPOSE = b"audit chain"
# The chain's advisory lock on PostgreSQL (operations/startup.py uses 748201).
ADVISORY_LOCK = 748202
ANCHOR = "audit_key"
BATCH = 5000
RECHAIN_BATCH = 2000

FIELDS = ("id", "at", "user_id", "username", "action", "entity", "entity_id", "case_id")
DEFAULTS = {"username": "", "entity": "", "ip": "", "user_id": None, "entity_id": None}


@lru_cache(maxsize=8)
def derive_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=PURPOSE).derive(
        secret.encode("utf-8")
    )


def current_key() -> bytes:
    return derive_key(str(current_app.config["SECRET_KEY"]))


def fingerprint(key: bytes) -> str:
    """Names a key without revealing it (an anchor says which key follows it)."""
    return hmac.new(key, b"fingerprint", hashlib.sha256).hexdigest()[:16]


def _value(value):
    return getattr(value, "value", value)  # an Action is stored by its value


def _at(value: object) -> str:
    if isinstance(value, str):  # as SQLite stores it, read as it is (verify)
        written = value
        try:
            value = datetime.fromisoformat(written)
        except ValueError:
            return written  # not a time: written by hand, it matches no chain
    if not isinstance(value, datetime):
        raise TypeError("an audit entry has no time")
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.UTC)
    return value.astimezone(clock.UTC).isoformat(timespec="microseconds")


def canonical(row) -> bytes:
    """The entry's stored fields as canonical JSON (sorted keys, no spaces); ``changes`` as it
    reads back from the database (a JSON round trip)."""
    get = row.get if isinstance(row, dict) else row._mapping.get
    changes = get("changes")
    if isinstance(changes, str):  # JSON text as SQLite stores it, read as it is (verify)
        try:
            changes = json.loads(changes)
        except ValueError:
            changes = {"unreadable": changes}  # written by hand: it matches no chain
    else:
        changes = json.loads(json.dumps(changes))
    fields = [_value(get(name)) for name in FIELDS]
    fields[1] = _at(get("at"))
    fields += [changes, get("ip")]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(key: bytes, previous: str | None, row) -> str:
    return hmac.new(key, (previous or "").encode() + canonical(row), hashlib.sha256).hexdigest()


def lock(connection: Connection) -> None:
    """Until the transaction ends, no one else appends (SQLite: its write lock does that)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK})"))


def _newest(connection: Connection):
    return connection.execute(
        select(AuditEntry.id, AuditEntry.chain).order_by(AuditEntry.id.desc()).limit(1)
    ).first()


def chained(connection: Connection, rows: list[dict], key: bytes | None = None) -> list[dict]:
    """``rows`` with the next ids and their chains, under the chain's lock (kept by the
    transaction until it ends)."""
    key = key or current_key()
    lock(connection)
    newest = _newest(connection)
    last_id, previous = (newest.id, newest.chain) if newest else (0, None)
    for row in rows:
        for name, default in DEFAULTS.items():
            row.setdefault(name, default)
            if row[name] is None:
                row[name] = default
        row.setdefault("changes", None)
        row.setdefault("case_id", None)
        if row.get("at") is None:
            row["at"] = clock.utcnow()
        last_id += 1
        row["id"] = last_id
        row["chain"] = previous = link(key, previous, row)
    return rows


def append(connection: Connection, rows: list[dict]) -> None:
    """Insert entries (dicts of AuditEntry's columns), chained."""
    if rows:
        connection.execute(insert(AuditEntry), chained(connection, rows))


COLUMNS = ("at", "user_id", "username", "action", "entity", "entity_id", "case_id", "changes")


@event.listens_for(Session, "before_flush")
def _chain_new_entries(session: Session, _context, _instances) -> None:
    """Entries added to the session (``record``) get their ids and chains as they are written."""
    entries = [obj for obj in session.new if isinstance(obj, AuditEntry) and obj.chain is None]
    if not entries:
        return
    rows = chained(
        session.connection(),
        [{name: getattr(obj, name) for name in (*COLUMNS, "ip")} for obj in entries],
    )
    for obj, row in zip(entries, rows, strict=True):
        for name, value in row.items():
            setattr(obj, name, value)


def rechain(connection: Connection, key: bytes, batch: int | None = None) -> None:
    """Write every entry's chain again, in id order (a migration, with the append-only
    triggers dropped around it: a migration that rewrites entries must call it after)."""
    batch = batch or RECHAIN_BATCH
    columns = AuditEntry.__table__.c
    table = sa.table(
        AuditEntry.__tablename__,
        *(
            sa.column(name, sa.String() if name == "action" else columns[name].type)
            for name in (*FIELDS, "changes", "ip", "chain")
        ),  # actions as stored, whatever this release's list of them
    )
    previous, after = None, 0
    while True:
        rows = connection.execute(
            sa.select(table).where(table.c.id > after).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return
        chains = []
        for row in rows:
            previous = link(key, previous, row)
            chains.append({"entry_id": row.id, "value": previous})
        connection.execute(
            table.update()
            .where(table.c.id == sa.bindparam("entry_id"))
            .values(chain=sa.bindparam("value")),
            chains,
        )
        after = rows[-1].id
