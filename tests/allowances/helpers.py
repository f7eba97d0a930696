"""Allowance kinds, rules and requests for the allowance tests."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from reintegration import clock
from reintegration.allowances import services
from reintegration.allowances.models import PaymentMethod
from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reference.models import SupportType
from reintegration.support.models import AllowanceKind, AllowanceRule, Method


def kind(code: str) -> AllowanceKind:
    """A kind of the starting policy: MEALS, CLOTHING, VOCATIONAL or HARDSHIP."""
    return db.session.scalar(select(AllowanceKind).where(AllowanceKind.code == code))


def support_type(letter: str) -> SupportType:
    return db.session.scalar(select(SupportType).where(SupportType.letter == letter))


def new_kind(code: str, letter: str = "a", decision_days: int | None = None) -> AllowanceKind:
    made = AllowanceKind(
        code=code,
        support_type=support_type(letter),
        name_vi=f"Khoản {code}",
        name_en=f"Allowance {code}",
        decision_days=decision_days,
    )
    db.session.add(made)
    db.session.flush()
    return made


def rule(kind: AllowanceKind, method: Method, valid_from: date, valid_to=None, **fields):
    """A rule of ``kind``; ``coefficient`` may be given as a string such as "1.5"."""
    if "coefficient" in fields:
        fields["coefficient"] = Decimal(fields["coefficient"])
    made = AllowanceRule(
        kind=kind, method=method, valid_from=valid_from, valid_to=valid_to, **fields
    )
    db.session.add(made)
    db.session.flush()
    db.session.expire(kind, ["rules"])
    return made


def request(make, case, code: str = "HARDSHIP", start=None, end=None, applied_on=None, by=None):
    """A request made through the service, by a shelter worker of the case's facility."""
    user = by or make.user(Role.SHELTER_STAFF, facility=case.facility)
    start = start or case.received_on
    return services.request_allowance(
        case, kind(code), start, end, applied_on or case.received_on, "Mẫu 07", user
    )


def officer(make, province: str = "NA"):
    return make.user(Role.PROVINCIAL_OFFICER, province=province)


def approved(make, case, code: str = "HARDSHIP", **kw):
    allowance = request(make, case, code, **kw)
    services.decide(allowance, True, "", officer(make, case.facility.province.code))
    return allowance


def paid(make, case, code: str = "HARDSHIP", receipt: str = "PC-001", **kw):
    allowance = approved(make, case, code, **kw)
    payer = make.user(Role.SHELTER_STAFF, facility=case.facility)
    services.pay(allowance, clock.today(), PaymentMethod.CASH, receipt, payer)
    return allowance
