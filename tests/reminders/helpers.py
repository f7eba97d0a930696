"""Running the pass on a chosen day and reading which reminders are open."""

from datetime import date

from sqlalchemy import select

from reintegration import clock
from reintegration.extensions import db
from reintegration.reminders.models import Reminder, ReminderRule
from reintegration.reminders.services import PassResult, run_pass


def on(frozen_clock, day: date) -> PassResult:
    """Move the clock to ``day`` (09:00 in Vietnam) and run a pass, as the scheduler would."""
    frozen_clock.set(day)
    result = run_pass(clock.today())
    db.session.flush()
    db.session.expire_all()
    return result


def setting(code: str) -> ReminderRule:
    return db.session.scalar(select(ReminderRule).where(ReminderRule.code == code))


def live(code: str | None = None, subject_id: int | None = None) -> list[Reminder]:
    """Reminders open (whatever a role marked on them), oldest due first."""
    query = select(Reminder).join(Reminder.rule).where(Reminder.closed_at.is_(None))
    if code:
        query = query.where(ReminderRule.code == code)
    if subject_id is not None:
        query = query.where(Reminder.subject_id == subject_id)
    return db.session.scalars(query.order_by(Reminder.due_on, Reminder.id)).all()


def waiting(code: str | None = None, subject_id: int | None = None) -> list[Reminder]:
    """Open reminders."""
    return live(code, subject_id)


def codes_for_case(case_id: int) -> set[str]:
    """The rules with a reminder waiting about the case."""
    return {r.rule.code for r in waiting() if r.case_id == case_id}


def every(code: str) -> list[Reminder]:
    """All reminders of a rule ever opened, closed ones too."""
    return db.session.scalars(
        select(Reminder).join(Reminder.rule).where(ReminderRule.code == code).order_by(Reminder.id)
    ).all()
