"""Reading the support policy for the administrator's pages, with fixed numbers of queries."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..extensions import db
from ..reference.models import Province, SupportType
from .models import AllowanceKind, AllowanceRule, AssistanceLevel, Holiday


def support_types() -> Sequence[SupportType]:
    return db.session.scalars(select(SupportType).order_by(SupportType.sort_order)).all()


def levels() -> Sequence[AssistanceLevel]:
    """The newest first."""
    return db.session.scalars(
        select(AssistanceLevel).order_by(AssistanceLevel.valid_from.desc())
    ).all()


def level_in_force(all_levels: Sequence[AssistanceLevel], on: date) -> AssistanceLevel | None:
    """The level in force on ``on``, from ``all_levels`` as ``levels()`` gives them."""
    return next((level for level in all_levels if level.valid_from <= on), None)


def level_on(on: date) -> AssistanceLevel | None:
    return db.session.scalar(
        select(AssistanceLevel)
        .where(AssistanceLevel.valid_from <= on)
        .order_by(AssistanceLevel.valid_from.desc())
        .limit(1)
    )


@dataclass
class Summary:
    """What the overview says of each part of the policy."""

    level: AssistanceLevel | None
    kinds: int
    holidays: int
    years_without_holidays: list[int]


def summary(today: date) -> Summary:
    return Summary(
        level=level_on(today),
        kinds=db.session.execute(select(func.count(AllowanceKind.id))).scalar_one(),
        holidays=holiday_count(today.year),
        years_without_holidays=years_without_holidays(today),
    )


def _kinds_query():
    return (
        select(AllowanceKind)
        .join(AllowanceKind.support_type)
        .options(
            contains_eager(AllowanceKind.support_type),
            selectinload(AllowanceKind.rules).joinedload(AllowanceRule.province),
        )
        .order_by(SupportType.sort_order, AllowanceKind.sort_order, AllowanceKind.code)
    )


def kinds_by_type() -> list[tuple[SupportType, list[AllowanceKind]]]:
    """Every kind, in use or not, under its support type."""
    kinds = db.session.scalars(_kinds_query()).unique().all()
    return [(support_type, list(group)) for support_type, group in groupby(kinds, _type_of)]


def _type_of(kind: AllowanceKind) -> SupportType:
    return kind.support_type


def kind(kind_id: int) -> AllowanceKind | None:
    return db.session.scalars(_kinds_query().where(AllowanceKind.id == kind_id)).unique().first()


def rule(rule_id: int) -> AllowanceRule | None:
    return db.session.scalar(
        select(AllowanceRule)
        .where(AllowanceRule.id == rule_id)
        .options(
            joinedload(AllowanceRule.kind).joinedload(AllowanceKind.support_type),
            joinedload(AllowanceRule.province),
        )
    )


def ordered_rules(kind: AllowanceKind) -> list[AllowanceRule]:
    """The national rules first, then each province's own, each by date."""
    return sorted(kind.rules, key=_place_and_date)


def _place_and_date(rule: AllowanceRule) -> tuple:
    province: Province | None = rule.province
    return (province is not None, province.sort_order if province else 0, rule.valid_from)


@dataclass
class HolidayYear:
    year: int
    holidays: list[Holiday]
    # Of this year and the next, those with no holiday listed at all.
    years_without: list[int]


def holiday_year(year: int, today: date) -> HolidayYear:
    holidays = db.session.scalars(
        select(Holiday)
        .where(Holiday.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(Holiday.day)
    ).all()
    return HolidayYear(year, list(holidays), years_without_holidays(today))


def years_without_holidays(today: date) -> list[int]:
    """This year and the next, when no holiday is listed for them."""
    wanted = (today.year, today.year + 1)
    listed = db.session.scalars(
        select(Holiday.day).where(
            Holiday.day.between(date(wanted[0], 1, 1), date(wanted[1], 12, 31))
        )
    ).all()
    years = {listed_day.year for listed_day in listed}
    return [year for year in wanted if year not in years]


def holiday_count(year: int) -> int:
    return db.session.execute(
        select(func.count(Holiday.id)).where(
            Holiday.day.between(date(year, 1, 1), date(year, 12, 31))
        )
    ).scalar_one()
