"""Support workbooks made in the background, kept in the database, which every web worker and
server shares: any of them shows a job's progress and serves its workbook.

A job (``ExportJob``) is its requester's alone, and is deleted with its workbook
EXPORT_FILE_HOURS after it started. The process making it writes its heartbeat (and the rows
written so far) every EXPORT_HEARTBEAT_SECONDS; a running job whose heartbeat is older than
EXPORT_STALE_SECONDS lost its process (killed, out of memory, a server restarted). The next
process to look at it (its page, its progress, its download) takes it over with a conditional
UPDATE, so that only one does, and makes it again, up to MAX_ATTEMPTS times; then it is failed
and its requester may start it again. Every write of the process making a job names the attempt
(``runner``): one that was taken over changes nothing any more.

The finished workbook is stored sealed (reintegration/sealing.py) in parts of PART_BYTES, and
sent unsealed a part at a time: it is never in clear on disk (spool.py).
"""

import logging
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, select, update

from .. import clock, sealing
from ..database import rowcount
from ..extensions import db
from .filters import Filters
from .models import ExportJob, ExportJobPart, State, lifetime

__all__ = ["ExportJob", "Job", "State"]

Job = ExportJob  # the name the export's services use

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PART_BYTES = 4 * 1024 * 1024
PURPOSE = "export workbook"


def heartbeat_seconds() -> float:
    return current_app.config["EXPORT_HEARTBEAT_SECONDS"]


def stale_after() -> timedelta:
    return timedelta(seconds=current_app.config["EXPORT_STALE_SECONDS"])


def process_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def new_runner() -> str:
    """The name of one attempt at one job, in this process."""
    return f"{process_name()}/{secrets.token_hex(4)}"


def short(token: str) -> str:
    """Enough of a token to follow a job in the log, not enough to open it."""
    return token[:8]


def create(filters: Filters, user_id: int, language: str, expected: int, runner: str) -> Job:
    """A new job, run by ``runner``; the caller commits, then starts it."""
    now = clock.utcnow()
    job = ExportJob(
        token=secrets.token_urlsafe(32),
        user_id=user_id,
        language=language,
        start_date=filters.start,
        end_date=filters.end,
        province_id=filters.province.id if filters.province is not None else None,
        facility_id=filters.facility.id if filters.facility is not None else None,
        names=filters.names,
        filename=filters.filename,
        state=State.RUNNING.value,
        rows_written=0,
        rows_expected=expected,
        started_at=now,
        heartbeat_at=now,
        attempts=1,
        runner=runner,
    )
    db.session.add(job)
    return job


def find(token: str, user_id: int) -> Job | None:
    """``user_id``'s job behind ``token``, if it has not expired."""
    if len(token) != 43:
        return None
    query = select(ExportJob).where(
        ExportJob.token == token,
        ExportJob.user_id == user_id,
        ExportJob.started_at > clock.utcnow() - lifetime(),
    )
    return db.session.scalars(query).first()


def stale(job: Job) -> bool:
    return job.state == State.RUNNING and job.heartbeat_at < clock.utcnow() - stale_after()


def _stale_running(token: str):
    return (
        (ExportJob.token == token)
        & (ExportJob.state == State.RUNNING.value)
        & (ExportJob.heartbeat_at < clock.utcnow() - stale_after())
    )


