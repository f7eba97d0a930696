"""Closing a case, with what is still running for it in the other domains of the journey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from ..cases import services as cases
from ..cases.models import Case
from ..employment.models import Placement
from ..extensions import db
from ..followups.models import FollowUp

if TYPE_CHECKING:
    from ..auth.models import User


@dataclass
class OpenWork:
    """What is still running for a case: closing it asks for confirmation."""

    placements: int
    followups: int

    def __bool__(self) -> bool:
        return bool(self.placements or self.followups)


def open_work(case: Case) -> OpenWork:
    placements = db.session.execute(
        select(func.count(Placement.id)).where(Placement.case_id == case.id, Placement.is_open)
    ).scalar_one()
    followups = db.session.execute(
        select(func.count(FollowUp.id)).where(FollowUp.case_id == case.id, FollowUp.is_pending)
    ).scalar_one()
    return OpenWork(placements, followups)


def close_case(
    case: Case, outcome: str, closed_on: date, note: str, confirmed: bool, user: User
) -> None:
    """Closes the case (cases.services.close_case); with a job or follow-ups still open, only
    when ``confirmed``."""
    cases.close_case(case, outcome, closed_on, note, confirmed, user, open_work)
