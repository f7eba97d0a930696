"""The audit log's hash chain: each entry carries a keyed hash of itself and of the entry before,
so an entry changed, removed or added in the database by hand, triggers dropped, shows.

``chain = HMAC-SHA256(key, previous entry's chain || canonical JSON of the entry's stored
fields)``, the key derived from SECRET_KEY (HKDF, a purpose of its own, as in ``sealing``):
whoever holds the database but not the key cannot write a chain that verifies.

Every entry is written through ``append`` (or, for an ``AuditEntry`` added to the session,
``_chain_new_entries`` at flush), which takes the chain's lock (PostgreSQL: an advisory lock
held until the transaction ends; SQLite: the transaction's write lock), reads the newest entry
and gives the new ones the next ids, without gaps, and their chains. ``verify`` walks the whole
log in batches and names the first broken link.

A change of SECRET_KEY: ``anchor`` (``flask --app wsgi audit anchor``) checks the chain with the
old key, then writes an entry (``entity`` "audit_key") holding the chain of every entry before it
recomputed with the new key, from which the new key's chain goes on (docs/audit.md).
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
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
from .models import Action, AuditEntry

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


_COLUMNS = ("at", "user_id", "username", "action", "entity", "entity_id", "case_id", "changes")


@event.listens_for(Session, "before_flush")
def _chain_new_entries(session: Session, _context, _instances) -> None:
    """Entries added to the session (``record``) get their ids and chains as they are written."""
    entries = [obj for obj in session.new if isinstance(obj, AuditEntry) and obj.chain is None]
    if not entries:
        return
    rows = chained(
        session.connection(),
        [{name: getattr(obj, name) for name in (*_COLUMNS, "ip")} for obj in entries],
    )
    for obj, row in zip(entries, rows, strict=True):
        for name, value in row.items():
            setattr(obj, name, value)


# Verifying.

CHANGED = "changed"
REMOVED = "removed"
INSERTED = "inserted"
BEFORE_ANCHOR = "before_key_change"
WRONG_KEY = "wrong_key"


@dataclass(frozen=True)
class Broken:
    entry_id: int
    problem: str  # CHANGED, REMOVED, INSERTED, BEFORE_ANCHOR, WRONG_KEY
    missing: tuple[int, int] | None = None  # REMOVED: the first and last id missing

    def describe(self) -> str:
        if self.problem == REMOVED:
            assert self.missing is not None, "a removal names the ids missing"
            first, last = self.missing
            span = f"#{first}" if first == last else f"#{first} to #{last}"
            return f"entry {span} removed (a gap in the chain before entry #{self.entry_id})"
        return {
            CHANGED: f"entry #{self.entry_id} changed (it no longer matches its hash)",
            INSERTED: f"entry #{self.entry_id} inserted (it was not written by the app)",
            BEFORE_ANCHOR: (
                f"an entry before #{self.entry_id} (a change of SECRET_KEY) was changed, "
                "removed or inserted"
            ),
            WRONG_KEY: (
                f"entry #{self.entry_id} and the newest do not match their hashes: SECRET_KEY "
                "was changed without `audit anchor`, or the log was rewritten (docs/audit.md)"
            ),
        }[self.problem]

    @property
    def recorded(self) -> str:
        """Short, for the record of the run (task_runs.error): ``changed #12``."""
        return f"{self.problem} #{self.entry_id}"


@dataclass(frozen=True)
class Verdict:
    entries: int
    broken: Broken | None
    newest: tuple[int, str | None] | None = None  # id and chain of the newest entry


# Read as stored, without the model's conversions: a value written by hand that they would
# refuse (an unknown action, a time or JSON that does not parse) is a broken link, not a crash.
_AS_STORED = {"at": sa.String(), "action": sa.String(), "changes": sa.Text()}
_READ = (
    AuditEntry.id,
    *(
        sa.type_coerce(getattr(AuditEntry, name), _AS_STORED[name]).label(name)
        if name in _AS_STORED
        else getattr(AuditEntry, name)
        for name in _COLUMNS
    ),
    AuditEntry.ip,
)


