"""Reading facilities and their residents."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from .. import clock
from ..auth.models import User
from ..auth.scopes import case_scope, facility_scope
from ..dates import month_start
from ..extensions import db
from .models import Facility, Stay


def residents_count(facility: Facility) -> int:
    """Places taken: every open stay, whoever may read the residents' files."""
    return db.session.scalar(
        select(func.count(Stay.id)).where(Stay.facility_id == facility.id, Stay.is_open)
    )


@dataclass
class FacilityOverview:
    facility: Facility
    occupancy: int
    # Only the stays of cases the reader may see.
    residents: list[Stay]
    arrivals: list[Stay]
    discharges: list[Stay]

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
