"""Making a support workbook too large for a request, in a thread of the web process.

The thread runs in an app context of its own, so it has its own database session, and writes the
workbook and its progress to files that any web worker can read (``jobs``). The pool is made at
the first job, not at import, so that it belongs to the worker process that runs the job, never
to a server's parent process before it forks its workers.
"""

import logging
import threading
import traceback
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from flask import Flask, current_app
from flask_babel import force_locale

from ..auth.models import User
from ..auth.scopes import case_scope
from ..extensions import db
from ..reference.models import Province
from ..shelter.models import Facility
from . import jobs, support
from .jobs import Job
from .queries import Filters

log = logging.getLogger(__name__)

# Each workbook holds a database connection and a processor for minutes: one at a time per web
# process, the others wait their turn.
WORKERS = 1

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


@dataclass(frozen=True)
class Order:
    """What the job is to make, in plain values: the request's records belong to its session."""

    user_id: int
    language: str
    start: date
    end: date
    province_id: int | None
    facility_id: int | None
    names: bool

    @classmethod
    def of(cls, filters: Filters, user: User, language: str) -> "Order":
        return cls(
            user_id=user.id,
            language=language,
            start=filters.start,
            end=filters.end,
            province_id=filters.province.id if filters.province is not None else None,
            facility_id=filters.facility.id if filters.facility is not None else None,
            names=filters.names,
        )

    def filters(self) -> Filters:
        return Filters(
            start=self.start,
            end=self.end,
            province=db.session.get(Province, self.province_id) if self.province_id else None,
            facility=db.session.get(Facility, self.facility_id) if self.facility_id else None,
            names=self.names,
        )


def executor() -> Executor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="workbook")
        return _pool


def start(filters: Filters, user: User, language: str, expected: int) -> Job:
    """Start making the workbook of ``filters`` for ``user``; the export is audited already."""
    job = jobs.start(user.id, expected, filters)
    order = Order.of(filters, user, language)
    executor().submit(run, current_app._get_current_object(), job, order)
    return job


def run(app: Flask, job: Job, order: Order) -> None:
    with app.app_context(), force_locale(order.language):
        try:
            _make(job, order)
        except Exception as error:
            db.session.rollback()
            _failed(job, error)


def _make(job: Job, order: Order) -> None:
    scope = case_scope(db.session.get(User, order.user_id))

    def progress(written: int) -> None:
        job.written = written
        jobs.save(job)

    with jobs.open_partial(job) as target:
        rows = support.write(order.filters(), scope, target, progress)
    jobs.finish(job, sum(rows.values()))
    log.info("support workbook %s made: %s rows", job.token[:8], job.written)


def _failed(job: Job, error: Exception) -> None:
    """Say where it failed, never the error's message: a value it quotes may be a name."""
    where = "".join(traceback.format_tb(error.__traceback__))
    log.error("support workbook %s failed: %s\n%s", job.token[:8], type(error).__name__, where)
    try:
        jobs.fail(job)
    except OSError:
        log.exception("support workbook %s: its failure could not be recorded", job.token[:8])
