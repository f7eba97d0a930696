"""Reading the support workbook's rows: one streamed query per sheet, limited to the scope.

Each query selects plain columns, never ORM objects, so nothing piles up in the session, and is
read in batches of ``BATCH_ROWS`` (a server-side cursor on PostgreSQL): memory stays flat
whatever the number of rows. Names of places and list items come from ``Reference`` (names.py),
read once; what is exported, from ``Filters`` (filters.py).
The rows of every sheet are counted beforehand in one statement (``rows_expected``): a workbook
too large to make during a request is made in the background.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, ScalarSelect, Select, String, and_, cast, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.sql.functions import aggregate_strings

from ..access import Role
from ..allowances import queries as allowances
from ..allowances.models import Allowance, Payment
from ..cases.models import Case, case_exploitation_forms
from ..employers.models import Employer
from ..employment.models import Placement
from ..extensions import db
from ..followups.models import FollowUp, SustainabilityCheck, followup_risk_signs
from ..reference import queries as reference_lists
from ..reference.models import Province, SupportType
from ..shelter.models import Facility, Service, Stay
from ..shelter.queries import facilities_in_scope
from ..training.models import Course, Enrolment
from .filters import Filters

if TYPE_CHECKING:
    from ..auth.models import User

BATCH_ROWS = 1000


def places(user: User) -> tuple[list[Province], list[Facility]]:
    """The provinces and facilities whose workbook ``user`` may make: a province only for
    those whose scope is the whole province."""
    facilities = list(facilities_in_scope(user, active_only=False))
    if user.role == Role.ADMIN:
        return list(reference_lists.provinces()), facilities
    if user.role == Role.PROVINCIAL_OFFICER and user.scope_province_id is not None:
        return [db.session.get_one(Province, user.scope_province_id)], facilities
    return [], facilities


def _stream(query) -> Iterator[Row]:
    yield from db.session.execute(query.execution_options(yield_per=BATCH_ROWS))


@dataclass(frozen=True)
class Sheet:
    """The query of one sheet: called, its rows streamed; counted with the very same
    conditions, so that the size of a workbook is known before it is written."""

    query: Callable[[Filters, ColumnElement[bool]], Select]

    def __call__(self, filters: Filters, scope) -> Iterator[Row]:
        return _stream(self.query(filters, scope))

    def count(self, filters: Filters, scope) -> ScalarSelect:
        # The databases drop the subquery's unused columns: only its joins and conditions run.
        rows = self.query(filters, scope).order_by(None).subquery()
        return select(func.count()).select_from(rows).scalar_subquery()


def _name(filters: Filters) -> tuple:
    return (Case.full_name,) if filters.names else ()


def _ids(column, key, owner) -> ColumnElement:
    """The ids of a many-to-many list of one row, as "3,7,12"."""
    return (
        select(aggregate_strings(cast(column, String), ",")).where(key == owner).scalar_subquery()
    )


@Sheet
def cases(filters: Filters, scope) -> Select:
    """People received in the period."""
    identity = (
        (
            Case.full_name,
            Case.phone,
            Case.home_address,
            Case.home_commune_id,
            Case.family_contacts,
        )
        if filters.names
        else ()
    )
    forms = _ids(case_exploitation_forms.c.item_id, case_exploitation_forms.c.case_id, Case.id)
    return (
        select(
            Case.code,
            *identity,
            Case.sex,
            Case.date_of_birth,
            Case.estimated_birth_year,
            Case.received_on,
            Case.ethnicity_id,
            Case.home_province_id,
            Case.return_route_id,
            Case.receiving_agency,
            Case.exploitation_country_id,
            forms.label("form_ids"),
            Case.identification_status,
            Case.facility_id,
            Case.stage,
        )
        .where(filters.during(Case.received_on), filters.cases(), scope)
        .order_by(Case.received_on, Case.id)
    )


@Sheet
def stays(filters: Filters, scope) -> Select:
    """Stays admitted in the period, or admitted before it and still running when it began."""
    return (
        select(
            Case.code,
            *_name(filters),
            Stay.facility_id,
            Stay.admitted_on,
            Stay.planned_end,
            Stay.discharged_on,
            Stay.destination_id,
        )
        .join(Case, Case.id == Stay.case_id)
        .where(
            Stay.running_during(filters.start, filters.end),
            filters.cases(),
            scope,
        )
        .order_by(Stay.admitted_on, Stay.id)
    )


@Sheet
def services(filters: Filters, scope) -> Select:
    """Services provided in the period."""
    notes = (Service.notes,) if filters.names else ()
    return (
        select(
            Case.code,
            *_name(filters),
            Service.provided_on,
            Service.support_type_id,
            Service.kind_id,
            Service.provider,
            *notes,
            Service.cost,
        )
        .join(Case, Case.id == Service.case_id)
        .where(filters.during(Service.provided_on), filters.cases(), scope)
        .order_by(Service.provided_on, Service.id)
    )


@Sheet
def allowance_requests(filters: Filters, scope) -> Select:
    """Allowances applied for, or decided, in the period."""
    return (
        select(
            Case.code,
            *_name(filters),
            Allowance.kind_id,
            Allowance.facility_id,
            Allowance.applied_on,
            Allowance.period_from,
            Allowance.period_to,
            Allowance.days,
            Allowance.amount,
            Allowance.status,
            Allowance.decided_at,
        )
        .join(Case, Case.id == Allowance.case_id)
        .where(
            or_(filters.during(Allowance.applied_on), filters.moment_during(Allowance.decided_at)),
            filters.cases(),
            scope,
        )
        .order_by(Allowance.applied_on, Allowance.id)
    )


@Sheet
def payments(filters: Filters, scope) -> Select:
    """Payments made in the period; a correction is a payment of its own."""
    return (
        select(
            Case.code,
            *_name(filters),
            Payment.paid_on,
            Allowance.kind_id,
            Payment.facility_id,
            Payment.method,
            Payment.receipt_number,
            Payment.corrects_id,
            Payment.amount,
        )
        .select_from(Payment)
        .join(Payment.allowance)
        .join(Allowance.case)
        .where(filters.during(Payment.paid_on), filters.cases(), scope)
        .order_by(Payment.paid_on, Payment.id)
    )


def paid_by_type(filters: Filters, scope) -> list[tuple[SupportType, int]]:
    """What the Allowances page counts, for the period: the same query."""
    return allowances.paid_by_type(
        allowances.paid(and_(filters.during(Payment.paid_on), filters.cases(), scope))
    )


@Sheet
def enrolments(filters: Filters, scope) -> Select:
    """Enrolments referred, completed or dropped out in the period."""
    reason = (Enrolment.dropout_reason,) if filters.names else ()
    return (
        select(
            Case.code,
            *_name(filters),
            Course.title,
            Course.kind,
            Course.topic_id,
            Course.provider,
            Enrolment.referred_on,
            Enrolment.enrolled_on,
            Enrolment.status,
            Enrolment.completed_on,
            Enrolment.dropped_out_on,
            *reason,
            Course.cost_per_trainee,
        )
        .join(Course, Course.id == Enrolment.course_id)
        .join(Case, Case.id == Enrolment.case_id)
        .where(
            or_(
                filters.during(Enrolment.referred_on),
                filters.during(Enrolment.completed_on),
                filters.during(Enrolment.dropped_out_on),
            ),
            filters.cases(),
            scope,
        )
        .order_by(Enrolment.referred_on, Enrolment.id)
    )


@Sheet
def placements(filters: Filters, scope) -> Select:
    """Jobs started in the period."""
    note = (Placement.end_note,) if filters.names else ()
    return (
        select(
            Case.code,
            *_name(filters),
            Employer.name.label("employer"),
            Employer.kind.label("employer_kind"),
            Placement.position,
            Placement.start_on,
            Placement.contract_type,
            Placement.monthly_wage,
            Placement.in_home_province,
            Placement.housing_support,
            Placement.end_on,
            Placement.end_reason,
            *note,
        )
        .join(Employer, Employer.id == Placement.employer_id)
        .join(Case, Case.id == Placement.case_id)
        .where(filters.during(Placement.start_on), filters.cases(), scope)
        .order_by(Placement.start_on, Placement.id)
    )


@Sheet
def followups(filters: Filters, scope) -> Select:
    """Follow-ups planned for, or done in, the period."""
    wellbeing = (FollowUp.wellbeing,) if filters.names else ()
    signs = _ids(followup_risk_signs.c.item_id, followup_risk_signs.c.followup_id, FollowUp.id)
    return (
        select(
            Case.code,
            *_name(filters),
            FollowUp.reason,
            FollowUp.mark_months,
            FollowUp.planned_on,
            FollowUp.done_on,
            FollowUp.method,
            FollowUp.contact_made,
            FollowUp.still_in_job,
            signs.label("sign_ids"),
            SustainabilityCheck.composite,
            *wellbeing,
        )
        .join(Case, Case.id == FollowUp.case_id)
        .outerjoin(SustainabilityCheck, SustainabilityCheck.followup_id == FollowUp.id)
        .where(
            or_(filters.during(FollowUp.planned_on), filters.during(FollowUp.done_on)),
            filters.cases(),
            scope,
        )
        .order_by(FollowUp.planned_on, FollowUp.id)
    )


SHEETS = (cases, stays, services, allowance_requests, payments, enrolments, placements, followups)


def rows_expected(filters: Filters, scope) -> int:
    """The rows the workbook's sheets will hold, counted in one statement."""
    counts = db.session.execute(select(*(sheet.count(filters, scope) for sheet in SHEETS))).one()
    return sum(counts)
