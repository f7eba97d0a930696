"""The scheduler run over a simulated day, stopped and started again, and with a failing job.

APScheduler reads the time through ``datetime.now``; here it reads the tests' frozen clock, and
due jobs run when the test says so, in the test's thread.
"""

import logging
from datetime import datetime, time, timedelta

import pytest
from apscheduler.executors import base as executors_base
from apscheduler.executors.debug import DebugExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import base as schedulers_base
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers import cron, date, interval
from sqlalchemy import select

from reintegration import clock, create_app
from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reminders import services, tasks
from reintegration.reminders.models import DigestDelivery
from tests.conftest import TODAY
from tests.helpers import build_world
from tests.reminders.helpers import every


class ManualScheduler(tasks.SteadyLoop, BaseScheduler):
    """Runs the jobs due when told to, in the calling thread, with the production loop's guard."""

    def wakeup(self):
        pass

    def shutdown(self, wait=True):
        super().shutdown(wait)

    def run_due(self):
        return self._process_jobs()


class _Now(datetime):
    @classmethod
    def now(cls, tz=None):
        moment = clock.utcnow()
        return moment.astimezone(tz) if tz else moment


@pytest.fixture
def scheduler_clock(monkeypatch, frozen_clock):
    for module in (schedulers_base, executors_base, interval, cron, date):
        monkeypatch.setattr(module, "datetime", _Now)
    return frozen_clock


def _scheduler(app, jobstore=None) -> ManualScheduler:
    scheduler = tasks.build(app, ManualScheduler, jobstore=jobstore or MemoryJobStore())
    scheduler.add_executor(DebugExecutor(), "default")
    tasks.start(scheduler, app)
    return scheduler


def test_a_simulated_day_opens_each_reminder_once_and_sends_one_digest_at_seven(
    app, make, scheduler_clock, smtp, caplog
):
    world = build_world(make)  # four people received three days ago: no plan in 27 days
    staff = world.user(make, Role.SHELTER_STAFF)
    staff.email = "nhanvien@example.org"
    staff.wants_digest = True
    db.session.commit()
    day = TODAY + timedelta(days=27)
    scheduler_clock.set(day, time(0, 5))
    with caplog.at_level(logging.INFO, logger="reintegration.reminders.tasks"):
        scheduler = _scheduler(app)
        for _ in range(24 * 6):  # every ten minutes until the next midnight
            scheduler.run_due()
            scheduler_clock.advance(minutes=10)
        scheduler.shutdown(wait=False)

    passes = [r for r in caplog.records if r.getMessage().startswith("reminder pass:")]
    assert len(passes) == 24  # at start, then hourly
    assert len(every("no_plan")) == 4
    assert len(every("no_needs_assessment")) == 4  # opened when the world was saved, not again
    assert [m["To"] for m in smtp.sent] == ["nhanvien@example.org"]
    (delivery,) = db.session.scalars(select(DigestDelivery)).all()
    assert clock.local(delivery.sent_at).hour == 7  # at the first step after 07:00
    assert delivery.day == day
    assert delivery.reminders == 2


def test_runs_missed_while_the_scheduler_was_down_are_made_once_when_it_is_back(
    app, scheduler_clock, tmp_path, monkeypatch
):
    runs = {"pass": [], "digest": []}
    monkeypatch.setattr(tasks, "run_reminder_pass", lambda: runs["pass"].append(clock.utcnow()))
    monkeypatch.setattr(tasks, "send_daily_digest", lambda: runs["digest"].append(clock.utcnow()))
    jobs_db = f"sqlite:///{tmp_path / 'jobs.db'}"

    scheduler_clock.set(TODAY, time(5, 30))
    first = _scheduler(app, SQLAlchemyJobStore(url=jobs_db, tablename="scheduler_jobs"))
    first.run_due()
    first.shutdown(wait=False)
    assert len(runs["pass"]) == 1
    assert runs["digest"] == []

    # Down from 05:30 to 09:20: three passes and the 07:00, 08:00 and 09:00 digests missed.
    scheduler_clock.set(TODAY, time(9, 20))
    second = _scheduler(app, SQLAlchemyJobStore(url=jobs_db, tablename="scheduler_jobs"))
    second.run_due()
    second.run_due()
    second.shutdown(wait=False)
    assert len(runs["pass"]) == 2
    assert len(runs["digest"]) == 1


def test_a_run_later_than_the_grace_time_is_skipped_not_made(
    app, scheduler_clock, tmp_path, monkeypatch
):
    runs = []
    monkeypatch.setattr(tasks, "send_daily_digest", lambda: runs.append(clock.utcnow()))
    monkeypatch.setattr(tasks, "run_reminder_pass", lambda: None)
    jobs_db = f"sqlite:///{tmp_path / 'jobs.db'}"
    scheduler_clock.set(TODAY, time(5, 30))
    _scheduler(app, SQLAlchemyJobStore(url=jobs_db, tablename="scheduler_jobs")).shutdown(
        wait=False
    )
    # Back at 13:00: the last digest hour (11:00) is two hours late, past the grace time.
    scheduler_clock.set(TODAY, time(13, 0))
    _scheduler(app, SQLAlchemyJobStore(url=jobs_db, tablename="scheduler_jobs")).run_due()
    assert runs == []


def test_a_failing_pass_is_logged_and_the_next_run_makes_it(
    app, make, scheduler_clock, monkeypatch, caplog
):
    build_world(make)  # received three days ago: a plan is due in 27 days
    real = services.run_pass
    failures = iter([True])

    def flaky(today=None):
        if next(failures, False):
            raise RuntimeError("database went away")
        return real(today)

    monkeypatch.setattr(services, "run_pass", flaky)
    scheduler_clock.set(TODAY + timedelta(days=27), time(10, 0))
    with caplog.at_level(logging.INFO, logger="reintegration.reminders.tasks"):
        scheduler = _scheduler(app)
        scheduler.run_due()
        assert every("no_plan") == []
        scheduler_clock.advance(hours=1)
        scheduler.run_due()
    assert "reminder pass failed; the next run tries again" in caplog.text
    assert len(every("no_plan")) == 4
    assert scheduler.running


