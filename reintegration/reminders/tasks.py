"""Background work: the reminder pass every hour, the morning digest, the nightly check of the
audit log's chain and, on SQLite, the nightly backup, run by APScheduler.
Each run is recorded (reintegration/operations/runs.py).

The scheduler runs as its own process (``flask --app wsgi scheduler``) beside the web workers.
Its jobs are kept in the database (table ``scheduler_jobs``), so a run missed while it was
down is made once when it comes back (coalesce, within the misfire grace time). Every job is
safe to run twice at once: the pass is locked and keyed, each digest is claimed before sending.
"""

import logging
import threading

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from .. import clock
from ..audit.services import acting_as
from ..database import writing
from ..extensions import db
from ..operations import runs

log = logging.getLogger(__name__)

REMINDER_JOB = "reminder-pass"
DIGEST_JOB = "daily-digest"
BACKUP_JOB = "nightly-backup"
AUDIT_JOB = "nightly-audit-verify"

# The application the jobs run in; set when the scheduler is built.
_app: Flask | None = None


def _the_app() -> Flask:
    """The application the jobs run in: a job run before ``build`` has none to run in."""
    if _app is None:
        raise RuntimeError("the scheduler's jobs run once tasks.build(app) has been called")
    return _app


def _job(name: str, task: str, work, write_lock: bool = True, failure=None):
    """Run ``work`` in the app, its run recorded as ``task``. A failure is logged and rolled
    back; the next run tries again. ``failure(result)`` names a failure that raised nothing."""
    with _the_app().app_context(), writing(write_lock), acting_as("scheduler"):
        try:
            with runs.recorded(task) as run:
                try:
                    result = work()
                except BaseException:
                    # Its transaction (on SQLite, the write lock) ends before the run's failure
                    # is written, in a transaction of its own that would wait for that lock.
                    db.session.rollback()
                    raise
                if failure is not None and failure(result):
                    run.failed(failure(result))
            return result
        except Exception:
            db.session.rollback()
            log.exception("%s failed; the next run tries again", name)
            return None
        finally:
            db.session.remove()


def run_reminder_pass() -> None:
    """A job: one pass, committed."""
    from . import services

    def work():
        result = services.run_pass()
        # A scheduled job, outside any request: its own unit of work.
        db.session.commit()
        return result

    result = _job("reminder pass", runs.REMINDER_PASS, work)
    if result is not None:
        opened, closed = sum(result.opened.values()), sum(result.closed.values())
        log.info("reminder pass: %s opened, %s closed", opened, closed)


def send_daily_digest() -> None:
    """A job: today's digests not sent yet."""
    from . import digest

    # Each digest takes short transactions of its own: none is held while mail is sent.
    result = _job(
        "digest run",
        runs.DIGEST,
        lambda: digest.send_digests(),
        write_lock=False,
        failure=lambda result: "DeliveryFailed" if result.failed else None,
    )
    if result is not None:
        log.info("digests: %s sent, %s failed, %s empty", result.sent, result.failed, result.empty)


def make_nightly_backup() -> None:
    """A job: a verified backup, then only the last BACKUP_KEEP kept (SQLite)."""
    from ..operations.backups import nightly_backup

    # The backup reads one snapshot and records its own run (operations/backups.py).
    app = _the_app()
    with app.app_context():
        try:
            nightly_backup(app)
        except Exception:
            log.exception("nightly backup failed; older backups are kept, the next night tries")


def verify_audit_chain() -> None:
    """A job: walk the audit log's chain; a broken link is recorded as the run's failure."""
    from ..audit import verification

    result = _job(
        "audit log check",
        runs.AUDIT_VERIFY,
        verification.verify_only,
        write_lock=False,
        failure=lambda verdict: verdict.broken.recorded if verdict.broken else None,
    )
    if result is not None and result.broken is not None:
        log.error("the audit log's chain is broken: %s", result.broken.describe())


