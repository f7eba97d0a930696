"""What each reminder rule looks for.

A rule's settings (on or off, its number of days, who is told) are data in ``reminder_rules``;
what it looks for is here, under its code. Each rule is one query that returns every record due
today, whatever the number of cases: the pass never asks the database once per case.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, cast, func, null, select

from .. import clock
from ..access import Role
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


@dataclass(frozen=True)
class Rule:
    code: str
    title: object  # a lazy string
    # What ``value`` means for this rule, shown next to it on the settings page.
    value_label: object
    value: int
    roles: tuple[Role, ...]
    # (today, value) -> rows of (subject_id, anchor, case_id, course_id, facility_id)
    candidates: Callable[[date, int], Select]
    # (anchor, value) -> the due date of the reminder
    due: Callable[[date, int], date]
    # (reminder) -> where the user acts on it
    link: Callable[[object], str]
    # Shows before its due date (a lead time); the others show from their due date on. An event
    # that has passed (a course started) is no longer found by its query, which closes it.
    ahead: bool = False


def _same_day(anchor: date, _value: int) -> date:
    return anchor


def _after(anchor: date, value: int) -> date:
    return anchor + timedelta(days=value)


def _more_than(anchor: date, value: int) -> date:
    """ "Open more than 7 days": the day after the seventh."""
    return anchor + timedelta(days=value + 1)


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


# --- the shelter stay ---------------------------------------------------------------------------


def _open_stays(anchor):
    """Columns of a rule about a stay still open, of a case not closed."""
    return (
        select(*_columns(Stay.id, anchor, Stay.case_id, facility_id=Stay.facility_id))
        .join(Case, Case.id == Stay.case_id)
        .where(Case.is_open, Stay.is_open)
    )


def _stay_ending(today: date, value: int) -> Select:
    return _open_stays(Stay.planned_end).where(
        Stay.discharge_planned_on.is_(None), Stay.ends_within(value, today)
    )


def _stay_overdue(today: date, value: int) -> Select:
    return _open_stays(Stay.planned_end).where(Stay.overstayed_by(value, today))


def _no_needs_assessment(today: date, value: int) -> Select:
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


def _stay_link(reminder) -> str:
    return url_for("cases.show", case_id=reminder.case_id, _anchor="stays")


# --- the plan and consent -----------------------------------------------------------------------


def _no_plan(today: date, value: int) -> Select:
    planned = select(Plan.id).where(Plan.case_id == Case.id).exists()
    return select(*_columns(Case.id, Case.received_on, Case.id)).where(
        Case.is_open, Case.received_on <= today - timedelta(days=value), ~planned
    )


def _consent_old(today: date, value: int) -> Select:
    return select(*_columns(Case.id, Case.consent_date, Case.id)).where(
        Case.is_open,
        Case.consent_given.is_(True),
        Case.consent_date < today - timedelta(days=value),
    )


def _case_link(reminder) -> str:
    return url_for("cases.show", case_id=reminder.case_id)


def _plan_link(reminder) -> str:
    return url_for("plans.edit_plan", case_id=reminder.case_id)


# --- allowances ---------------------------------------------------------------------------------


def _decision_due(today: date, value: int) -> Select:
    return select(
        *_columns(
            Allowance.id, Allowance.decision_due_on, Allowance.case_id, None, Allowance.facility_id
        )
    ).where(
        Allowance.status == AllowanceStatus.REQUESTED,
        Allowance.decision_due_on <= add_working_days(today, value),
    )


def _unpaid(today: date, value: int) -> Select:
    # Approved on or before today - value in Vietnam: before the next midnight there, in UTC.
    before = datetime.combine(today - timedelta(days=value - 1), time(0), tzinfo=clock.VIETNAM)
    return select(
        *_columns(
            Allowance.id, Allowance.decided_at, Allowance.case_id, None, Allowance.facility_id
        )
    ).where(Allowance.status == AllowanceStatus.APPROVED, Allowance.decided_at < before)


def _approved_due(anchor: date, value: int) -> date:
    if not isinstance(anchor, datetime):
        raise TypeError("an approval is a moment, not a day")
    return clock.local(anchor).date() + timedelta(days=value)


def _allowance_link(reminder) -> str:
    return url_for("allowances.show", allowance_id=reminder.subject_id)


# --- training -----------------------------------------------------------------------------------


def _course_starting(today: date, value: int) -> Select:
    return select(*_columns(Course.id, Course.start_on, None, Course.id)).where(
        Course.start_on.between(today, today + timedelta(days=value))
    )


def _course_ending(today: date, value: int) -> Select:
    return select(*_columns(Course.id, Course.end_on, None, Course.id)).where(
        Course.end_on.between(today, today + timedelta(days=value))
    )


def _absent(today: date, value: int) -> Select:
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


def _course_link(reminder) -> str:
    return url_for("training.course", course_id=reminder.course_id)


# --- follow-ups ---------------------------------------------------------------------------------


def _followup_due(today: date, value: int) -> Select:
    return (
        select(*_columns(FollowUp.id, FollowUp.planned_on, FollowUp.case_id))
        .join(Case, Case.id == FollowUp.case_id)
        .where(
            Case.is_open,
            FollowUp.is_pending,
            FollowUp.planned_on <= today + timedelta(days=value),
        )
    )


def _flag_open(today: date, value: int) -> Select:
    return (
        select(*_columns(RiskFlag.id, RiskFlag.raised_on, RiskFlag.case_id))
        .join(Case, Case.id == RiskFlag.case_id)
        .where(
            Case.is_open,
            RiskFlag.is_open,
            RiskFlag.raised_on < today - timedelta(days=value),
        )
    )


def _followup_link(reminder) -> str:
    return url_for("followups.record", followup_id=reminder.subject_id)


def _flag_link(reminder) -> str:
    return url_for("followups.resolve", flag_id=reminder.subject_id)


STAFF = Role.SHELTER_STAFF
OFFICER = Role.PROVINCIAL_OFFICER
WORKER = Role.CASE_WORKER
TRAINER = Role.TRAINER

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "stay_ending",
            _l("The stay ends soon and no discharge is planned"),
            _l("Days before the planned end"),
            10,
            (STAFF,),
            _stay_ending,
            _same_day,
            _stay_link,
            ahead=True,
        ),
        Rule(
            "stay_overdue",
            _l("The stay is past its planned end"),
            _l("Days after the planned end"),
            1,
            (STAFF, OFFICER),
            _stay_overdue,
            _after,
            _stay_link,
        ),
        Rule(
            "no_needs_assessment",
            _l("No needs assessment since admission"),
            _l("Days after admission"),
            3,
            (STAFF,),
            _no_needs_assessment,
            _after,
            _stay_link,
        ),
        Rule(
            "no_plan",
            _l("No reintegration plan since return"),
            _l("Days after return"),
            30,
            (STAFF, WORKER),
            _no_plan,
            _after,
            _plan_link,
        ),
        Rule(
            "decision_due",
            _l("An allowance decision is due"),
            _l("Working days before the decision is due"),
            2,
            (OFFICER,),
            _decision_due,
            _same_day,
            _allowance_link,
            ahead=True,
        ),
        Rule(
            "allowance_unpaid",
            _l("An approved allowance is not paid"),
            _l("Days after approval"),
            10,
            (STAFF, OFFICER),
            _unpaid,
            _approved_due,
            _allowance_link,
        ),
        Rule(
            "course_starting",
            _l("A course starts soon"),
            _l("Days before the start"),
            7,
            (TRAINER,),
            _course_starting,
            _same_day,
            _course_link,
            ahead=True,
        ),
        Rule(
            "course_ending",
            _l("A course ends soon"),
            _l("Days before the end"),
            7,
            (TRAINER,),
            _course_ending,
            _same_day,
            _course_link,
            ahead=True,
        ),
        Rule(
            "trainee_absent",
            _l("A trainee missed the last sessions"),
            _l("Sessions missed in a row"),
            3,
            (TRAINER, WORKER),
            _absent,
            _same_day,
            _course_link,
        ),
        Rule(
            "followup_due",
            _l("A follow-up is due"),
            _l("Days before the planned date"),
            7,
            (WORKER,),
            _followup_due,
            _same_day,
            _followup_link,
            ahead=True,
        ),
        Rule(
            "risk_flag_open",
            _l("A risk flag has been open too long"),
            _l("Days after it was raised"),
            7,
            (WORKER, OFFICER),
            _flag_open,
            _more_than,
            _flag_link,
        ),
        Rule(
            "consent_old",
            _l("The consent is more than a year old"),
            _l("Days after the consent"),
            365,
            (STAFF, WORKER),
            _consent_old,
            _more_than,
            _case_link,
        ),
    )
}
