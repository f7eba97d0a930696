"""Making a support workbook too large for a request, in a thread of a web process.

The job's order, state and progress are rows of the database (``jobs``), so the process that
makes a workbook need not be the one that shows it. The thread runs in an app context of its
own, with its own database session; a second thread writes the job's heartbeat and progress
every EXPORT_HEARTBEAT_SECONDS, even while openpyxl saves the workbook. The workbook and its
sheets wait on disk sealed with a key held only in memory (spool.py), in files without a name
in the process's own folder (``scratch``); the finished workbook is sealed into the database.

A process that stops gracefully (a server's restart) hands its jobs back as it exits, so the
next look at them takes them over at once; one that is killed stops writing its heartbeat, and
its jobs are taken over once it is EXPORT_STALE_SECONDS old (``pick_up``). The pool is made at
the first job, not at import, so that it belongs to the process that runs the job, never to a
server's parent process before it forks its workers.

Outside any request, the thread and its heartbeat are units of work of their own: each commits
where it works (a heartbeat is a short transaction, so that others' saves wait only briefly).
"""

import atexit
import logging
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable

from flask import Flask, current_app
from flask_babel import force_locale

from .. import clock, scratch
from ..auth.models import User
from ..cases.queries import case_scope
from ..database import let_waiting_writers_in, writing
from ..extensions import db
from . import jobs, support
from .filters import Filters
from .jobs import Job
from .spool import Spool, in_parts

log = logging.getLogger(__name__)

# The rows written are told at most this often (the page asks every 2 s).
PROGRESS_SECONDS = 2.0


class Superseded(Exception):
    """Another process took the job over: this attempt stops and stores nothing."""


class Runner:
    """One thread that makes this process's workbooks one at a time (each holds a database
    connection and a processor for minutes); a daemon, so that a stopping process does not
    wait for a workbook that another process will make."""

    def __init__(self):
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._work, name="workbook", daemon=True)
        self.thread.start()

    def submit(self, function: Callable, *args) -> None:
        self.queue.put((function, args))

    def _work(self) -> None:
        while True:
            function, args = self.queue.get()
            try:
                function(*args)
            except Exception:
                log.exception("support workbook: the background thread failed")


_lock = threading.Lock()
_runner: Runner | None = None
_runner_pid: int | None = None
# The attempts this process has taken on and not ended, by app: handed back as it exits.
_mine: dict[str, Flask] = {}


def executor() -> Runner:
    global _runner, _runner_pid
    with _lock:
        if _runner is None or _runner_pid != os.getpid():
            _runner, _runner_pid = Runner(), os.getpid()
            atexit.register(_hand_back)
        return _runner


def launch(token: str, runner: str) -> None:
    """Make the job's workbook in this process; the job, run by ``runner``, is committed."""
    # current_app is typed as the app itself, not as the proxy to it.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        _mine[runner] = app
    # Beats from now, while the job waits its turn behind another, so that no other process
    # takes a job that is only waiting.
    executor().submit(run, app, token, runner, Heartbeat(app, token, runner).start())


def start(filters: Filters, user: User, language: str, expected: int) -> Job:
    """A new job for ``filters`` made for ``user``; the caller commits, then ``launch``es."""
    return jobs.create(filters, user.id, language, expected, jobs.new_runner())


def pick_up(job: Job) -> bool:
    """Take over ``job`` if its process stopped (heartbeat too old) and run it here, or fail it
    once it has had its attempts; logged once, by the process that does it. Whether it
    changed. Reads end first: the change is a short write of its own."""
    if not jobs.stale(job):
        return False
    token, heartbeat, attempts = job.token, job.heartbeat_at, job.attempts
    db.session.rollback()
    runner = jobs.new_runner()
    with writing():
        taken = jobs.take_over(token, runner)
        failed = not taken and jobs.give_up(token)
        # Committed here, on purpose, though a job's page calls it: the thread started below
        # reads the job through a connection of its own.
        db.session.commit()
    silent = int((clock.utcnow() - heartbeat).total_seconds())
    if taken:
        log.warning(
            "support workbook %s: its process stopped (no heartbeat for %s s); made again here,"
            " attempt %s of %s",
            jobs.short(token),
            silent,
            attempts + 1,
            jobs.MAX_ATTEMPTS,
        )
        launch(token, runner)
    elif failed:
        log.error(
            "support workbook %s failed: its process stopped (no heartbeat for %s s) on each of"
            " %s attempts",
            jobs.short(token),
            silent,
            attempts,
        )
    return taken or failed


