"""The rules of the shelter stay and of recording services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..cases.models import Case
from ..cases.services import refresh_stage
from ..errors import DomainError
from ..extensions import db
from ..followups.models import FollowUpReason
from ..followups.services import plan_followups
from ..formatting import day
from ..reference.models import ListItem, ServiceKind
from ..reference.services import require_entitlement
from .models import Facility, Service, Stay, StayExtension
from .queries import residents_count

if TYPE_CHECKING:
    from ..auth.models import User


def save_facility(facility: Facility, code: str, **fields) -> None:
    """Create or change a facility; its code is unique and written in capitals."""
    code = code.strip().upper()
    taken = db.session.scalar(select(Facility.id).where(Facility.code == code))
    if taken is not None and taken != facility.id:
        raise DomainError(_l("Another facility has this code."), "code")
    facility.code = code
    for name, value in fields.items():
        setattr(facility, name, value.strip() if isinstance(value, str) else value)
    db.session.add(facility)
    db.session.flush()


# The discharge destination that hands the person to another facility: no follow-up at home.
TRANSFER = "FACILITY"


def legal_end(admitted_on: date) -> date:
    """The last day essential-needs support may cover (Decree 162/2025, Art. 17)."""
    return admitted_on + timedelta(days=current_app.config["ESSENTIAL_NEEDS_MAX_DAYS"])


def is_full(facility: Facility) -> bool:
    return residents_count(facility) >= facility.capacity


def admit(case: Case, facility: Facility, admitted_on: date, user: User) -> Stay:
    if case.open_stay is not None:
        raise DomainError(
            _l("This person is already staying at %(facility)s.", facility=case.open_stay.facility),
            "facility",
        )
    if admitted_on < case.received_on:
        raise DomainError(
            _l("Admission cannot come before the person was received."), "admitted_on"
        )
    last_discharge = max((s.discharged_on for s in case.stays if s.discharged_on), default=None)
    if last_discharge and admitted_on < last_discharge:
        raise DomainError(
            _l("The previous stay ended on %(day)s.", day=day(last_discharge)),
            "admitted_on",
        )
    planned_end = min(
        admitted_on + timedelta(days=facility.standard_stay_days), legal_end(admitted_on)
    )
    # Ids, not relationships: the row is written alone inside the savepoint below.
    stay = Stay(
        case_id=case.id,
        facility_id=facility.id,
        admitted_on=admitted_on,
        planned_end=planned_end,
        admitted_by_id=user.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(stay)
    except IntegrityError as error:  # the one-open-stay index: another admission won the race
        raise DomainError(
            _l("This person has just been admitted by someone else."), "facility"
        ) from error
    db.session.expire(case, ["stays"])
    case.facility = facility
    refresh_stage(case)
    db.session.flush()
    return stay


def extend(stay: Stay, new_end: date, reason: str, approved_by: str, user: User) -> None:
    if not stay.is_open:
        raise DomainError(_l("This stay has ended."))
    if new_end <= stay.planned_end:
        raise DomainError(
            _l("The new end must come after %(day)s.", day=day(stay.planned_end)),
            "new_end",
        )
    _check_within_legal_end(stay, new_end, "new_end")
    db.session.add(
        StayExtension(
            stay=stay,
            previous_end=stay.planned_end,
            new_end=new_end,
            reason=reason.strip(),
            approved_by=approved_by.strip(),
            recorded_by_id=user.id,
        )
    )
    stay.planned_end = new_end


def discharge(
    stay: Stay, on: date, destination: ListItem, address: str, note: str, user: User
) -> None:
    if not stay.is_open:
        raise DomainError(_l("This stay has ended."))
    _check_not_before_admission(stay, on, "discharged_on")
    if on > clock.today():
        raise DomainError(_l("This date is in the future."), "discharged_on")
    stay.discharged_on = on
    stay.destination = destination
    stay.destination_address = address.strip()
    stay.discharge_note = note.strip()
    stay.discharged_by_id = user.id
    if destination.code != TRANSFER:
        plan_followups(stay.case, FollowUpReason.DISCHARGE, on, stay=stay)
    refresh_stage(stay.case)


def plan_discharge(stay: Stay, planned_on: date, destination: ListItem) -> None:
    """Replaces any earlier plan. A planned date silences the reminder that a stay is ending
    with nothing prepared, so it has to be a day on which the stay could really end."""
    if not stay.is_open:
        raise DomainError(_l("This stay has ended."))
    _check_not_before_admission(stay, planned_on, "discharge_planned_on")
    _check_within_legal_end(stay, planned_on, "discharge_planned_on")
    stay.discharge_planned_on = planned_on
    stay.planned_destination = destination


def _check_not_before_admission(stay: Stay, on: date, field: str) -> None:
    if on < stay.admitted_on:
        raise DomainError(
            _l("Discharge cannot come before admission (%(day)s).", day=day(stay.admitted_on)),
            field,
        )


def _check_within_legal_end(stay: Stay, on: date, field: str) -> None:
    cap = legal_end(stay.admitted_on)
    if on > cap:
        raise DomainError(
            _l(
                "Essential-needs support lasts at most %(days)s days from admission: the stay "
                "cannot end after %(day)s.",
                days=current_app.config["ESSENTIAL_NEEDS_MAX_DAYS"],
                day=day(cap),
            ),
            field,
        )


def check_entitled(case: Case, kind: ServiceKind) -> None:
    require_entitlement(case, kind.support_type, "kind")


def record_service(
    case: Case,
    kind: ServiceKind,
    provided_on: date,
    provider: str,
    notes: str,
    cost: int,
    user: User,
) -> Service:
    check_entitled(case, kind)
    if cost < 0:
        raise DomainError(_l("A cost cannot be negative."), "cost")
    covering = next(
        (
            stay
            for stay in case.stays
            if stay.admitted_on <= provided_on <= (stay.discharged_on or date.max)
        ),
        None,
    )
    service = Service(
        case=case,
        stay_id=covering.id if covering else None,
        kind=kind,
        support_type_id=kind.support_type_id,
        provided_on=provided_on,
        provider=provider.strip(),
        notes=notes.strip(),
        cost=cost,
        recorded_by_id=user.id,
    )
    db.session.add(service)
    db.session.flush()
    return service
