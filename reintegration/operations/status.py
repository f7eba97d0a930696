"""Whether the scheduled work is keeping up: the administrator's page and /health read it here.

Each task is ``ok``, ``running``, ``late`` (its last success is older than its period allows),
``failed`` (its last run failed), ``never`` (it has not run on this database) or ``off`` (not
scheduled with these settings). A province without an IT officer learns from the administrator's
home page that the nightly backup or the reminder pass has stopped.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import clock
from . import runs


class State(enum.StrEnum):
    OK = "ok"
    RUNNING = "running"
    LATE = "late"
    FAILED = "failed"
    NEVER = "never"
    OFF = "off"

    @property
    def label(self):
        return {
            State.OK: _l("Working"),
            State.RUNNING: _l("Running now"),
            State.LATE: _l("Late"),
            State.FAILED: _l("Failed"),
            State.NEVER: _l("Has not run yet"),
            State.OFF: _l("Off"),
        }[self]

    @property
    def wrong(self) -> bool:
        return self in (State.LATE, State.FAILED, State.NEVER)


@dataclass(frozen=True)
class Task:
    name: str
    run: runs.Run | None
    state: State
    # The longest time between two successes while all is well.
    period: timedelta | None

    @property
    def alarming(self) -> bool:
        """Worth a warning on the administrator's home page: late or failed, or, for the
        reminder pass (which runs as soon as the scheduler starts), never run: no scheduler."""
        if self.state == State.NEVER:
            return self.name == runs.REMINDER_PASS
        return self.state in (State.LATE, State.FAILED)

    @property
    def label(self):
        return {
            runs.REMINDER_PASS: _l("Reminder pass"),
            runs.DIGEST: _l("Daily email digest"),
            runs.BACKUP: _l("Nightly backup"),
            runs.AUDIT_VERIFY: _l("Audit log check"),
        }[self.name]


def _periods(config) -> dict[str, timedelta | None]:
    """How long after its last success each task is late: its period, with a margin for a
    slow run or a restart of the scheduler."""
    return {
        runs.REMINDER_PASS: timedelta(minutes=2 * config["REMINDER_PASS_MINUTES"] + 15),
        runs.DIGEST: timedelta(hours=26),
        runs.BACKUP: timedelta(hours=26) if config["NIGHTLY_BACKUP"] else None,
        runs.AUDIT_VERIFY: timedelta(hours=26),
    }


def tasks(now: datetime | None = None) -> list[Task]:
    now = now or clock.utcnow()
    last = runs.last_runs()
    found = []
    for name, period in _periods(current_app.config).items():
        run = last.get(name)
        found.append(Task(name, run, _state(run, period, now), period))
    return found


def _state(run: runs.Run | None, period: timedelta | None, now: datetime) -> State:
    if run is None:
        return State.OFF if period is None else State.NEVER
    started = run.started_at
    if run.running and started is not None and (period is None or now - started <= period):
        return State.RUNNING  # unfinished for longer: its process died midway, so it is late
    if run.failed:
        return State.FAILED
    if period is not None and (run.succeeded_at is None or now - run.succeeded_at > period):
        return State.LATE
    return State.OK
