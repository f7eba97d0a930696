"""The commands cron runs: a pass, and today's digests."""

from datetime import timedelta

from reintegration.extensions import db
from tests.conftest import TODAY
from tests.reminders.helpers import every


def test_reminders_run_prints_what_it_opened_then_nothing_the_second_time(
    runner, make, frozen_clock
):
    facility = make.facility(stay_days=30)
    case = make.case(facility, received_on=TODAY - timedelta(days=25))
    make.stay(case, admitted_on=TODAY - timedelta(days=25))  # ends in 5 days
    db.session.commit()
    frozen_clock.set(TODAY + timedelta(days=7))

    first = runner.invoke(args=["reminders", "run"])
    assert first.exit_code == 0, first.output
    assert "Reminder pass: 2 opened, 1 closed." in first.output
    assert "stay_overdue" in first.output
    assert "no_plan" in first.output
    assert "stay_ending" in first.output
    assert case.full_name not in first.output

    second = runner.invoke(args=["reminders", "run"])
    assert "Reminder pass: 0 opened, 0 closed." in second.output
    assert len(every("stay_overdue")) == 1


def test_reminders_digest_says_how_many_were_sent(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV", "development")
    result = runner.invoke(args=["reminders", "digest"])
    assert result.exit_code == 0, result.output
    assert "Digests: 0 sent, 0 failed" in result.output