def jobs(app: Flask) -> list[tuple[str, str, object]]:
    """(id, function, trigger) of every job, in Vietnam's time."""
    config = app.config
    backup = (
        BACKUP_JOB,
        f"{__name__}:make_nightly_backup",
        CronTrigger(hour=config["BACKUP_HOUR"], minute=0, timezone=clock.VIETNAM),
    )
    # Half an hour after the backup's hour, when the app is quiet.
    audit = (
        AUDIT_JOB,
        f"{__name__}:verify_audit_chain",
        CronTrigger(hour=config["BACKUP_HOUR"], minute=30, timezone=clock.VIETNAM),
    )
    return [
        (
            REMINDER_JOB,
            f"{__name__}:run_reminder_pass",
            IntervalTrigger(minutes=config["REMINDER_PASS_MINUTES"], timezone=clock.VIETNAM),
        ),
        (
            DIGEST_JOB,
            f"{__name__}:send_daily_digest",
            CronTrigger(hour=config["DIGEST_HOURS"], minute=0, timezone=clock.VIETNAM),
        ),
        audit,
    ] + ([backup] if config["NIGHTLY_BACKUP"] else [])


class SteadyLoop(BaseScheduler):
    """The scheduler's loop outlives an error of its own job store (the database restarting,
    locked for a while): it logs it and looks again in a minute, instead of its thread ending
    in silence while the process seems to run. A run whose next time could not be stored is
    made again then, once: every job is safe to run twice."""

    def _process_jobs(self):
        try:
            return super()._process_jobs()
        except Exception:
            log.exception("the scheduler could not read or store its jobs; it tries in a minute")
            return 60


class SteadyScheduler(SteadyLoop, BackgroundScheduler):
    pass


def build(app: Flask, scheduler_class: type[BaseScheduler] = SteadyScheduler, jobstore=None):
    """A scheduler for ``app``, its jobs stored in the app's database unless told otherwise."""
    global _app
    _app = app
    return scheduler_class(
        timezone=clock.VIETNAM,
        jobstores={
            "default": jobstore or SQLAlchemyJobStore(engine=db.engine, tablename="scheduler_jobs")
        },
        job_defaults={
            # Runs missed while down are made once, not once each...
            "coalesce": True,
            # ...if the latest of them is at most this late.
            "misfire_grace_time": app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"],
            "max_instances": 1,
        },
    )


def start(scheduler: BaseScheduler, app: Flask) -> None:
    """Start, keeping stored jobs as they are so that missed runs are caught up.

    The scheduler runs its jobs in threads of its own (a background scheduler): start returns,
    and the caller keeps the process alive.
    """
    scheduler.start(paused=True)
    first_start = scheduler.get_job(REMINDER_JOB) is None
    options = {"misfire_grace_time": app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"]}
    if not app.config["NIGHTLY_BACKUP"] and scheduler.get_job(BACKUP_JOB) is not None:
        scheduler.remove_job(BACKUP_JOB)
    for job_id, function, trigger in jobs(app):
        stored = scheduler.get_job(job_id)
        if stored is None or str(stored.trigger) != str(trigger):
            scheduler.add_job(function, trigger, id=job_id, replace_existing=True, **options)
        elif stored.misfire_grace_time != options["misfire_grace_time"]:
            scheduler.modify_job(job_id, **options)  # keeps the run it was waiting for
    if first_start:
        run_reminder_pass()  # a first start makes a pass at once rather than in an hour
    scheduler.resume()


_web_lock = threading.Lock()
_web_scheduler: BaseScheduler | None = None


def start_in_web_process(app: Flask) -> None:
    """SCHEDULER_IN_WEB: start a background scheduler once, at this process's first request.

    Starting at the first request, not at import, keeps it out of flask commands and out of the
    reloader's watching process, which never serves a request.
    """
    global _web_scheduler
    with _web_lock:
        if _web_scheduler is None:
            scheduler = build(app)
            start(scheduler, app)
            _web_scheduler = scheduler  # only once started: a failed start is tried again
            log.info("scheduler started inside the web process")
