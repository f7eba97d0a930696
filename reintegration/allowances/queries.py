"""Reading allowances: through the cases a user may see, with fixed numbers of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, and_, extract, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from .. import clock
from ..cases.models import Case
from ..cases.queries import case_scope
from ..cases.timeline import Event
from ..extensions import db
from ..formatting import money
from ..reference.models import SupportType
from ..reference.queries import entitled_type_ids
from ..shelter.models import Facility
from ..support import policy
from ..support.models import AllowanceKind, AllowanceRule
from ..web import one_or_404
from .models import COUNTING, Allowance, AllowanceStatus, Payment

if TYPE_CHECKING:
    from ..auth.models import User

_DETAILS = (
    joinedload(Allowance.kind).joinedload(AllowanceKind.support_type),
    joinedload(Allowance.facility),
    joinedload(Allowance.requested_by),
    joinedload(Allowance.decided_by),
    joinedload(Allowance.cancelled_by),
    selectinload(Allowance.payments).joinedload(Payment.paid_by),
)


def allowance_or_404(allowance_id: int) -> Allowance:
    """An allowance loaded through its case, so it exists only for those who see the case."""
    return one_or_404(
        select(Allowance)
        .join(Allowance.case)
        .where(Allowance.id == allowance_id, case_scope(current_user))
        .options(contains_eager(Allowance.case), *_DETAILS)
    )


def payment_or_404(payment_id: int) -> Payment:
    return one_or_404(
        select(Payment)
        .join(Payment.allowance)
        .join(Allowance.case)
        .where(Payment.id == payment_id, case_scope(current_user))
        .options(contains_eager(Payment.allowance).contains_eager(Allowance.case))
    )


def kinds(active_only: bool = True) -> Sequence[AllowanceKind]:
    query = (
        select(AllowanceKind)
        .join(AllowanceKind.support_type)
        .options(contains_eager(AllowanceKind.support_type), selectinload(AllowanceKind.rules))
        .order_by(SupportType.sort_order, AllowanceKind.sort_order, AllowanceKind.name_vi)
    )
    if active_only:
        query = query.where(AllowanceKind.active.is_(True))
    return db.session.scalars(query).unique().all()


def of_case(case: Case) -> Sequence[Allowance]:
    return db.session.scalars(
        select(Allowance)
        .where(Allowance.case_id == case.id)
        .options(*_DETAILS)
        .order_by(Allowance.applied_on.desc(), Allowance.id.desc())
    ).all()


@dataclass
class Limit:
    """What is left to a person of one allowance kind under the rule in force today."""

    kind: AllowanceKind
    rule: AllowanceRule | None
    times: int
    days: int

    @property
    def times_left(self) -> int | None:
        if self.rule is None or self.rule.max_times is None:
            return None
        return max(self.rule.max_times - self.times, 0)

    @property
    def days_left(self) -> int | None:
        if self.rule is None or self.rule.max_days is None:
            return None
        return max(self.rule.max_days - self.days, 0)


def entitlements(
    case: Case,
    all_kinds,
    entitled: set[int] | None = None,
    allowances: Sequence[Allowance] | None = None,
) -> list[Limit]:
    """What is left to the person of each allowance kind of a support type they are entitled to
    (``entitled``, the ids of those types, and ``allowances``, all of the case's: when the
    caller has read them already)."""
    if entitled is None:
        entitled = entitled_type_ids(case.identification_status)
    if allowances is None:
        allowances = list(db.session.scalars(select(Allowance).where(Allowance.case_id == case.id)))
    used: dict[int, tuple[int, int]] = {}
    for allowance in allowances:
        if allowance.status in COUNTING:
            times, days = used.get(allowance.kind_id, (0, 0))
            used[allowance.kind_id] = (times + 1, days + (allowance.days or 0))
    today = clock.today()
    limits = []
    for kind in all_kinds:
        if kind.support_type_id not in entitled:
            continue
        rule = policy.rule_in_force(
            [r for r in kind.rules if r.province_id in (None, case.province_id)], today
        )
        times, days = used.get(kind.id, (0, 0))
        limits.append(Limit(kind, rule, times, days))
    return limits


def total_paid(case: Case) -> int:
    return db.session.execute(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .join(Payment.allowance)
        .where(Allowance.case_id == case.id)
    ).scalar_one()


def waiting(user: User) -> Sequence[Allowance]:
    """Requests waiting for a decision in the user's reach, the oldest application first."""
    return db.session.scalars(
        select(Allowance)
        .join(Allowance.case)
        .where(Allowance.status == AllowanceStatus.REQUESTED, case_scope(user))
        .options(contains_eager(Allowance.case), *_DETAILS)
        .order_by(Allowance.applied_on, Allowance.id)
    ).all()