def _rows(connection: Connection, batch: int) -> Iterator:
    """Every entry in id order, ``batch`` at a time (never the whole log in memory)."""
    after = 0
    while True:
        rows = connection.execute(
            select(*_READ, AuditEntry.chain)
            .where(AuditEntry.id > after)
            .order_by(AuditEntry.id)
            .limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def _last_anchor(connection: Connection):
    return connection.execute(
        select(AuditEntry.id, AuditEntry.changes)
        .where(AuditEntry.entity == ANCHOR, AuditEntry.action == Action.CREATE)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()


def _newest_link_holds(connection: Connection, key: bytes, checked_id: int) -> bool:
    """Whether the newest entry, if newer than ``checked_id``, matches its hash."""
    rows = connection.execute(
        select(*_READ, AuditEntry.chain).order_by(AuditEntry.id.desc()).limit(2)
    ).all()
    if not rows or rows[0].id <= checked_id:
        return True
    previous = rows[1].chain if len(rows) > 1 else None
    return rows[0].chain == link(key, previous, rows[0])


def verify(connection: Connection, key: bytes | None = None, batch: int = BATCH) -> Verdict:
    """Walk the chain; the first broken link, if any.

    Entries before the last key change (an anchor) are checked as a whole against the chain
    the anchor holds; from the anchor on, link by link. A link that fails is classified with
    the entry after it: an entry without a chain, or one the next entry skips, was inserted; a
    gap in the ids was removed; else the entry was changed.
    """
    key = key or current_key()
    anchor = _last_anchor(connection)
    anchor_id = anchor.id if anchor else 0
    recomputed = None  # the entries before the anchor, chained with this key
    count = 0
    previous = None  # the entry before, once linked
    suspect = None  # (entry before it, entry) of a link that failed
    newest = None
    for row in _rows(connection, batch):
        count += 1
        newest = (row.id, row.chain)
        if row.id < anchor_id:
            recomputed = link(key, recomputed, row)
            previous = row
            continue
        if row.id == anchor_id and recomputed != (anchor.changes or {}).get("rechained"):
            return Verdict(count, Broken(anchor_id, BEFORE_ANCHOR), newest)
        if suspect is not None:
            return Verdict(count, _classify(key, *suspect, row), newest)
        before = previous.chain if previous is not None else None
        if row.chain is None or row.chain != link(key, before, row):
            first_checked = previous is None or previous.id < anchor_id
            if (
                first_checked
                and row.chain is not None
                and not _newest_link_holds(connection, key, row.id)
            ):
                return Verdict(count, Broken(row.id, WRONG_KEY), newest)
            suspect = (previous, row)
            continue
        previous = row
    if suspect is not None:
        return Verdict(count, _classify(key, *suspect, None), newest)
    return Verdict(count, None, newest)


def _classify(key: bytes, previous, entry, following) -> Broken:
    if entry.chain is None:
        return Broken(entry.id, INSERTED)
    expected_id = previous.id + 1 if previous is not None else None
    if expected_id is not None and entry.id > expected_id:
        return Broken(entry.id, REMOVED, (expected_id, entry.id - 1))
    if following is not None:
        before = previous.chain if previous is not None else None
        if following.chain == link(key, before, following):
            return Broken(entry.id, INSERTED)
    return Broken(entry.id, CHANGED)


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


def anchor(connection: Connection, old_key: bytes, actor: str = "cli") -> Verdict:
    """After a change of SECRET_KEY: check the chain with the old key; if intact, write the
    anchor from which the current key's chain goes on. The chain's lock is held throughout,
    so no entry is written between the check and the anchor."""
    key = current_key()
    lock(connection)
    verdict = verify(connection, old_key)
    if verdict.broken is not None:
        return verdict
    recomputed = None
    for row in _rows(connection, BATCH):
        recomputed = link(key, recomputed, row)
    append(
        connection,
        [
            {
                "at": clock.utcnow(),
                "username": actor,
                "action": Action.CREATE,
                "entity": ANCHOR,
                "changes": {
                    "key": fingerprint(key),
                    "previous_key": fingerprint(old_key),
                    "entries": verdict.entries,
                    "rechained": recomputed,
                },
            }
        ],
    )
    return verdict


def verify_only() -> Verdict:
    """``verify`` in a read transaction of the session's (SQLite's write lock never taken)."""
    from ..database import writing
    from ..extensions import db

    with writing(False):
        try:
            return verify(db.session.connection())
        finally:
            db.session.rollback()  # ends the walk's read transaction


def check() -> Verdict:
    """Verify the chain and record the run (task ``audit_verify``): the audit page and
    *System status* show when it last ran and what it found."""
    from ..operations import runs

    with runs.recorded(runs.AUDIT_VERIFY) as run:
        verdict = verify_only()
        if verdict.broken is not None:
            run.failed(verdict.broken.recorded)
    return verdict
