"""Reading facilities and their residents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_login import current_user
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import contains_eager, joinedload

from .. import clock
from ..access import scope_condition
from ..cases.queries import case_scope
from ..dates import month_start
from ..extensions import db
from ..web import one_or_404
from .models import Facility, Stay

if TYPE_CHECKING:
    from ..auth.models import User


def facility_scope(user: User) -> ColumnElement[bool]:
    return scope_condition(user, provinces=(Facility.province_id,), facility=Facility.id)


def facility_or_404(facility_id: int) -> Facility:
    return one_or_404(
        select(Facility).where(Facility.id == facility_id, facility_scope(current_user))
    )


def stay_or_404(stay_id: int) -> Stay:
    """A stay the user may manage: its case and its facility both in the user's scope."""
    return one_or_404(
        select(Stay)
        .join(Stay.case)
        .join(Facility, Facility.id == Stay.facility_id)
        .where(Stay.id == stay_id, case_scope(current_user), facility_scope(current_user))
        .options(joinedload(Stay.case), joinedload(Stay.facility))
    )


def facilities_in_scope(user: User, active_only: bool = True) -> list[Facility]:
    query = select(Facility).where(facility_scope(user)).order_by(Facility.name)
    if active_only:
        query = query.where(Facility.active.is_(True))
    return list(db.session.scalars(query))


def residents_count(facility: Facility) -> int:
    """Places taken: every open stay, whoever may read the residents' files."""
    return db.session.execute(
        select(func.count(Stay.id)).where(Stay.facility_id == facility.id, Stay.is_open)
    ).scalar_one()


@dataclass
class FacilityOverview:
    facility: Facility
    occupancy: int
    # Only the stays of cases the reader may see.
    residents: Sequence[Stay]
    arrivals: Sequence[Stay]
    discharges: Sequence[Stay]

    @property
    def is_full(self) -> bool:
        return self.occupancy >= self.facility.capacity

    @property
    def overstayed(self) -> int:
        return sum(1 for stay in self.residents if stay.is_overstayed())


def facility_overview(facility: Facility, user: User) -> FacilityOverview:
    """Places taken, and the residents and movements of this month among the cases ``user``
    sees, in four queries."""
    start = month_start(clock.today())
    stays = (
        select(Stay)
        .join(Stay.case)
        .where(Stay.facility_id == facility.id, case_scope(user))
        .options(contains_eager(Stay.case), joinedload(Stay.destination))
    )
    residents = db.session.scalars(stays.where(Stay.is_open).order_by(Stay.planned_end)).all()
    arrivals = db.session.scalars(
        stays.where(Stay.admitted_on >= start).order_by(Stay.admitted_on.desc())
    ).all()
    discharges = db.session.scalars(
        stays.where(Stay.discharged_on >= start).order_by(Stay.discharged_on.desc())
    ).all()
    return FacilityOverview(facility, residents_count(facility), residents, arrivals, discharges)


def facilities_with_occupancy(user: User) -> list[tuple[Facility, int]]:
    occupied = (
        select(Stay.facility_id, func.count(Stay.id).label("residents"))
        .where(Stay.is_open)
        .group_by(Stay.facility_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Facility, func.coalesce(occupied.c.residents, 0))
        .outerjoin(occupied, occupied.c.facility_id == Facility.id)
        .where(facility_scope(user))
        .options(joinedload(Facility.province))
        .order_by(Facility.active.desc(), Facility.name)
    ).all()
    return [tuple(row) for row in rows]
