"""Changes an administrator makes to the support policy: entitlements, the standard level,
allowance kinds and their dated rules, public holidays.

An allowance keeps the amount it was computed at, so none of these changes alters one already
requested. What the rules below guard is that the policy as recorded stays true to those stored
computations: a rule an allowance used keeps its terms and the days it was used on.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Table, exists, func, or_, select

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..formatting import day
from ..reference.models import Entitlement, IdentificationStatus, SupportType
from .models import AllowanceKind, AllowanceRule, AssistanceLevel, Holiday, Method

# Entitlements


def save_entitlements(chosen: set[tuple[IdentificationStatus, int]]) -> None:
    """Store exactly the ticked cells of the table: (status, support type id)."""
    stored = {
        (row.status, row.support_type_id): row for row in db.session.scalars(select(Entitlement))
    }
    for cell in stored.keys() - chosen:
        db.session.delete(stored[cell])
    for status, type_id in chosen - stored.keys():
        db.session.add(Entitlement(status=status, support_type_id=type_id))
    db.session.flush()


# The standard social-assistance level


def add_level(valid_from: date, amount: int, legal_basis: str) -> AssistanceLevel:
    if amount <= 0:
        raise DomainError(_l("The amount must be more than 0 dong."), "amount")
    taken = db.session.scalar(
        select(AssistanceLevel.id).where(AssistanceLevel.valid_from == valid_from)
    )
    if taken is not None:
        raise DomainError(
            _l("A level already starts on %(day)s.", day=day(valid_from)), "valid_from"
        )
    level = AssistanceLevel(valid_from=valid_from, amount=amount, legal_basis=legal_basis.strip())
    db.session.add(level)
    db.session.flush()
    return level


def delete_level(level: AssistanceLevel) -> None:
    """Only a level not yet in force goes: allowances may already be computed from the others."""
    if level.valid_from <= clock.today():
        raise DomainError(
            _l(
                "The level in force from %(day)s cannot be deleted: allowances may have been "
                "computed from it. Add a level from a later date instead.",
                day=day(level.valid_from),
            )
        )
    if _computed_from(level):
        raise DomainError(
            _l(
                "An allowance was already computed from the level in force from %(day)s, so it "
                "cannot be deleted.",
                day=day(level.valid_from),
            )
        )
    db.session.delete(level)
    db.session.flush()


def _allowances() -> Table:
    """The allowances made under the policy, read from their table by name: the policy sits
    below the allowances in the layers (ARCHITECTURE.md) and imports no model of theirs. What
    it asks of them is only whether a level, a kind or a rule has been used."""
    return db.metadata.tables["allowances"]


def _computed_from(level: AssistanceLevel) -> bool:
    """Whether a coefficient allowance is for a day this level was the one in force."""
    following = db.session.scalar(
        select(func.min(AssistanceLevel.valid_from)).where(
            AssistanceLevel.valid_from > level.valid_from
        )
    )
    allowances = _allowances().c
    query = select(allowances.id).join(AllowanceRule, AllowanceRule.id == allowances.rule_id)
    query = query.where(
        AllowanceRule.method == Method.COEFFICIENT, allowances.period_from >= level.valid_from
    )
    if following is not None:
        query = query.where(allowances.period_from < following)
    return db.session.scalar(query.limit(1)) is not None


# Allowance kinds


def add_kind(code: str, **fields) -> AllowanceKind:
    """A new kind; its code is stored upper-case and never changes, reports key on it."""
    code = code.strip().upper()
    if db.session.scalar(select(AllowanceKind.id).where(AllowanceKind.code == code)) is not None:
        raise DomainError(_l("Another allowance kind has the code %(code)s.", code=code), "code")
    last = db.session.scalar(select(func.max(AllowanceKind.sort_order)))
    return _save_kind(AllowanceKind(code=code, sort_order=(last or 0) + 1), **fields)


def update_kind(kind: AllowanceKind, **fields) -> AllowanceKind:
    """Totals by support type read an allowance's type through its kind: a used kind keeps it."""
    if fields["support_type_id"] != kind.support_type_id and _kind_used(kind):
        raise DomainError(
            _l(
                "Allowances of this kind are already recorded under %(type)s: it keeps its "
                "support type. Add a new kind instead.",
                type=kind.support_type.title,
            ),
            "support_type",
        )
    return _save_kind(kind, **fields)


def _kind_used(kind: AllowanceKind) -> bool:
    return bool(db.session.scalar(select(exists().where(_allowances().c.kind_id == kind.id))))


