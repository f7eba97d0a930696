"""Planning and recording follow-ups; risk flags; sustainability scores."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import clock
from ..dates import add_months
from ..errors import DomainError
from ..extensions import db
from ..formatting import day
from ..plans.models import Dimension
from ..reference.models import ListItem
from .models import (
    ContactMethod,
    FollowUp,
    FollowUpReason,
    Indicator,
    IndicatorAnswer,
    RiskFlag,
    SustainabilityCheck,
)

if TYPE_CHECKING:
    from ..auth.models import User


def plan_followups(
    case, reason: FollowUpReason, start: date, stay=None, placement=None
) -> list[FollowUp]:
    """Planned follow-ups at the configured marks after ``start`` (discharge or job start)."""
    followups = [
        FollowUp(
            case_id=case.id,
            reason=reason,
            stay_id=stay.id if stay is not None else None,
            placement_id=placement.id if placement is not None else None,
            mark_months=months,
            planned_on=add_months(start, months),
        )
        for months in current_app.config["FOLLOW_UP_MONTHS"]
    ]
    db.session.add_all(followups)
    return followups


def record_followup(
    followup: FollowUp,
    done_on: date,
    method: ContactMethod,
    contact_made: bool,
    still_in_job: bool | None,
    wellbeing: str,
    risk_signs: Sequence[ListItem],
    user: User,
) -> FollowUp:
    """Record what a follow-up found; any risk sign flags the case."""
    if followup.is_done:
        raise DomainError(_l("This follow-up is already recorded."))
    if done_on > clock.today():
        raise DomainError(_l("This date is in the future."), "done_on")
    if done_on < followup.case.received_on:
        raise DomainError(
            _l(
                "A follow-up cannot come before the person was received (%(day)s).",
                day=day(followup.case.received_on),
            ),
            "done_on",
        )
    if followup.planned_on is None:
        followup.planned_on = done_on
    followup.done_on = done_on
    followup.method = method
    followup.contact_made = contact_made
    followup.still_in_job = still_in_job
    followup.wellbeing = wellbeing.strip()
    followup.risk_signs = list(risk_signs)
    followup.done_by_id = user.id
    db.session.add(followup)
    db.session.flush()
    if risk_signs:
        raise_flag(followup)
    return followup


def unplanned_followup(case) -> FollowUp:
    """A contact nobody planned (the person called, a visit on another errand); it is planned
    on the day it is done, and stored when it is recorded."""
    return FollowUp(case=case, reason=FollowUpReason.OTHER)


def open_flag(case_id: int) -> RiskFlag | None:
    return db.session.scalar(
        select(RiskFlag)
        .where(RiskFlag.case_id == case_id, RiskFlag.is_open)
        .order_by(RiskFlag.id)
        .limit(1)
    )


def raise_flag(followup: FollowUp) -> RiskFlag:
    """Flag the case, unless a flag is already open: that one collects the later signs."""
    flag = open_flag(followup.case_id)
    if flag is None:
        flag = RiskFlag(
            case_id=followup.case_id, followup_id=followup.id, raised_on=followup.done_on
        )
        db.session.add(flag)
        db.session.flush()
    return flag


def resolve_flag(flag: RiskFlag, on: date, note: str, user: User) -> None:
    if not flag.is_open:
        raise DomainError(_l("This flag is already resolved."))
    if not note.strip():
        raise DomainError(_l("Say how the risk was dealt with."), "note")
    if on > clock.today():
        raise DomainError(_l("This date is in the future."), "resolved_on")
    if on < flag.raised_on:
        raise DomainError(
            _l("The flag was raised on %(day)s.", day=day(flag.raised_on)), "resolved_on"
        )
    flag.resolved_on = on
    flag.resolution_note = note.strip()
    flag.resolved_by_id = user.id


SCALE = range(1, 6)


def _score(answers: list[tuple[int, int]]) -> int:
    """(value, weight) pairs on the 1–5 scale to 0–100: the weighted mean, (mean − 1) / 4 × 100,
    rounded half up. Fractions keep hand-worked examples exact."""
    mean = Fraction(sum(v * w for v, w in answers), sum(w for _v, w in answers))
    return math.floor((mean - 1) / 4 * 100 + Fraction(1, 2))


def compute_scores(answers: list[tuple[Dimension, int, int]]) -> dict[str, int]:
    """Scores per dimension and composite from (dimension, value, weight) answers."""
    scores = {}
    for dimension in Dimension:
        mine = [(value, weight) for dim, value, weight in answers if dim == dimension]
        if not mine:
            raise DomainError(
                _l(
                    "No indicator of the %(dimension)s dimension is in use: an administrator "
                    "adds one.",
                    dimension=dimension.label,
                )
            )
        scores[dimension.value] = _score(mine)
    scores["composite"] = _score([(value, weight) for _dim, value, weight in answers])
    return scores


def active_indicators() -> Sequence[Indicator]:
    return db.session.scalars(
        select(Indicator)
        .where(Indicator.active.is_(True))
        .order_by(Indicator.dimension, Indicator.sort_order, Indicator.id)
    ).all()


def record_check(
    followup: FollowUp, values: dict[int, int], indicators: Sequence[Indicator]
) -> SustainabilityCheck:
    """Answers to every indicator in use, scored now with the weights in force now."""
    if not followup.is_done:
        raise DomainError(_l("Record the follow-up before its sustainability check."))
    if followup.check is not None:
        raise DomainError(_l("This follow-up already has a sustainability check."))
    for indicator in indicators:
        if values.get(indicator.id) not in SCALE:
            raise DomainError(_l("Answer from 1 to 5."), f"indicator_{indicator.id}")
    scores = compute_scores([(i.dimension, values[i.id], i.weight) for i in indicators])
    check = SustainabilityCheck(
        case_id=followup.case_id, followup=followup, checked_on=followup.done_on, **scores
    )
    check.answers = [
        IndicatorAnswer(indicator_id=i.id, value=values[i.id], weight=i.weight) for i in indicators
    ]
    db.session.add(check)
    db.session.flush()
    return check


def save_indicator(indicator: Indicator, **fields) -> Indicator:
    """Add or change an indicator. Stored checks keep the weights they were scored with."""
    if indicator.id is None:
        code = fields.pop("code").strip().upper()
        if db.session.scalar(select(Indicator.id).where(Indicator.code == code)) is not None:
            raise DomainError(_l("Another indicator has this code."), "code")
        last = db.session.scalar(select(func.max(Indicator.sort_order)))
        indicator.code = code
        indicator.sort_order = (last or 0) + 1
    if fields.get("weight", indicator.weight or 1) < 1:
        raise DomainError(_l("A weight is at least 1."), "weight")
    for name in ("name_vi", "name_en"):
        if name in fields:
            fields[name] = fields[name].strip()
    for name, value in fields.items():
        setattr(indicator, name, value)
    db.session.add(indicator)
    db.session.flush()
    return indicator