def take_over(token: str, runner: str) -> bool:
    """Make ``runner`` the one attempt at a job whose process stopped, if attempts are left
    and no other process took it first; the caller commits."""
    taken = db.session.execute(
        update(ExportJob)
        .where(_stale_running(token), ExportJob.attempts < MAX_ATTEMPTS)
        .values(
            runner=runner,
            attempts=ExportJob.attempts + 1,
            heartbeat_at=clock.utcnow(),
            rows_written=0,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:
        return False
    db.session.execute(delete(ExportJobPart).where(ExportJobPart.token == token))
    return True


def give_up(token: str) -> bool:
    """Fail a job whose process stopped and that has no attempt left; the caller commits."""
    failed = db.session.execute(
        update(ExportJob)
        .where(_stale_running(token), ExportJob.attempts >= MAX_ATTEMPTS)
        .values(state=State.FAILED.value, finished_at=clock.utcnow(), runner=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(failed) == 1


def start_again(token: str, runner: str) -> bool:
    """A failed job started again by its requester, with the same order; the caller commits."""
    now = clock.utcnow()
    again = db.session.execute(
        update(ExportJob)
        .where(ExportJob.token == token, ExportJob.state == State.FAILED.value)
        .values(
            state=State.RUNNING.value,
            runner=runner,
            attempts=1,
            rows_written=0,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(again) != 1:
        return False
    db.session.execute(delete(ExportJobPart).where(ExportJobPart.token == token))
    return True


def _ours(token: str, runner: str):
    return (
        (ExportJob.token == token)
        & (ExportJob.runner == runner)
        & (ExportJob.state == State.RUNNING.value)
    )


def beat(token: str, runner: str, written: int) -> bool:
    """The heartbeat of ``runner``, with its progress; False if the job is no longer its own.
    The caller commits."""
    beaten = db.session.execute(
        update(ExportJob)
        .where(_ours(token, runner))
        .values(heartbeat_at=clock.utcnow(), rows_written=written)
        .execution_options(synchronize_session=False)
    )
    return rowcount(beaten) == 1


def store_part(token: str, runner: str, number: int, data: bytes) -> bool:
    """One part of the finished workbook, sealed, if the job is still ``runner``'s (its
    heartbeat written with it). The caller commits."""
    if not beat(token, runner, _written(token)):
        return False
    sealed = sealing.seal(data, PURPOSE, f"{token}/{number}")
    db.session.add(ExportJobPart(token=token, number=number, sealed=sealed))
    db.session.flush()
    return True


def _written(token: str) -> int:
    return db.session.scalar(select(ExportJob.rows_written).where(ExportJob.token == token)) or 0


def finish(token: str, runner: str, written: int) -> bool:
    done = db.session.execute(
        update(ExportJob)
        .where(_ours(token, runner))
        .values(
            state=State.DONE.value,
            rows_written=written,
            finished_at=clock.utcnow(),
            heartbeat_at=clock.utcnow(),
            runner=None,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(done) == 1


def fail(token: str, runner: str) -> bool:
    failed = db.session.execute(
        update(ExportJob)
        .where(_ours(token, runner))
        .values(state=State.FAILED.value, finished_at=clock.utcnow(), runner=None)
        .execution_options(synchronize_session=False)
    )
    if rowcount(failed) == 1:
        db.session.execute(delete(ExportJobPart).where(ExportJobPart.token == token))
    return rowcount(failed) == 1


def release(runners: list[str]) -> int:
    """Jobs of a process that stops (a server's graceful restart): their heartbeat is made old,
    so that the next look at them takes them over at once. The caller commits."""
    if not runners:
        return 0
    released = db.session.execute(
        update(ExportJob)
        .where(ExportJob.runner.in_(runners), ExportJob.state == State.RUNNING.value)
        .values(heartbeat_at=clock.utcnow() - stale_after() - timedelta(seconds=1), runner=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(released)


def expired_exist() -> bool:
    oldest = clock.utcnow() - lifetime()
    return bool(db.session.scalar(select(exists().where(ExportJob.started_at <= oldest))))


def delete_expired() -> int:
    """Delete the jobs, and their workbooks, older than EXPORT_FILE_HOURS; the caller commits."""
    oldest = clock.utcnow() - lifetime()
    old = select(ExportJob.token).where(ExportJob.started_at <= oldest)
    db.session.execute(
        delete(ExportJobPart)
        .where(ExportJobPart.token.in_(old))
        .execution_options(synchronize_session=False)
    )
    deleted = db.session.execute(
        delete(ExportJob)
        .where(ExportJob.started_at <= oldest)
        .execution_options(synchronize_session=False)
    )
    return rowcount(deleted)


@dataclass
class StoredWorkbook:
    """A finished workbook as it leaves the server: its size, and its bytes part by part."""

    size: int
    parts: Iterator[bytes]


def open_workbook(job: Job) -> StoredWorkbook | None:
    """The finished workbook, unsealed a part at a time as it is read (its size known from the
    sealed parts' lengths): never whole in memory, never in clear on disk. None if it is not
    there, or was sealed with another SECRET_KEY (as good as expired)."""
    token = job.token
    stored = db.session.execute(
        select(ExportJobPart.number, func.length(ExportJobPart.sealed))
        .where(ExportJobPart.token == token)
        .order_by(ExportJobPart.number)
    ).all()
    if not stored:
        return None
    numbers = [number for number, _length in stored]
    first = _unsealed(token, numbers[0])  # an unreadable workbook is found before it is sent
    if first is None:
        return None
    size = sum(length - sealing.OVERHEAD for _number, length in stored)
    return StoredWorkbook(size, _parts(token, first, numbers[1:]))


def _unsealed(token: str, number: int) -> bytes | None:
    sealed = db.session.scalar(
        select(ExportJobPart.sealed).where(
            ExportJobPart.token == token, ExportJobPart.number == number
        )
    )
    if sealed is None:  # no such part
        return None
    try:
        return sealing.unseal(sealed, PURPOSE, f"{token}/{number}")
    except (sealing.Unreadable, TypeError):
        return None


def _parts(token: str, first: bytes, numbers: list[int]) -> Iterator[bytes]:
    """Each part read in a short transaction of its own: a slow download holds no database
    read open (on SQLite, a read held open keeps the write-ahead log from being emptied)."""
    yield first
    for number in numbers:
        part = _unsealed(token, number)
        db.session.rollback()
        if part is None:  # deleted or altered meanwhile: the download ends short, as broken
            raise sealing.Unreadable(PURPOSE)
        yield part