def _save_kind(
    kind: AllowanceKind,
    support_type_id: int,
    name_vi: str,
    name_en: str,
    legal_basis: str,
    decision_days: int | None,
    active: bool,
) -> AllowanceKind:
    if decision_days is not None and not 1 <= decision_days <= 60:
        raise DomainError(
            _l("Between 1 and 60 working days, or empty when there is no deadline."),
            "decision_days",
        )
    if db.session.get(SupportType, support_type_id) is None:
        raise DomainError(_l("Choose a support type."), "support_type")
    kind.support_type_id = support_type_id
    kind.name_vi, kind.name_en = name_vi.strip(), name_en.strip()
    kind.legal_basis, kind.decision_days, kind.active = legal_basis.strip(), decision_days, active
    db.session.add(kind)
    db.session.flush()
    return kind


# Rules of a kind


@dataclass
class RuleTerms:
    """What a rule says, as an administrator gives it."""

    province_id: int | None
    method: Method
    amount: int | None
    coefficient: Decimal | None
    max_days: int | None
    max_times: int | None
    valid_from: date
    valid_to: date | None


@dataclass
class Use:
    """How many allowances were computed under a rule, and the last day they cover under it."""

    count: int = 0
    last_day: date | None = None


def add_rule(kind: AllowanceKind, terms: RuleTerms) -> tuple[AllowanceRule, AllowanceRule | None]:
    """Add a rule; returns it, and the earlier open-ended rule it closed if it closed one."""
    _check_terms(terms)
    closed = _make_room(kind.id, terms, None)
    rule = AllowanceRule(kind_id=kind.id, **asdict(terms))
    db.session.add(rule)
    db.session.flush()
    db.session.expire(kind, ["rules"])
    return rule, closed


def update_rule(
    rule: AllowanceRule, terms: RuleTerms
) -> tuple[AllowanceRule, AllowanceRule | None]:
    """Change a rule no allowance uses yet; returns it, and the earlier rule it closed if any."""
    if use_of(rule).count:
        raise DomainError(
            _l("An allowance was computed under this rule: only its end date may change.")
        )
    _check_terms(terms)
    closed = _make_room(rule.kind_id, terms, rule.id)
    for name, value in asdict(terms).items():
        setattr(rule, name, value)
    db.session.flush()
    return rule, closed


def end_rule(rule: AllowanceRule, valid_to: date | None) -> None:
    """Set or clear the end date, never cutting the days allowances were computed for."""
    if valid_to is not None and valid_to < rule.valid_from:
        raise DomainError(_ends_before_start(rule.valid_from), "valid_to")
    last_day = use_of(rule).last_day
    if valid_to is not None and last_day is not None and valid_to < last_day:
        raise DomainError(_used_until(last_day), "valid_to")
    overlapping = _overlapping(rule.kind_id, rule.province_id, rule.valid_from, valid_to, rule.id)
    if overlapping:
        raise DomainError(_overlaps(overlapping[0]), "valid_to")
    rule.valid_to = valid_to
    db.session.flush()


def delete_rule(rule: AllowanceRule) -> None:
    if use_of(rule).count:
        raise DomainError(
            _l("An allowance was computed under this rule, so it stays. Set its end date instead.")
        )
    db.session.delete(rule)
    db.session.flush()


def use_of(rule: AllowanceRule) -> Use:
    return _uses(AllowanceRule.id == rule.id).get(rule.id, Use())


def uses(kind_id: int | None = None) -> dict[int, Use]:
    """The use of each rule an allowance names, of one kind or of all, by rule id."""
    return _uses(AllowanceRule.kind_id == kind_id) if kind_id is not None else _uses()


def _uses(*conditions: ColumnElement[bool]) -> dict[int, Use]:
    """A period running past a rule's end went on under the next rule, so the days counted as
    covered by a rule stop at its end."""
    allowances = _allowances()
    last_day = func.max(func.coalesce(allowances.c.period_to, allowances.c.period_from))
    rows = db.session.execute(
        select(AllowanceRule.id, AllowanceRule.valid_to, func.count(allowances.c.id), last_day)
        .join(allowances, allowances.c.rule_id == AllowanceRule.id)
        .where(*conditions)
        .group_by(AllowanceRule.id, AllowanceRule.valid_to)
    )
    return {
        rule_id: Use(count, min(last, end) if end is not None else last)
        for rule_id, end, count, last in rows
    }


