"""Requests, decisions, payments and corrections of allowances.

Every change of status goes through ``_move``: an UPDATE that names the status it expects, so
two people acting on the same allowance at once make one change, and the other is told why.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..access import Permission, can
from ..audit.services import record_update
from ..cases.models import Case
from ..errors import DomainError
from ..extensions import db
from ..formatting import day
from ..reference.services import require_entitlement
from ..support import policy
from ..support.models import AllowanceKind
from .models import COUNTING, Allowance, AllowanceStatus, Payment, PaymentMethod

if TYPE_CHECKING:
    from ..auth.models import User


def usage(case_id: int, kind_id: int) -> tuple[int, int]:
    """How many allowances of a kind the person has (not refused or cancelled), and their days."""
    times, days = db.session.execute(
        select(func.count(Allowance.id), func.coalesce(func.sum(Allowance.days), 0)).where(
            Allowance.case_id == case_id,
            Allowance.kind_id == kind_id,
            Allowance.status.in_(COUNTING),
        )
    ).one()
    return times, days or 0  # COALESCE made it 0 already; its type keeps the NULL of SUM


def _hold(allowance: Allowance) -> None:
    """Lock the allowance until commit and read its payments afresh, so that two corrections
    at once cannot together take back more than was paid (SQLite writes one at a time)."""
    db.session.execute(
        select(Allowance.id).where(Allowance.id == allowance.id).with_for_update(key_share=True)
    )
    db.session.expire(allowance, ["payments"])


def _hold_person(case: Case) -> None:
    """Lock the person's row until commit, so that two requests at once count each other.

    Without it PostgreSQL lets both count only what was committed before either, and both pass
    a limit. (SQLite runs writing requests one at a time, and ignores FOR UPDATE.)
    """
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update(key_share=True))


def _check_limits(case: Case, kind: AllowanceKind, amount: policy.Amount) -> None:
    rule = amount.rule
    _hold_person(case)
    times, days = usage(case.id, kind.id)
    if rule.max_times is not None and times + 1 > rule.max_times:
        raise DomainError(
            lazy_ngettext(
                "“%(kind)s” may be given at most %(num)s time to one person, and this person "
                "already has %(times)s.",
                "“%(kind)s” may be given at most %(num)s times to one person, and this person "
                "already has %(times)s.",
                rule.max_times,
                kind=kind.name,
                times=times,
            ),
            "kind",
        )
    if rule.max_days is not None and amount.days is not None and days + amount.days > rule.max_days:
        raise DomainError(
            lazy_ngettext(
                "“%(kind)s” covers at most %(num)s day for one person: %(used)s are already "
                "requested or paid, so at most %(left)s remain.",
                "“%(kind)s” covers at most %(num)s days for one person: %(used)s are already "
                "requested or paid, so at most %(left)s remain.",
                rule.max_days,
                kind=kind.name,
                used=days,
                left=max(rule.max_days - days, 0),
            ),
            "period_to",
        )


def _check_dates(case: Case, start: date, end: date | None, applied_on: date) -> None:
    if applied_on > clock.today():
        raise DomainError(_l("This date is in the future."), "applied_on")
    if applied_on < case.received_on:
        raise DomainError(
            _l(
                "The application cannot come before the person was received (%(day)s).",
                day=day(case.received_on),
            ),
            "applied_on",
        )
    if start < case.received_on:
        raise DomainError(
            _l(
                "An allowance cannot be for a day before the person was received (%(day)s).",
                day=day(case.received_on),
            ),
            "period_from",
        )
    if end is not None and end < start:
        raise DomainError(_l("The period cannot end before it starts."), "period_to")


def request_allowance(
    case: Case,
    kind: AllowanceKind,
    period_from: date,
    period_to: date | None,
    applied_on: date,
    documents: str,
    user: User,
) -> Allowance:
    """Record a request with its amount computed from the policy of the date it is for."""
    if case.facility_id is None:
        raise DomainError(
            _l("This case is managed by no facility, so no facility can pay an allowance.")
        )
    require_entitlement(case, kind.support_type, "kind")
    _check_dates(case, period_from, period_to, applied_on)
    amount = policy.compute(kind, case.province_id, period_from, period_to)
    if amount.days is None:  # an amount for one day: a period end sent with it means nothing
        period_to = None
    _check_limits(case, kind, amount)
    allowance = Allowance(
        case_id=case.id,
        kind_id=kind.id,
        rule_id=amount.rule.id,
        facility_id=case.facility_id,
        period_from=period_from,
        period_to=period_to,
        days=amount.days,
        amount=amount.total,
        computation=amount.parts,
        applied_on=applied_on,
        documents=documents.strip(),
        decision_due_on=(
            policy.add_working_days(applied_on, kind.decision_days) if kind.decision_days else None
        ),
        requested_by_id=user.id,
    )
    db.session.add(allowance)
    db.session.flush()
    return allowance


def _refuse_move(allowance: Allowance, status: AllowanceStatus) -> DomainError:
    return DomainError(
        _l(
            "This allowance is “%(current)s”: it cannot become “%(next)s”.",
            current=allowance.status.label,
            next=status.label,
        )
    )


def _move(allowance: Allowance, status: AllowanceStatus, **values) -> None:
    """Change the status, only from the one the allowance had when it was read."""
    if not allowance.may_move_to(status):
        raise _refuse_move(allowance, status)
    expected = allowance.status
    # The version goes up too, so that a form read before this move sees it (versions.py).
    version = db.session.execute(
        update(Allowance)
        .where(Allowance.id == allowance.id, Allowance.status == expected)
        .values(status=status, version=Allowance.version + 1, **values)
        .returning(Allowance.version)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if version is None:
        raise DomainError(
            _l(
                "Someone else changed this allowance a moment ago: it is no longer “%(status)s”.",
                status=expected.label,
            )
        )
    old = {name: getattr(allowance, name) for name in values}
    record_update(
        allowance,
        {"status": expected, "version": version - 1, **old},
        {"status": status, "version": version, **values},
    )
    db.session.refresh(allowance)


def decide(allowance: Allowance, approve: bool, reason: str, user: User) -> None:
    """The decision of a provincial officer who did not make the request (four eyes)."""
    if not can(user, Permission.DECIDE_ALLOWANCES):
        raise DomainError(_l("Only a provincial officer decides a request."))
    if user.id == allowance.requested_by_id:
        raise DomainError(
            _l("You made this request: another provincial officer decides it (four eyes).")
        )
    if user.scope_province_id != allowance.facility.province_id:
        raise DomainError(
            _l("The officers of the province of the paying facility decide this request.")
        )
    if not approve and not reason.strip():
        raise DomainError(_l("Say why the request is refused."), "reason")
    status = AllowanceStatus.APPROVED if approve else AllowanceStatus.REFUSED
    _move(
        allowance,
        status,
        decided_by_id=user.id,
        decided_at=clock.utcnow(),
        reason=reason.strip(),
    )


def cancel(allowance: Allowance, reason: str, user: User) -> None:
    if not reason.strip():
        raise DomainError(_l("Say why the allowance is cancelled."), "reason")
    _move(allowance, AllowanceStatus.CANCELLED, cancelled_by_id=user.id, reason=reason.strip())


def _check_payment(facility_id: int, paid_on: date, receipt_number: str, field: str) -> str:
    if paid_on > clock.today():
        raise DomainError(_l("This date is in the future."), "paid_on")
    receipt_number = receipt_number.strip()
    if not receipt_number:
        raise DomainError(_l("Give the receipt number."), field)
    taken = db.session.scalar(
        select(Payment.id).where(
            Payment.facility_id == facility_id, Payment.receipt_number == receipt_number
        )
    )
    if taken is not None:
        raise DomainError(
            _l("The receipt number %(number)s is already used.", number=receipt_number), field
        )
    return receipt_number


def _store(payment: Payment, field: str) -> None:
    """Insert a payment; a receipt number another person used a moment ago is a form error."""
    try:
        with db.session.begin_nested():
            db.session.add(payment)
    except IntegrityError as error:
        if "receipt" not in str(error.orig):
            raise
        raise DomainError(
            _l("The receipt number %(number)s is already used.", number=payment.receipt_number),
            field,
        ) from error


def pay(
    allowance: Allowance,
    paid_on: date,
    method: PaymentMethod,
    receipt_number: str,
    user: User,
    field: str = "receipt_number",
) -> Payment:
    """Pay an approved allowance in full; it is paid once, and never changes afterwards."""
    receipt_number = _check_payment(allowance.facility_id, paid_on, receipt_number, field)
    if allowance.decided_at is not None and paid_on < clock.local(allowance.decided_at).date():
        raise DomainError(
            _l(
                "An allowance cannot be paid before it was approved (%(day)s).",
                day=day(clock.local(allowance.decided_at).date()),
            ),
            "paid_on",
        )
    _move(allowance, AllowanceStatus.PAID)
    payment = Payment(
        allowance_id=allowance.id,
        facility_id=allowance.facility_id,
        amount=allowance.amount,
        paid_on=paid_on,
        method=method,
        receipt_number=receipt_number,
        paid_by_id=user.id,
    )
    _store(payment, field)
    db.session.expire(allowance, ["payments"])
    return payment


def pay_many(
    allowances: list[Allowance],
    receipts: dict[int, str],
    paid_on: date,
    method: PaymentMethod,
    user: User,
) -> list[Payment]:
    """Pay several allowances at once. On a refusal the caller rolls back, so none is paid
    (every view does, through ``applied`` or itself)."""
    if not allowances:
        raise DomainError(_l("Choose at least one allowance to pay."))
    numbers = [receipts.get(allowance.id, "").strip() for allowance in allowances]
    repeated = {number for number in numbers if number and numbers.count(number) > 1}
    if repeated:
        raise DomainError(
            _l(
                "Each payment needs its own receipt number: %(numbers)s is given twice.",
                numbers=", ".join(sorted(repeated)),
            )
        )
    return [
        pay(allowance, paid_on, method, number, user, field=f"receipt_{allowance.id}")
        for allowance, number in zip(allowances, numbers, strict=True)
    ]


def _check_correction(payment: Payment, amount: int, paid_on: date, reason: str) -> None:
    """What a correction must be: of an original payment, by an amount that is not zero and
    takes back no more than was paid, on or after that payment, with a reason. Holds the
    allowance (``_hold``) before reading what was paid."""
    if payment.is_correction:
        raise DomainError(_l("Correct the original payment, not a correction."))
    if amount == 0:
        raise DomainError(_l("A correction changes the amount: it cannot be zero."), "amount")
    if not reason.strip():
        raise DomainError(_l("Say why the payment is corrected."), "reason")
    allowance = payment.allowance
    _hold(allowance)
    if allowance.paid_total + amount < 0:
        raise DomainError(
            _l("A correction cannot take back more than was paid for this allowance."), "amount"
        )
    if paid_on < payment.paid_on:
        raise DomainError(
            _l(
                "A correction cannot come before the payment it corrects (%(day)s).",
                day=day(payment.paid_on),
            ),
            "paid_on",
        )


def correct(
    payment: Payment,
    amount: int,
    paid_on: date,
    method: PaymentMethod,
    receipt_number: str,
    reason: str,
    user: User,
) -> Payment:
    """A new payment that corrects ``payment`` by ``amount`` dong (negative: money returned)."""
    _check_correction(payment, amount, paid_on, reason)
    allowance = payment.allowance
    receipt_number = _check_payment(payment.facility_id, paid_on, receipt_number, "receipt_number")
    correction = Payment(
        allowance_id=allowance.id,
        facility_id=payment.facility_id,
        corrects_id=payment.id,
        amount=amount,
        paid_on=paid_on,
        method=method,
        receipt_number=receipt_number,
        reason=reason.strip(),
        paid_by_id=user.id,
    )
    _store(correction, "receipt_number")
    db.session.expire(allowance, ["payments"])
    return correction
