"""Which reminders each user sees: those of the rules that tell their role, in their scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from flask_login import current_user
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..access import Role
from ..cases.models import Case
from ..cases.queries import case_scope
from ..extensions import db
from ..shelter.models import Facility
from ..shelter.queries import facility_scope
from ..training.models import Course
from ..training.queries import course_scope
from ..web import one_or_404
from .models import Reminder, ReminderMark, ReminderRule, RuleRole

if TYPE_CHECKING:
    from ..auth.models import User


def visible_to(user: User) -> ColumnElement[bool]:
    """Reminders of an enabled rule that tells the user's role, about a record in their scope.

    A trainer sees those of their courses (a trainee absent included). Everyone else sees a
    reminder about a person through the case's scope, and also the facility's when a facility
    must act (a stay, a payment); a reminder about a course alone through the course's scope.
    """
    told = select(RuleRole.rule_id).where(RuleRole.role == user.role)
    courses = select(Course.id).where(course_scope(user))
    about: ColumnElement[bool]
    if user.role == Role.TRAINER:
        about = Reminder.course_id.in_(courses)
    else:
        about = or_(
            and_(
                Reminder.case_id.in_(select(Case.id).where(case_scope(user))),
                or_(
                    Reminder.facility_id.is_(None),
                    Reminder.facility_id.in_(select(Facility.id).where(facility_scope(user))),
                ),
            ),
            and_(Reminder.case_id.is_(None), Reminder.course_id.in_(courses)),
        )
    return and_(
        Reminder.rule_id.in_(told),
        Reminder.rule_id.in_(select(ReminderRule.id).where(ReminderRule.enabled)),
        about,
    )


def _hidden(user: User, today: date, done: bool | None = None) -> ColumnElement[bool]:
    """The user's role marked it done or snoozed it, and the day it shows again is to come."""
    mark = aliased(ReminderMark)  # the snoozed list reads marks too: keep this one apart
    marks = select(mark.id).where(
        mark.reminder_id == Reminder.id, mark.role == user.role, mark.hidden_until > today
    )
    if done is not None:
        marks = marks.where(mark.done.is_(done))
    return marks.exists()


def _waiting(user: User, today: date) -> ColumnElement[bool]:
    return and_(Reminder.closed_at.is_(None), ~_hidden(user, today))


def inbox(user: User, today: date) -> Sequence[Reminder]:
    """The user's reminders, overdue first, then by due date."""
    return db.session.scalars(
        select(Reminder)
        .where(_waiting(user, today), visible_to(user))
        .options(joinedload(Reminder.rule), joinedload(Reminder.case), joinedload(Reminder.course))
        .order_by(Reminder.due_on, Reminder.id)
    ).all()


def snoozed(user: User, today: date) -> Sequence[ReminderMark]:
    """The reminders the user's role snoozed, with the reason it gave."""
    return db.session.scalars(
        select(ReminderMark)
        .join(ReminderMark.reminder)
        .where(
            Reminder.closed_at.is_(None),
            ReminderMark.role == user.role,
            ReminderMark.done.is_(False),
            ReminderMark.hidden_until > today,
            ~_hidden(user, today, done=True),
            visible_to(user),
        )
        .options(
            joinedload(ReminderMark.reminder).options(
                joinedload(Reminder.rule), joinedload(Reminder.case), joinedload(Reminder.course)
            )
        )
        .order_by(ReminderMark.hidden_until, ReminderMark.id)
    ).all()


def count(user: User, today: date) -> int:
    return db.session.execute(
        select(func.count(Reminder.id)).where(_waiting(user, today), visible_to(user))
    ).scalar_one()


def reminder_or_404(reminder_id: int) -> Reminder:
    return one_or_404(
        select(Reminder)
        .where(Reminder.id == reminder_id, visible_to(current_user))
        .options(joinedload(Reminder.rule), joinedload(Reminder.case))
    )


def settings() -> Sequence[ReminderRule]:
    return (
        db.session.scalars(
            select(ReminderRule)
            .options(joinedload(ReminderRule.roles))
            .order_by(ReminderRule.sort_order, ReminderRule.id)
        )
        .unique()
        .all()
    )
