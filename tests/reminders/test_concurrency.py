"""Two passes at once, as from two scheduler processes started by mistake: each reminder once.

Like the allowance races, these need real commits on a database of their own.
"""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reintegration.database import writing
from reintegration.extensions import db
from reintegration.reminders.models import Reminder
from reintegration.reminders.services import run_pass
from tests.allowances.test_concurrency import SAFETY_SECONDS
from tests.conftest import TODAY, Factory
from tests.own_database import app_on_own_database, own_sessions

ROUNDS = 3
RESIDENTS = 15
# Saving the residents settles their reminders of TODAY at once; a month later each stay is past
# its end and has no plan, which only a pass finds.
LATER = TODAY + timedelta(days=30)


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    with app_on_own_database(tmp_path_factory, "reminders_race") as app:
        yield app


def _residents(make: Factory, number: int) -> None:
    facility = make.facility(stay_days=30)
    for _ in range(number):
        make.stay(make.case(facility), admitted_on=TODAY - timedelta(days=3))
    db.session.commit()


def _two_passes_at_once(app) -> list:
    barrier = threading.Barrier(2, timeout=SAFETY_SECONDS)
    results, errors = [], []

    def one_pass():
        with app.app_context(), writing():
            try:
                barrier.wait()
                results.append(run_pass(LATER))
                db.session.commit()
            except Exception as error:  # reported by the test below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SAFETY_SECONDS)
    assert not errors, errors
    return results


def test_two_passes_at_once_open_each_reminder_once(race_app):
    with own_sessions(), race_app.app_context():
        make = Factory()
        for round_number in range(1, ROUNDS + 1):
            _residents(make, RESIDENTS)
            first, second = _two_passes_at_once(race_app)
            opened = sorted([sum(first.opened.values()), sum(second.opened.values())])
            assert opened == [0, 2 * RESIDENTS], f"round {round_number}: {opened}"
            db.session.rollback()
            # Each resident: needs assessment (opened when saved), then stay over and no plan.
            keys = db.session.execute(
                select(
                    Reminder.rule_id, Reminder.subject_id, Reminder.due_on, func.count()
                ).group_by(Reminder.rule_id, Reminder.subject_id, Reminder.due_on)
            ).all()
            assert len(keys) == 3 * RESIDENTS * round_number
            assert all(row[3] == 1 for row in keys)
