"""Which reminders each user sees: those of the rules that tell their role, in their scope."""

from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..auth.scopes import case_scope, course_scope, facility_scope
from ..cases.models import Case
from ..extensions import db
from ..shelter.models import Facility
from ..training.models import Course
from .models import Reminder, ReminderRule, RuleRole


def visible_to(user: User) -> ColumnElement[bool]:
    """Reminders of an enabled rule that tells the user's role, about a record in their scope.

    A reminder about a course (or a trainee on it) follows the course's scope; the others follow
    the case's, and also the facility's when a facility must act (a stay, a payment).
    """
    told = select(RuleRole.rule_id).where(RuleRole.role == user.role)
    on_course = and_(
        Reminder.course_id.is_not(None),
        Reminder.course_id.in_(select(Course.id).where(course_scope(user))),
    )
    on_case = and_(
        Reminder.course_id.is_(None),
        Reminder.case_id.in_(select(Case.id).where(case_scope(user))),
        or_(
            Reminder.facility_id.is_(None),
            Reminder.facility_id.in_(select(Facility.id).where(facility_scope(user))),
        ),
    )
    return and_(
        Reminder.rule_id.in_(told),
        Reminder.rule_id.in_(select(ReminderRule.id).where(ReminderRule.enabled)),
        or_(on_course, on_case),
    )


def _waiting(today: date) -> ColumnElement[bool]:
    """Open, not done, and not snoozed past today."""
    return and_(
        Reminder.closed_at.is_(None),
        Reminder.done_at.is_(None),
        or_(Reminder.snoozed_until.is_(None), Reminder.snoozed_until <= today),
    )


def inbox(user: User, today: date) -> list[Reminder]:
    """The user's reminders, overdue first, then by due date."""
    return db.session.scalars(
        select(Reminder)
        .where(_waiting(today), visible_to(user))
        .options(joinedload(Reminder.rule), joinedload(Reminder.case), joinedload(Reminder.course))
        .order_by(Reminder.due_on, Reminder.id)
    ).all()


def snoozed(user: User, today: date) -> list[Reminder]:
    return db.session.scalars(
        select(Reminder)
        .where(
            Reminder.closed_at.is_(None),
            Reminder.done_at.is_(None),
            Reminder.snoozed_until > today,
            visible_to(user),
        )
        .options(joinedload(Reminder.rule), joinedload(Reminder.case), joinedload(Reminder.course))
        .order_by(Reminder.snoozed_until, Reminder.id)
    ).all()


def count(user: User, today: date) -> int:
    return db.session.scalar(
        select(func.count(Reminder.id)).where(_waiting(today), visible_to(user))
    )


def reminder_for(reminder_id: int, user: User) -> Reminder | None:
    return db.session.scalar(
        select(Reminder)
        .where(Reminder.id == reminder_id, visible_to(user))
        .options(joinedload(Reminder.rule), joinedload(Reminder.case))
    )


def settings() -> list[ReminderRule]:
    return (
        db.session.scalars(
            select(ReminderRule)
            .options(joinedload(ReminderRule.roles))
            .order_by(ReminderRule.sort_order, ReminderRule.id)
        )
        .unique()
        .all()
    )