def test_a_changed_interval_replaces_the_stored_job(app, scheduler_clock, tmp_path, monkeypatch):
    jobs_db = f"sqlite:///{tmp_path / 'jobs.db'}"
    monkeypatch.setattr(tasks, "run_reminder_pass", lambda: None)
    _scheduler(app, SQLAlchemyJobStore(url=jobs_db, tablename="scheduler_jobs")).shutdown(
        wait=False
    )
    monkeypatch.setitem(app.config, "REMINDER_PASS_MINUTES", 30)
    again = _scheduler(app, SQLAlchemyJobStore(url=jobs_db, tablename="scheduler_jobs"))
    assert again.get_job(tasks.REMINDER_JOB).trigger.interval == timedelta(minutes=30)


def test_web_workers_start_no_scheduler_unless_a_setting_asks(app, monkeypatch):
    started = []
    monkeypatch.setattr(tasks, "_web_scheduler", None)
    monkeypatch.setattr(tasks, "build", lambda *_a, **_k: object())
    monkeypatch.setattr(tasks, "start", lambda scheduler, _app: started.append(scheduler))
    settings = {
        key: app.config[key]
        for key in ("TESTING", "SECRET_KEY", "DATABASE_URL", "AUTO_MIGRATE", "WTF_CSRF_ENABLED")
    }
    quiet = create_app(settings)
    quiet.test_client().get("/login")
    assert started == []

    busy = create_app({**settings, "SCHEDULER_IN_WEB": True})
    client = busy.test_client()
    client.get("/login")
    client.get("/login")
    assert len(started) == 1  # once per process, at its first request


def test_the_jobs_run_in_vietnam_time(app):
    (_pass, every_hour, _), (_digest, _f, mornings), *_nightly_backup = tasks.jobs(app)
    assert str(mornings) == "cron[hour='7-11', minute='0']"
    assert mornings.timezone == clock.VIETNAM
    assert every_hour.endswith(":run_reminder_pass")


def test_the_scheduler_command_starts_the_jobs_and_stops_on_ctrl_c(
    app, runner, scheduler_clock, monkeypatch
):
    from reintegration.reminders import cli

    made = []
    build = tasks.build

    def manual(app_):
        scheduler = build(app_, ManualScheduler, jobstore=MemoryJobStore())
        scheduler.add_executor(DebugExecutor(), "default")
        made.append(scheduler)
        return scheduler

    running_jobs = set()

    def interrupted(_seconds):
        running_jobs.update(job.id for job in made[0].get_jobs())
        raise KeyboardInterrupt

    monkeypatch.setattr(tasks, "build", manual)
    monkeypatch.setattr(cli.time, "sleep", interrupted)
    result = runner.invoke(args=["scheduler"])
    assert result.exit_code == 0, result.output
    assert "reminder pass every 60 minutes" in result.output
    assert "Scheduler stopped." in result.output
    (scheduler,) = made
    assert running_jobs >= {tasks.REMINDER_JOB, tasks.DIGEST_JOB}
    assert not scheduler.running


def test_an_error_of_the_job_store_is_logged_and_the_loop_goes_on(
    app, scheduler_clock, monkeypatch, caplog
):
    runs = []
    monkeypatch.setattr(tasks, "run_reminder_pass", lambda: runs.append(clock.utcnow()))
    monkeypatch.setattr(tasks, "send_daily_digest", lambda: None)

    class FlakyStore(MemoryJobStore):
        failures = 1

        def update_job(self, job):
            if FlakyStore.failures:
                FlakyStore.failures -= 1
                raise OSError("database restarting")
            super().update_job(job)

    scheduler_clock.set(TODAY, time(10, 0))
    scheduler = _scheduler(app, FlakyStore())
    scheduler_clock.advance(hours=1)
    with caplog.at_level(logging.ERROR, logger="reintegration.reminders.tasks"):
        assert scheduler.run_due() == 60  # looks again in a minute
    scheduler_clock.advance(minutes=1)
    scheduler.run_due()
    scheduler_clock.advance(hours=1)
    scheduler.run_due()
    assert "could not read or store its jobs" in caplog.text
    assert len(runs) >= 3  # at start, the hour that failed to be stored, the next hour


def test_a_changed_grace_time_reaches_the_stored_job(app, scheduler_clock, tmp_path, monkeypatch):
    jobs_db = f"sqlite:///{tmp_path / 'jobs.db'}"
    monkeypatch.setattr(tasks, "run_reminder_pass", lambda: None)
    _scheduler(app, SQLAlchemyJobStore(url=jobs_db, tablename="scheduler_jobs")).shutdown(
        wait=False
    )
    monkeypatch.setitem(app.config, "SCHEDULER_MISFIRE_GRACE_SECONDS", 7200)
    again = _scheduler(app, SQLAlchemyJobStore(url=jobs_db, tablename="scheduler_jobs"))
    assert again.get_job(tasks.REMINDER_JOB).misfire_grace_time == 7200


def test_a_job_run_before_the_scheduler_is_built_names_the_cause(monkeypatch):
    # A job store outlives the process that built it: a job run by a scheduler that was not
    # made through tasks.build has no application to run in, and says so.
    monkeypatch.setattr(tasks, "_app", None)
    for job in (tasks.run_reminder_pass, tasks.make_nightly_backup):
        with pytest.raises(RuntimeError, match=r"tasks\.build"):
            job()