def approved_for(facility: Facility, start: date, end: date, user: User) -> Sequence[Allowance]:
    """Approved allowances a facility has to pay whose date falls in the period."""
    return db.session.scalars(
        select(Allowance)
        .join(Allowance.case)
        .where(
            Allowance.facility_id == facility.id,
            Allowance.status == AllowanceStatus.APPROVED,
            Allowance.period_from.between(start, end),
            case_scope(user),
        )
        .options(contains_eager(Allowance.case), *_DETAILS)
        .order_by(Allowance.period_from, Allowance.id)
    ).all()


@dataclass
class Totals:
    by_type: list[tuple[SupportType, int]]
    by_month: list[tuple[int, int]]
    by_facility: list[tuple[Facility, int]]
    total: int


def paid(condition) -> Select:
    """Money paid (corrections included) by the payments matching ``condition``, which may
    name the payment, its allowance and its case."""
    return (
        select(func.sum(Payment.amount))
        .select_from(Payment)
        .join(Payment.allowance)
        .join(Allowance.case)
        .where(condition)
    )


def paid_by_type(base: Select) -> list[tuple[SupportType, int]]:
    """``base`` (made by ``paid``) per support type, in the law's order."""
    rows = db.session.execute(
        base.add_columns(SupportType)
        .join(AllowanceKind, AllowanceKind.id == Allowance.kind_id)
        .join(SupportType, SupportType.id == AllowanceKind.support_type_id)
        .group_by(SupportType.id)
        .order_by(SupportType.sort_order)
    ).all()
    return [(support_type, amount) for amount, support_type in rows]


def totals(user: User, year: int) -> Totals:
    """Money paid in ``year`` (corrections included) for the cases the user sees."""
    base = paid(and_(extract("year", Payment.paid_on) == year, case_scope(user)))
    month = extract("month", Payment.paid_on)
    by_month = db.session.execute(base.add_columns(month).group_by(month).order_by(month)).all()
    by_facility = db.session.execute(
        base.add_columns(Facility)
        .join(Facility, Facility.id == Payment.facility_id)
        .group_by(Facility.id)
        .order_by(Facility.name)
    ).all()
    return Totals(
        by_type=paid_by_type(base),
        by_month=[(int(number), amount) for amount, number in by_month],
        by_facility=[(facility, amount) for amount, facility in by_facility],
        total=db.session.scalar(base) or 0,
    )


@dataclass
class CaseSection:
    allowances: Sequence[Allowance]
    limits: list[Limit]
    total_paid: int


def case_section(case: Case, entitled: set[int] | None = None) -> CaseSection:
    allowances = of_case(case)
    return CaseSection(
        allowances, entitlements(case, kinds(), entitled, allowances), total_paid(case)
    )


def timeline_events(allowances: Sequence[Allowance]) -> list[Event]:
    """Application, decision and payments of each allowance, for the case's timeline."""
    events = []
    for allowance in allowances:
        name = allowance.kind.name
        events.append(
            Event(
                allowance.applied_on,
                8,
                "allowance",
                _("Applied for %(allowance)s", allowance=name),
                money(allowance.amount),
            )
        )
        if allowance.decided_at is not None:
            title = (
                _("%(allowance)s approved", allowance=name)
                if allowance.was_approved
                else _("%(allowance)s refused", allowance=name)
            )
            events.append(Event(clock.local(allowance.decided_at).date(), 8, "allowance", title))
        events.extend(
            Event(
                payment.paid_on,
                9,
                "allowance",
                _("%(allowance)s: payment corrected", allowance=name)
                if payment.is_correction
                else _("%(allowance)s paid", allowance=name),
                money(payment.amount),
            )
            for payment in allowance.payments
        )
    return events
