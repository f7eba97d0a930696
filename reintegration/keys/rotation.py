"""Rotating the data key: every encrypted value and search token made again under a new key,
in short batches, while the app runs.

The key file holds the new key first and the old ones after it until the end, so every value
opens at every moment, whichever key it is under, and a running process that has not yet read
the new file (it looks every few seconds) writes under the old key, which the next pass finds.
A batch changes a value only if it is still what was read (a colleague's save in between
wins, and is re-encrypted by a later pass): nothing typed is lost, no version moves, the audit
log is not touched (it holds no encrypted value). Stopped at any point, the rotation resumes
where it was: run it again.
"""

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import and_, select, update

from .. import clock
from ..database import let_waiting_writers_in, writing
from ..extensions import db
from .fields import Encrypted, decrypt, encrypt
from .keyring import RELOAD_SECONDS, keyring
from .models import DataKeyRecord
from .tokens import case_id_column, case_model, index_case, stale_cases

BATCH = 200


def encrypted_columns() -> list[tuple[str, str, str]]:
    """Every encrypted column, from the models: (table, column, purpose)."""
    return [
        (table.name, column.name, column.type.purpose)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Encrypted)
    ]


def _stored(table: str, column: str):
    """The table with the column as stored (the ciphertext), not decrypted."""
    lightweight = sa.table(table, sa.column("id", sa.Integer()), sa.column(column, sa.Text()))
    return lightweight, lightweight.c.id, lightweight.c[column]


def _under_another_key(stored, current_id: str):
    return and_(stored.is_not(None), stored != "", ~stored.startswith(f"{current_id}:"))


def stale_values(current_id: str) -> int:
    """How many stored values are under another key than ``current_id``."""
    total = 0
    for table, column, _purpose in encrypted_columns():
        lightweight, _id, stored = _stored(table, column)
        total += db.session.execute(
            select(sa.func.count())
            .select_from(lightweight)
            .where(_under_another_key(stored, current_id))
        ).scalar_one()
    return total


def _rotate_column(
    table: str, column: str, purpose: str, current_id: str, report: Callable[[str], None]
) -> int:
    lightweight, primary, stored = _stored(table, column)
    done, last = 0, 0
    while True:
        with writing():
            rows = db.session.execute(
                select(primary, stored)
                .where(primary > last, _under_another_key(stored, current_id))
                .order_by(primary)
                .limit(BATCH)
            ).all()
            for row_id, old in rows:
                db.session.execute(
                    update(lightweight)
                    .where(primary == row_id, stored == old)
                    .values({column: encrypt(purpose, decrypt(purpose, old))})
                )
            # A batch at a time, on purpose: the write lock is held briefly.
            db.session.commit()
        let_waiting_writers_in(db.engine.dialect.name)
        if not rows:
            return done
        done += len(rows)
        last = rows[-1][0]
        report(f"{table}.{column}: {done}")


def _retoken(current_id: str, report: Callable[[str], None]) -> int:
    case = case_model()
    done = 0
    while True:
        with writing():
            case_ids = stale_cases(current_id, BATCH)
            # Locked, and read as committed: a colleague's save of one of them ends first.
            locked = select(case).where(case_id_column().in_(case_ids)).with_for_update()
            for found in db.session.scalars(locked.execution_options(populate_existing=True)):
                index_case(found)
            # A batch at a time, on purpose: the write lock is held briefly.
            db.session.commit()
        let_waiting_writers_in(db.engine.dialect.name)
        if not case_ids:
            return done
        done += len(case_ids)
        report(f"search tokens: {done} cases")


def rotate(report: Callable[[str], None] = print, settle_seconds: float | None = None) -> int:
    """Re-encrypt everything under the keyring's first key; return how many values moved.

    Passes repeat until one finds nothing under an older key, after the processes still
    writing under it have had time to read the new key file (``settle_seconds``)."""
    current = keyring().current
    settle = RELOAD_SECONDS * 2 if settle_seconds is None else settle_seconds
    moved = 0
    while True:
        this_pass = 0
        for table, column, purpose in encrypted_columns():
            this_pass += _rotate_column(table, column, purpose, current.id, report)
        this_pass += _retoken(current.id, report)
        moved += this_pass
        if this_pass == 0:
            return moved
        if settle:
            time.sleep(settle)


def retire_others() -> list[str]:
    """Mark every key but the current one retired in the database (the current one was
    recorded before the rotation began: check.record_current); return their ids."""
    current = keyring().current
    with writing():
        records = db.session.scalars(
            select(DataKeyRecord).where(
                DataKeyRecord.id != current.id, DataKeyRecord.retired_at.is_(None)
            )
        ).all()
        for record in records:
            record.retired_at = clock.utcnow()
        # A command, outside any request: its own unit of work, committed here.
        db.session.commit()
    return [record.id for record in records]
