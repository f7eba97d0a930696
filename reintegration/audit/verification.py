"""Verifying the audit log's hash chain (chain.py), and anchoring it after a change of
SECRET_KEY.

``verify`` walks the whole log in batches and names the first broken link. ``anchor``
(``flask --app wsgi audit anchor``) checks the chain with the old key, then writes an entry
(``entity`` "audit_key") holding the chain of every entry before it recomputed with the new
key, from which the new key's chain goes on (docs/audit.md).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, select

from .. import clock
from .chain import ANCHOR, BATCH, COLUMNS, append, current_key, fingerprint, link, lock
from .models import Action, AuditEntry

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
        for name in COLUMNS
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
    walk = _Walk(connection, key or current_key(), _last_anchor(connection))
    for row in _rows(connection, batch):
        broken = walk.step(row)
        if broken is not None:
            return Verdict(walk.count, broken, walk.newest)
    if walk.suspect is not None:
        return Verdict(walk.count, _classify(walk.key, *walk.suspect, None), walk.newest)
    return Verdict(walk.count, None, walk.newest)


class _Walk:
    """The state of ``verify``'s walk, one entry at a time."""

    def __init__(self, connection: Connection, key: bytes, anchor):
        self.connection, self.key, self.anchor = connection, key, anchor
        self.anchor_id = anchor.id if anchor else 0
        self.recomputed: str | None = None  # the entries before the anchor, with this key
        self.count = 0
        self.previous: Any = None  # the entry before, once linked
        self.suspect: tuple[Any, Any] | None = None  # (entry before it, entry) of a failed link
        self.newest: tuple[int, str | None] | None = None

    def step(self, row) -> Broken | None:
        """Take the next entry; the broken link it shows, if any."""
        self.count += 1
        self.newest = (row.id, row.chain)
        if row.id < self.anchor_id:
            self.recomputed = link(self.key, self.recomputed, row)
            self.previous = row
            return None
        if row.id == self.anchor_id and self.recomputed != self._rechained():
            return Broken(self.anchor_id, BEFORE_ANCHOR)
        if self.suspect is not None:
            return _classify(self.key, *self.suspect, row)
        return self._link(row)

    def _rechained(self):
        """The chain of the entries before the anchor, as the anchor holds it."""
        return (self.anchor.changes or {}).get("rechained")

    def _link(self, row) -> Broken | None:
        previous = self.previous
        before = previous.chain if previous is not None else None
        if row.chain is not None and row.chain == link(self.key, before, row):
            self.previous = row
            return None
        first_checked = previous is None or previous.id < self.anchor_id
        if (
            first_checked
            and row.chain is not None
            and not _newest_link_holds(self.connection, self.key, row.id)
        ):
            return Broken(row.id, WRONG_KEY)
        self.suspect = (previous, row)
        return None


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
