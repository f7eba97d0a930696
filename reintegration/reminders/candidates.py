"""What each reminder rule looks for: one query per rule that returns every record due today,
whatever the number of cases (the pass never asks the database once per case).

Each query's rows are (subject_id, anchor, case_id, course_id, facility_id); the rule's number
of days or sessions is ``value``.
"""

from datetime import date, datetime, time, timedelta

from sqlalchemy import Cast, Integer, Null, Select, cast, func, null, select

from .. import clock
from ..allowances.models import Allowance, AllowanceStatus
from ..cases.models import Case
from ..followups.models import FollowUp, RiskFlag
from ..plans.models import Plan
from ..reference.models import ServiceKind
from ..shelter.models import Service, Stay
from ..support.policy import add_working_days
from ..training.models import Attendance, Course, Enrolment, EnrolmentStatus, TrainingSession

# The service that the "no needs assessment" rule waits for.
NEEDS_ASSESSMENT = "needs_assessment"


def _columns(subject, anchor, case_id, course_id=None, facility_id=None):
    def id_or_null(column):
        return column if column is not None else cast(null(), Integer)

    return (
        subject.label("subject_id"),
        anchor.label("anchor"),
        id_or_null(case_id).label("case_id"),
        id_or_null(course_id).label("course_id"),
        id_or_null(facility_id).label("facility_id"),
    )


def about(candidates: Select, case_ids: set[int] | None) -> Select | None:
    """A rule's query narrowed to the reminders of ``case_ids`` (all of them when None), or
    None for a rule about no case (a course starting), which has none of theirs.

    The condition goes on the rule's own case column, not around its query as a subquery:
    the database then reaches the few cases by their index, and the statement is cheap to
    build, as it is built at every commit that changes a case."""
    if case_ids is None:
        return candidates
    case_id = candidates.selected_columns.case_id.element
    if isinstance(case_id, Cast) and isinstance(case_id.clause, Null):
        return None
    return candidates.where(case_id.in_(sorted(case_ids)))


# --- the shelter stay -----------------------------------------------------------------------------


def _open_stays(anchor):
    """Columns of a rule about a stay still open, of a case not closed."""
    return (
        select(*_columns(Stay.id, anchor, Stay.case_id, facility_id=Stay.facility_id))
        .join(Case, Case.id == Stay.case_id)
        .where(Case.is_open, Stay.is_open)
    )


def stay_ending(today: date, value: int) -> Select:
    return _open_stays(Stay.planned_end).where(
        Stay.discharge_planned_on.is_(None), Stay.ends_within(value, today)
    )


def stay_overdue(today: date, value: int) -> Select:
    return _open_stays(Stay.planned_end).where(Stay.overstayed_by(value, today))


def no_needs_assessment(today: date, value: int) -> Select:
    assessed = (
        select(Service.id)
        .join(ServiceKind, ServiceKind.id == Service.kind_id)
        .where(
            ServiceKind.code == NEEDS_ASSESSMENT,
            Service.case_id == Stay.case_id,
            Service.provided_on >= Stay.admitted_on,
        )
        .exists()
    )
    return _open_stays(Stay.admitted_on).where(
        Stay.admitted_on <= today - timedelta(days=value), ~assessed
    )


# --- the plan and consent -------------------------------------------------------------------------


def no_plan(today: date, value: int) -> Select:
    planned = select(Plan.id).where(Plan.case_id == Case.id).exists()
    return select(*_columns(Case.id, Case.received_on, Case.id)).where(
        Case.is_open, Case.received_on <= today - timedelta(days=value), ~planned
    )


def consent_old(today: date, value: int) -> Select:
    return select(*_columns(Case.id, Case.consent_date, Case.id)).where(
        Case.is_open,
        Case.consent_given.is_(True),
        Case.consent_date < today - timedelta(days=value),
    )


# --- allowances -----------------------------------------------------------------------------------


def decision_due(today: date, value: int) -> Select:
    return select(
        *_columns(
            Allowance.id, Allowance.decision_due_on, Allowance.case_id, None, Allowance.facility_id
        )
    ).where(
        Allowance.status == AllowanceStatus.REQUESTED,
        Allowance.decision_due_on <= add_working_days(today, value),
    )


def unpaid(today: date, value: int) -> Select:
    # Approved on or before today - value in Vietnam: before the next midnight there, in UTC.
    before = datetime.combine(today - timedelta(days=value - 1), time(0), tzinfo=clock.VIETNAM)
    return select(
        *_columns(
            Allowance.id, Allowance.decided_at, Allowance.case_id, None, Allowance.facility_id
        )
    ).where(Allowance.status == AllowanceStatus.APPROVED, Allowance.decided_at < before)


# --- training -------------------------------------------------------------------------------------


def course_starting(today: date, value: int) -> Select:
    return select(*_columns(Course.id, Course.start_on, None, Course.id)).where(
        Course.start_on.between(today, today + timedelta(days=value))
    )


def course_ending(today: date, value: int) -> Select:
    return select(*_columns(Course.id, Course.end_on, None, Course.id)).where(
        Course.end_on.between(today, today + timedelta(days=value))
    )


def absent(today: date, value: int) -> Select:
    """Trainees still on a course who missed each of its last ``value`` sessions held."""
    recent = (
        select(
            TrainingSession.id,
            TrainingSession.course_id,
            TrainingSession.held_on,
            func.row_number()
            .over(partition_by=TrainingSession.course_id, order_by=TrainingSession.held_on.desc())
            .label("rank"),
        )
        .where(TrainingSession.held_on <= today)
        .subquery()
    )
    missed = (
        select(
            Attendance.enrolment_id,
            func.max(recent.c.held_on).label("last_missed"),
        )
        .join(recent, recent.c.id == Attendance.session_id)
        .where(recent.c.rank <= value, Attendance.present.is_(False))
        .group_by(Attendance.enrolment_id)
        .having(func.count() >= value)
        .subquery()
    )
    return (
        select(
            *_columns(Enrolment.id, missed.c.last_missed, Enrolment.case_id, Enrolment.course_id)
        )
        .join(missed, missed.c.enrolment_id == Enrolment.id)
        .join(Case, Case.id == Enrolment.case_id)
        .where(
            Case.is_open,
            Enrolment.status.in_((EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDING)),
        )
    )


# --- follow-ups -----------------------------------------------------------------------------------


def followup_due(today: date, value: int) -> Select:
    return (
        select(*_columns(FollowUp.id, FollowUp.planned_on, FollowUp.case_id))
        .join(Case, Case.id == FollowUp.case_id)
        .where(
            Case.is_open,
            FollowUp.is_pending,
            FollowUp.planned_on <= today + timedelta(days=value),
        )
    )


def flag_open(today: date, value: int) -> Select:
    return (
        select(*_columns(RiskFlag.id, RiskFlag.raised_on, RiskFlag.case_id))
        .join(Case, Case.id == RiskFlag.case_id)
        .where(
            Case.is_open,
            RiskFlag.is_open,
            RiskFlag.raised_on < today - timedelta(days=value),
        )
    )
