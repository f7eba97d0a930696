"""Planning and recording follow-ups; risk flags; sustainability scores."""

from datetime import date

from flask import current_app

from ..extensions import db
from .models import FollowUp, FollowUpReason


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan + 1
    month = 28 or 29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


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
