"""Runs of the background tasks: each records its start, its end and whether it failed.

``recorded("backup")`` wraps a run; ``last_runs()`` gives the administrator's page and /health
each task's last run. A run is written in a short transaction of its own, apart from the task's
work, so a task that fails and rolls back still leaves its failure recorded.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..database import writing
from ..extensions import db
from .models import TaskRun

log = logging.getLogger(__name__)

REMINDER_PASS = "reminder_pass"  # noqa: S105  (a task's name)
DIGEST = "digest"
BACKUP = "backup"
AUDIT_VERIFY = "audit_verify"
TASKS = (REMINDER_PASS, DIGEST, BACKUP, AUDIT_VERIFY)


@dataclass(frozen=True)
class Run:
    task: str
    started_at: datetime | None
    finished_at: datetime | None
    succeeded_at: datetime | None
    failed: bool
    error: str | None  # the error's class name, never its message
    schema_revision: str | None = None

    @property
    def running(self) -> bool:
        started, finished = self.started_at, self.finished_at
        return started is not None and (finished is None or finished < started)


def last_runs() -> dict[str, Run]:
    """Each task's last run, by task name; a task that never ran is absent."""
    rows = db.session.scalars(select(TaskRun)).all()
    return {row.task: _run(row) for row in rows}


def last_backup_at(revision: str | None, connection: Connection) -> datetime | None:
    """When the last backup succeeded, if it was made at ``revision`` (None otherwise, or
    when the database is older than the table of runs)."""
    if not inspect(connection).has_table(TaskRun.__tablename__):
        return None
    row = connection.execute(
        select(TaskRun.last_succeeded_at, TaskRun.schema_revision).where(TaskRun.task == BACKUP)
    ).first()
    if row is None or row.schema_revision != revision:
        return None
    return row.last_succeeded_at


class Outcome:
    """What a run reports besides raising: ``failed("DeliveryFailed")`` when part of it failed."""

    def __init__(self):
        self.error: str | None = None

    def failed(self, error: str) -> None:
        self.error = error[:80]


@contextmanager
def recorded(task: str, schema_revision: str | None = None) -> Iterator[Outcome]:
    """Record a run of ``task``: started now, then succeeded or failed. An exception is
    recorded by its class name and goes on."""
    _write(task, last_started_at=clock.utcnow())
    outcome = Outcome()
    try:
        yield outcome
    except BaseException as error:
        outcome.failed(type(error).__name__)
        raise
    finally:
        _finished(task, outcome.error, schema_revision)


def _finished(task: str, error: str | None, schema_revision: str | None) -> None:
    now = clock.utcnow()
    if error is not None:
        _write(task, last_finished_at=now, last_failed=True, error=error)
        return
    values = {"last_finished_at": now, "last_succeeded_at": now, "last_failed": False}
    if schema_revision is not None:
        values["schema_revision"] = schema_revision
    _write(task, error=None, **values)


def _write(task: str, **values) -> None:
    try:
        with writing(), _transaction() as connection:
            if not inspect(connection).has_table(TaskRun.__tablename__):
                return  # a database not yet migrated to 0010 (a backup before migrating)
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(TaskRun).values(
                {"task": task, "last_failed": False, **values}
            )
            connection.execute(
                statement.on_conflict_do_update(index_elements=[TaskRun.task], set_=values)
            )
    except SQLAlchemyError as error:
        # The task's own outcome matters more than its record (the database may be down).
        log.warning("the run of %s could not be recorded (%s)", task, type(error).__name__)


@contextmanager
def _transaction() -> Iterator[Connection]:
    """A transaction of its own on the session's engine; inside a test's connection (which
    tests give the session), a savepoint of it."""
    bind = db.session.get_bind()
    if isinstance(bind, Connection):
        with bind.begin_nested():
            yield bind
    else:
        with bind.begin() as connection:
            yield connection


def _run(row: TaskRun) -> Run:
    return Run(
        task=row.task,
        started_at=row.last_started_at,
        finished_at=row.last_finished_at,
        succeeded_at=row.last_succeeded_at,
        failed=row.last_failed,
        error=row.error,
        schema_revision=row.schema_revision,
    )
