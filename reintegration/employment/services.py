"""The rules of job placements: who may be placed where, and how a job ends."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..cases.models import Case
from ..cases.services import refresh_stage
from ..employers.models import Employer
from ..employers.services import refusal
from ..errors import DomainError
from ..extensions import db
from ..followups.models import FollowUpReason
from ..followups.services import plan_followups
from ..formatting import day
from .models import ContractType, EndReason, Placement
from .queries import completed_courses

if TYPE_CHECKING:
    from ..auth.models import User


def _check_placement(
    case: Case, employer: Employer, start_on: date, monthly_wage: int, course_id: int | None
) -> None:
    """An employer that passed its checks, a start the case allows, a wage, a course the
    person completed, and no other open placement at the same employer."""
    reason = refusal(employer)
    if reason is not None:
        raise DomainError(reason, "employer")
    _check_start(case, start_on)
    if monthly_wage < 0:
        raise DomainError(_l("A wage cannot be negative."), "monthly_wage")
    if course_id is not None and course_id not in {c.id for c in completed_courses(case.id)}:
        raise DomainError(_l("Choose a course this person completed."), "course")
    already = db.session.scalar(
        select(Placement.id).where(
            Placement.case_id == case.id,
            Placement.employer_id == employer.id,
            Placement.is_open,
        )
    )
    if already is not None:
        raise DomainError(
            _l("This person already has an open placement at %(employer)s.", employer=employer),
            "employer",
        )


def place(
    case: Case,
    employer: Employer,
    position: str,
    start_on: date,
    monthly_wage: int,
    in_home_province: bool,
    housing_support: bool,
    contract_type: ContractType,
    course_id: int | None,
    user: User,
) -> Placement:
    """Place the person in a job, plan the follow-ups after its start, and move the stage."""
    _check_placement(case, employer, start_on, monthly_wage, course_id)
    placement = Placement(
        case_id=case.id,
        employer_id=employer.id,
        course_id=course_id,
        position=position.strip(),
        start_on=start_on,
        monthly_wage=monthly_wage,
        in_home_province=in_home_province,
        housing_support=housing_support,
        contract_type=contract_type,
        created_by_id=user.id,
    )
    db.session.add(placement)
    db.session.flush()
    plan_followups(case, FollowUpReason.PLACEMENT, start_on, placement=placement)
    refresh_stage(case)
    db.session.flush()
    return placement


def _check_start(case: Case, start_on: date) -> None:
    if start_on < case.received_on:
        raise DomainError(
            _l(
                "A job cannot start before the person was received (%(day)s).",
                day=day(case.received_on),
            ),
            "start_on",
        )
    if start_on > clock.today():
        raise DomainError(_l("This date is in the future."), "start_on")


def end_placement(placement: Placement, end_on: date, reason: EndReason, note: str) -> None:
    if not placement.is_open:
        raise DomainError(_l("This placement has already ended."))
    if end_on < placement.start_on:
        raise DomainError(
            _l("The job cannot end before it started (%(day)s).", day=day(placement.start_on)),
            "end_on",
        )
    if end_on > clock.today():
        raise DomainError(_l("This date is in the future."), "end_on")
    placement.end_on = end_on
    placement.end_reason = reason
    placement.end_note = note.strip()
    db.session.flush()
    refresh_stage(placement.case)
