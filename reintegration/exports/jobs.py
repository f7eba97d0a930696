"""Support workbooks made in the background, and the state of each, kept between requests.

A workbook may hold names, so it stays on the server as the import's previews do: in a file of
the instance folder, readable by the app alone, named by a random token. Beside it a small JSON
file says whose it is and how far it has come, so that whichever web worker answers can tell.
A job belongs to the user who asked for it; it and its workbook are deleted EXPORT_FILE_HOURS
after it started. The state and the finished workbook carry the job's start as their time, by
the app's clock, so that a sweep finds the old jobs by the files' times alone.
"""

import contextlib
import enum
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO

from flask import current_app

from .. import clock
from ..kept import KeptFiles
from .queries import Filters

STATE = ".json"
WORKBOOK = ".xlsx"
PARTIAL = ".part"
# A new state, until it replaces the old one.
STATE_WRITTEN = ".tmp"
# A running job silent for this long died with its process (web workers restarted): its page
# says it failed. Progress comes every thousand rows; only saving a huge workbook is slower.
STALLED = timedelta(minutes=30)


class State(enum.StrEnum):
    # A job only ever moves from running to done or to failed.
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Job:
    token: str
    user_id: int
    started_at: datetime
    expected: int
    filename: str
    # The audit log's record of the export: the place (as table and id), and the filters as
    # codes and dates, names or not.
    entity: str
    entity_id: int
    audit: dict = field(default_factory=dict)
    state: State = State.RUNNING
    written: int = 0
    moved_at: datetime | None = None

    @property
    def names(self) -> bool:
        return bool(self.audit.get("names"))

    @property
    def percent(self) -> int:
        """100 once made; until then at most 99, the rows having been counted beforehand."""
        if self.state == State.DONE:
            return 100
        return min(99, self.written * 100 // self.expected) if self.expected else 0

    @property
    def expires_at(self) -> datetime:
        return self.started_at + FILES.lifetime()

    def stalled(self, now: datetime) -> bool:
        return self.state == State.RUNNING and now - (self.moved_at or self.started_at) > STALLED

    def to_json(self) -> dict:
        return {
            "user_id": self.user_id,
            "started_at": self.started_at.isoformat(),
            "expected": self.expected,
            "filename": self.filename,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "audit": self.audit,
            "state": self.state.value,
            "written": self.written,
            "moved_at": self.moved_at.isoformat() if self.moved_at else None,
        }

    @classmethod
    def from_json(cls, token: str, data: dict) -> "Job":
        moved = data["moved_at"]
        return cls(
            token=token,
            user_id=data["user_id"],
            started_at=datetime.fromisoformat(data["started_at"]),
            expected=data["expected"],
            filename=data["filename"],
            entity=data["entity"],
            entity_id=data["entity_id"],
            audit=data["audit"],
            state=State(data["state"]),
            written=data["written"],
            moved_at=datetime.fromisoformat(moved) if moved else None,
        )


def lifetime() -> timedelta:
    return timedelta(hours=current_app.config["EXPORT_FILE_HOURS"])


FILES = KeptFiles(
    "EXPORT_FOLDER", "exports", lifetime, (STATE, WORKBOOK, PARTIAL, STATE_WRITTEN), state=STATE
)


def start(user_id: int, expected: int, filters: Filters) -> Job:
    job = Job(
        token=FILES.new_token(),
        user_id=user_id,
        started_at=clock.utcnow(),
        expected=expected,
        filename=filters.filename,
        entity=filters.subject.__tablename__,
        entity_id=filters.subject.id,
        audit=filters.audit(),
    )
    save(job)
    return job


def save(job: Job) -> None:
    """Replace the job's state at once: a reader sees the old state or the new, never half."""
    job.moved_at = clock.utcnow()
    descriptor, written = tempfile.mkstemp(
        dir=FILES.folder(), prefix=job.token + ".", suffix=STATE_WRITTEN
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(job.to_json(), handle)
        FILES.date(written, job.started_at)
        os.replace(written, FILES.path(job.token, STATE))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(written)
        raise


def open_partial(job: Job) -> IO[bytes]:
    """The file the workbook is written to, readable by the app alone."""
    return FILES.create(job.token, PARTIAL, "wb")


def finish(job: Job, written: int) -> None:
    made = FILES.path(job.token, WORKBOOK)
    os.replace(FILES.path(job.token, PARTIAL), made)
    FILES.date(made, job.started_at)
    job.state, job.written = State.DONE, written
    save(job)


def fail(job: Job) -> None:
    if job.state != State.RUNNING:
        return
    FILES.remove(job.token, PARTIAL)
    job.state = State.FAILED
    save(job)


def load(token: str, user_id: int) -> Job | None:
    """The job behind ``token``, if it is ``user_id``'s and not expired."""
    if not FILES.opening(token):
        return None
    try:
        with open(FILES.path(token, STATE), encoding="utf-8") as handle:
            job = Job.from_json(token, json.load(handle))
    except FileNotFoundError:
        return None
    if job.user_id != user_id or FILES.expired(job.started_at):
        return None
    if job.stalled(clock.utcnow()):
        job.state = State.FAILED
    return job


def open_workbook(job: Job) -> IO[bytes] | None:
    """The finished workbook, open: a sweep may delete the file, the open handle keeps it."""
    try:
        return open(FILES.path(job.token, WORKBOOK), "rb")
    except FileNotFoundError:
        return None