class Heartbeat:
    """Writes the job's heartbeat every EXPORT_HEARTBEAT_SECONDS, and the rows written so far
    when they changed (at most every PROGRESS_SECONDS), from a thread of its own, from the
    moment the job is given to this process (waiting its turn included) until it ends; notices
    when another process took the job over."""

    def __init__(self, app: Flask, token: str, runner: str):
        self.app, self.token, self.runner = app, token, runner
        with app.app_context():
            self.seconds = jobs.heartbeat_seconds()
        self.written = 0
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def tell(self, written: int) -> None:
        """The progress callback of the workbook: stops a job taken over by another process."""
        self.written = written
        if self.lost:
            raise Superseded

    def _beat(self) -> None:
        told, last = 0, time.monotonic()
        with self.app.app_context():
            while not self._stop.wait(min(self.seconds, PROGRESS_SECONDS)):
                if self.written == told and time.monotonic() - last < self.seconds:
                    continue
                written = self.written
                try:
                    with writing():
                        ours = jobs.beat(self.token, self.runner, written)
                        db.session.commit()
                except Exception as error:  # the database away a moment: try at the next beat
                    db.session.rollback()
                    log.warning(
                        "support workbook %s: heartbeat not written (%s)",
                        jobs.short(self.token),
                        type(error).__name__,
                    )
                    continue
                if not ours:
                    self.lost = True
                    return
                told, last = written, time.monotonic()


def run(app: Flask, token: str, runner: str, heartbeat: Heartbeat | None = None) -> None:
    heartbeat = heartbeat or Heartbeat(app, token, runner).start()
    with app.app_context():
        try:
            job = db.session.get(Job, token)
            if job is None or job.runner != runner:
                return  # expired, or taken over meanwhile
            with force_locale(job.language):
                _make(job, runner, heartbeat)
        except Superseded:
            db.session.rollback()
            log.warning("support workbook %s: taken over by another process", jobs.short(token))
        except Exception as error:
            db.session.rollback()
            _failed(token, runner, error)
        finally:
            heartbeat.stop()
            with _lock:
                _mine.pop(runner, None)


def _make(job: Job, runner: str, heartbeat: Heartbeat) -> None:
    token, user_id = job.token, job.user_id
    filters = job.filters()
    scope = case_scope(db.session.get_one(User, user_id))
    # A province's workbook is too large to hold in memory (tens of MB): it waits sealed on
    # disk, without a name, so nothing of it is left, nor readable, if the process dies.
    with Spool() as target:
        # A long read: on SQLite, other users' saves need not wait for it.
        with writing(False), scratch.in_use():
            rows = support.write(filters, scope, target, heartbeat.tell)
            db.session.rollback()
        written = sum(rows.values())
        heartbeat.tell(written)
        _store(token, runner, target, written)
    log.info("support workbook %s made: %s rows", jobs.short(token), written)


def _store(token: str, runner: str, workbook: Spool, written: int) -> None:
    """The workbook into the database, sealed, a part per short transaction (on SQLite, other
    saves wait for one part, not the whole workbook)."""
    for number, data in enumerate(in_parts(workbook, jobs.PART_BYTES)):
        with writing():
            if not jobs.store_part(token, runner, number, data):
                db.session.rollback()
                raise Superseded
            db.session.commit()
        let_waiting_writers_in(db.engine.dialect.name)
    with writing():
        if not jobs.finish(token, runner, written):
            db.session.rollback()
            raise Superseded
        db.session.commit()


def _failed(token: str, runner: str, error: Exception) -> None:
    """Say where it failed, never the error's message: a value it quotes may be a name."""
    where = "".join(traceback.format_tb(error.__traceback__))
    log.error("support workbook %s failed: %s\n%s", jobs.short(token), type(error).__name__, where)
    try:
        with writing():
            jobs.fail(token, runner)
            db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("support workbook %s: its failure could not be recorded", jobs.short(token))


def _hand_back() -> None:
    """As the process exits: its jobs' heartbeats are made old, for another to take over."""
    with _lock:
        mine = dict(_mine)
    by_app: dict[int, tuple[Flask, list[str]]] = {}
    for runner, app in mine.items():
        by_app.setdefault(id(app), (app, []))[1].append(runner)
    for app, runners in by_app.values():
        try:
            with app.app_context(), writing():
                released = jobs.release(runners)
                db.session.commit()
            if released:
                log.warning(
                    "support workbook: %s job(s) handed back as this process stops", released
                )
        except Exception as error:
            log.warning("support workbook: jobs not handed back (%s)", type(error).__name__)
