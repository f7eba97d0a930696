"""Reading the support policy: the level and the rules in force on a date, working days, and
the amount an allowance comes to."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import or_, select

from ..errors import DomainError
from ..extensions import db
from ..formatting import coefficient, day, money
from .models import AllowanceKind, AllowanceRule, AssistanceLevel, Holiday, Method


def level_on(on: date) -> AssistanceLevel:
    level = db.session.scalar(
        select(AssistanceLevel)
        .where(AssistanceLevel.valid_from <= on)
        .order_by(AssistanceLevel.valid_from.desc())
        .limit(1)
    )
    if level is None:
        raise DomainError(
            _l(
                "No standard social-assistance level is set for %(day)s: an administrator "
                "adds it in the support policy.",
                day=day(on),
            ),
            "period_from",
        )
    return level


def rules_of(
    kind: AllowanceKind, province_id: int, start: date, end: date
) -> Sequence[AllowanceRule]:
    """The rules of ``kind`` that apply in the province for some day from ``start`` to ``end``."""
    return db.session.scalars(
        select(AllowanceRule).where(
            AllowanceRule.kind_id == kind.id,
            or_(AllowanceRule.province_id.is_(None), AllowanceRule.province_id == province_id),
            AllowanceRule.valid_from <= end,
            or_(AllowanceRule.valid_to.is_(None), AllowanceRule.valid_to >= start),
        )
    ).all()


def rule_in_force(rules: Sequence[AllowanceRule], on: date) -> AllowanceRule | None:
    """The province's own rule on that day when it has one, else the national one."""
    in_force = [rule for rule in rules if rule.in_force(on)]
    in_force.sort(key=lambda rule: rule.province_id is None)
    return in_force[0] if in_force else None


def rule_on(kind: AllowanceKind, province_id: int, on: date) -> AllowanceRule | None:
    return rule_in_force(rules_of(kind, province_id, on, on), on)


@dataclass
class Amount:
    """What an allowance comes to, and the parts it was computed from."""

    total: int
    rule: AllowanceRule
    parts: list[dict]
    days: int | None


def compute(kind: AllowanceKind, province_id: int, start: date, end: date | None) -> Amount:
    """The amount from the rules in force on the date it is for (each day, for a period)."""
    rule = rule_on(kind, province_id, start)
    if rule is None:
        raise DomainError(_no_rule(kind, start), "period_from")
    if rule.method == Method.PER_DAY:
        return _per_day(kind, province_id, start, end)
    if rule.method == Method.FIXED:
        return Amount(_amount(rule), rule, [{"fixed": rule.amount}], None)
    level = level_on(start)
    total = times_level(_coefficient(rule), level)
    part = {"coefficient": str(rule.coefficient), "level": level.amount, "level_from": _iso(level)}
    return Amount(total, rule, [part], None)


def _amount(rule: AllowanceRule) -> int:
    """The amount of a fixed or per-day rule: such a rule is saved with one."""
    if rule.amount is None:
        raise ValueError(f"allowance rule {rule.id} has no amount")
    return rule.amount


def _coefficient(rule: AllowanceRule) -> Decimal:
    """The coefficient of a rule on the standard level: such a rule is saved with one."""
    if rule.coefficient is None:
        raise ValueError(f"allowance rule {rule.id} has no coefficient")
    return rule.coefficient


def times_level(coefficient: Decimal, level: AssistanceLevel) -> int:
    """A coefficient times the level, in whole dong, half a dong rounded up."""
    return int((coefficient * level.amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _per_day(kind: AllowanceKind, province_id: int, start: date, end: date | None) -> Amount:
    """Sum the days of the period at the rate in force on each, one part per run of days."""
    if end is None:
        raise DomainError(_l("Give the last day of the period."), "period_to")
    rules = rules_of(kind, province_id, start, end)
    parts: list[dict] = []
    current = start
    while current <= end:
        rule = rule_in_force(rules, current)
        if rule is None or rule.method != Method.PER_DAY:
            raise DomainError(_no_rule(kind, current), "period_to")
        last = current
        while last < end and rule_in_force(rules, last + timedelta(days=1)) is rule:
            last += timedelta(days=1)
        days = (last - current).days + 1
        parts.append(
            {
                "days": days,
                "rate": rule.amount,
                "from": current.isoformat(),
                "to": last.isoformat(),
            }
        )
        current = last + timedelta(days=1)
    first = rule_in_force(rules, start)
    if first is None:  # a period that ends before it starts (refused before it comes here)
        raise DomainError(_no_rule(kind, start), "period_from")
    total = sum(part["days"] * part["rate"] for part in parts)
    return Amount(total, first, parts, (end - start).days + 1)


def _iso(level: AssistanceLevel) -> str:
    return level.valid_from.isoformat()


def _no_rule(kind: AllowanceKind, on: date) -> str:
    return _l(
        "No rule of “%(kind)s” is in force on %(day)s: an administrator sets its amount in "
        "the support policy.",
        kind=kind.name,
        day=day(on),
    )


def explain(parts: list[dict]) -> list[str]:
    """The computation, one line per part, in the reader's language."""
    lines = []
    for part in parts:
        if "fixed" in part:
            lines.append(_("Fixed amount: %(amount)s", amount=money(part["fixed"])))
        elif "coefficient" in part:
            lines.append(
                _(
                    "%(coefficient)s × standard level %(level)s (in force from %(day)s)",
                    coefficient=coefficient(Decimal(part["coefficient"])),
                    level=money(part["level"]),
                    day=day(date.fromisoformat(part["level_from"])),
                )
            )
        else:
            lines.append(
                ngettext(
                    "%(num)s day × %(rate)s (%(start)s – %(end)s)",
                    "%(num)s days × %(rate)s (%(start)s – %(end)s)",
                    part["days"],
                    rate=money(part["rate"]),
                    start=day(date.fromisoformat(part["from"])),
                    end=day(date.fromisoformat(part["to"])),
                )
            )
    return lines


def holidays_between(start: date, end: date) -> set[date]:
    return set(db.session.scalars(select(Holiday.day).where(Holiday.day.between(start, end))))


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start``: weekends and public holidays skipped."""
    # Tet and the weekends around it are at most nine days off in a row: this window is enough.
    window_end = start + timedelta(days=count * 3 + 60)
    days_off = holidays_between(start, window_end)
    current = start
    left = count
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in days_off:
            left -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    if end <= start:
        return 0
    days_off = holidays_between(start, end)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in days_off:
            count += 1
    return count


def summary(rule: AllowanceRule, on: date) -> str:
    """A rule in a few words: its amount as it stands on ``on``."""
    if rule.method == Method.FIXED:
        return money(rule.amount)
    if rule.method == Method.PER_DAY:
        return _("%(amount)s a day", amount=money(rule.amount))
    text = _("%(coefficient)s × the standard level", coefficient=coefficient(rule.coefficient))
    try:
        level = level_on(on)
    except DomainError:
        return text
    return f"{text} = {money(times_level(_coefficient(rule), level))}"
