"""The reintegration plan and its goals."""

from datetime import date

from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from ..extensions import db
from ..formatting import day
from .models import Dimension, Goal, GoalStatus, Plan


def save_plan(case, plan: Plan | None, agreed_on: date, note: str, user) -> Plan:
    if agreed_on < case.received_on:
        raise DomainError(
            _l(
                "The plan cannot be agreed before the person was received (%(day)s).",
                day=day(case.received_on),
            ),
            "agreed_on",
        )
    if plan is None:
        plan = Plan(case_id=case.id, created_by_id=user.id)
        db.session.add(plan)
    plan.agreed_on = agreed_on
    plan.note = note.strip()
    db.session.flush()
    return plan


def save_goal(
    plan: Plan,
    goal: Goal | None,
    dimension: str,
    description: str,
    owner: str,
    target_on,
    status: str,
) -> Goal:
    if target_on is not None and target_on < plan.agreed_on:
        raise DomainError(_l("The target date comes before the plan was agreed."), "target_on")
    if goal is None:
        goal = Goal(plan=plan)
        db.session.add(goal)
    goal.dimension = Dimension(dimension)
    goal.description = description.strip()
    goal.owner = owner.strip()
    goal.target_on = target_on
    goal.status = GoalStatus(status)
    db.session.flush()
    return goal