def _check_terms(terms: RuleTerms) -> None:
    """Each method takes its own figures, and no other."""
    money_method = terms.method in (Method.FIXED, Method.PER_DAY)
    if money_method and terms.amount is None:
        raise DomainError(_l("Give the amount in dong."), "amount")
    if money_method and terms.coefficient is not None:
        raise DomainError(_l("Only a coefficient rule has a coefficient."), "coefficient")
    if not money_method and terms.coefficient is None:
        raise DomainError(_l("Give the coefficient."), "coefficient")
    if not money_method and terms.amount is not None:
        raise DomainError(
            _l("A coefficient rule has no amount: it multiplies the standard level."), "amount"
        )
    _check_limits(terms)


def _check_limits(terms: RuleTerms) -> None:
    if terms.max_days is not None and terms.method != Method.PER_DAY:
        raise DomainError(_l("Only a rule per day has a maximum number of days."), "max_days")
    if terms.valid_to is not None and terms.valid_to < terms.valid_from:
        raise DomainError(_ends_before_start(terms.valid_from), "valid_to")


def _make_room(kind_id: int, terms: RuleTerms, rule_id: int | None) -> AllowanceRule | None:
    """A rule starting inside an open-ended earlier rule of the same place ends that rule the
    day before; any other overlap is refused, since one place has one rule a day."""
    overlapping = _overlapping(
        kind_id, terms.province_id, terms.valid_from, terms.valid_to, rule_id
    )
    closing = [rule for rule in overlapping if _closable(rule, terms.valid_from)]
    for other in overlapping:
        if other not in closing:
            raise DomainError(_overlaps(other), "valid_from")
    for rule in closing:
        _close(rule, terms.valid_from - timedelta(days=1))
    return closing[0] if closing else None


def _closable(rule: AllowanceRule, start: date) -> bool:
    return rule.valid_to is None and rule.valid_from < start


def _close(rule: AllowanceRule, last: date) -> None:
    last_day = use_of(rule).last_day
    if last_day is not None and last_day > last:
        raise DomainError(
            _l(
                "The rule in force from %(start)s was used for allowances up to %(day)s: a new "
                "rule may start on %(next)s at the earliest.",
                start=day(rule.valid_from),
                day=day(last_day),
                next=day(last_day + timedelta(days=1)),
            ),
            "valid_from",
        )
    rule.valid_to = last


def _overlapping(
    kind_id: int, province_id: int | None, start: date, end: date | None, rule_id: int | None
) -> Sequence[AllowanceRule]:
    """The other rules of the kind, in the same province (or also national), that are in force
    on some day from ``start`` to ``end`` (no end: for ever)."""
    query = select(AllowanceRule).where(
        AllowanceRule.kind_id == kind_id,
        _same_place(province_id),
        or_(AllowanceRule.valid_to.is_(None), AllowanceRule.valid_to >= start),
    )
    if end is not None:
        query = query.where(AllowanceRule.valid_from <= end)
    if rule_id is not None:
        query = query.where(AllowanceRule.id != rule_id)
    return db.session.scalars(query.order_by(AllowanceRule.valid_from)).all()


def _same_place(province_id: int | None) -> ColumnElement[bool]:
    if province_id is None:
        return AllowanceRule.province_id.is_(None)
    return AllowanceRule.province_id == province_id


def _overlaps(rule: AllowanceRule) -> str:
    if rule.valid_to is None:
        return _l(
            "These dates overlap the rule in force from %(start)s with no end date. Change the "
            "dates, or end that rule first.",
            start=day(rule.valid_from),
        )
    return _l(
        "These dates overlap the rule in force from %(start)s to %(end)s. Change the dates, or "
        "change that rule first.",
        start=day(rule.valid_from),
        end=day(rule.valid_to),
    )


def _ends_before_start(start: date) -> str:
    return _l("The end date cannot come before the start (%(day)s).", day=day(start))


def _used_until(last_day: date) -> str:
    return _l(
        "Allowances were computed under this rule up to %(day)s: it cannot end before that day.",
        day=day(last_day),
    )


# Public holidays


def add_holiday(on: date, name_vi: str, name_en: str) -> Holiday:
    listed = db.session.scalar(select(Holiday).where(Holiday.day == on))
    if listed is not None:
        raise DomainError(
            _l("%(day)s is already listed: “%(name)s”.", day=day(on), name=listed.name), "day"
        )
    holiday = Holiday(day=on, name_vi=name_vi.strip(), name_en=name_en.strip())
    db.session.add(holiday)
    db.session.flush()
    return holiday


def delete_holiday(holiday: Holiday) -> None:
    db.session.delete(holiday)
    db.session.flush()
