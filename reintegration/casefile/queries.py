"""Reading the case list and the home page's counts, filtered by the person's stay, and what
the case page loads with the case: each in a fixed number of queries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..cases.models import Case, Stage
from ..cases.queries import case_scope, matching
from ..dates import month_start
from ..extensions import db
from ..reference.models import IdentificationStatus
from ..shelter.models import Service, Stay, StayExtension

if TYPE_CHECKING:
    from ..auth.models import User


DAY_FILTERS = {
    "overstayed": _l("Past the planned end"),
    "10": _l("10 days or fewer"),
    "30": _l("30 days or fewer"),
}

SORTS = {
    "received": (_l("Newest received"), lambda: (Case.received_on.desc(), Case.id.desc())),
    "code": (_l("Code"), lambda: (Case.code,)),
    "days": (_l("Days remaining"), lambda: (Stay.planned_end.is_(None), Stay.planned_end, Case.id)),
}


@dataclass
class CaseFilters:
    q: str = ""
    facility_id: int | None = None
    stage: str = ""
    status: str = ""
    days: str = ""
    sort: str = "received"


@dataclass
class Page:
    rows: list
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _open_stay_join(query: Select) -> Select:
    return query.outerjoin(Stay, and_(Stay.case_id == Case.id, Stay.is_open))


def _filtered(user: User, filters: CaseFilters) -> Select:
    query = _open_stay_join(select(Case).where(case_scope(user)))
    text = filters.q.strip()
    if text:
        query = query.where(matching(text))
    if filters.facility_id:
        query = query.where(Case.facility_id == filters.facility_id)
    if filters.stage in Stage.__members__.values():
        query = query.where(Case.stage == Stage(filters.stage))
    if filters.status in IdentificationStatus.__members__.values():
        query = query.where(Case.identification_status == IdentificationStatus(filters.status))
    today = clock.today()
    if filters.days == "overstayed":
        query = query.where(Stay.is_overstayed(today))
    elif filters.days.isdigit():
        query = query.where(Stay.planned_end <= today + timedelta(days=int(filters.days)))
    return query


def search_cases(user: User, filters: CaseFilters, page: int, size: int) -> Page:
    """One page of (case, open stay or None) that ``user`` may see, in two queries."""
    query = _filtered(user, filters)
    total = db.session.execute(
        query.with_only_columns(func.count(Case.id)).order_by(None)
    ).scalar_one()
    order = SORTS.get(filters.sort, SORTS["received"])[1]()
    rows = db.session.execute(
        query.add_columns(Stay)
        .options(joinedload(Case.facility))
        .order_by(*order)
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return Page([tuple(row) for row in rows], total, page, size)


# Everything the case page shows, loaded with the case (no query per row).
CASE_PAGE = (
    selectinload(Case.stays).options(
        joinedload(Stay.facility),
        joinedload(Stay.destination),
        joinedload(Stay.planned_destination),
        selectinload(Stay.extensions).joinedload(StayExtension.recorded_by),
    ),
    selectinload(Case.services).options(joinedload(Service.kind), joinedload(Service.support_type)),
    selectinload(Case.exploitation_forms),
    selectinload(Case.control_means),
    selectinload(Case.closures),
    *[
        joinedload(relation)
        for relation in (
            Case.province,
            Case.facility,
            Case.home_province,
            Case.home_commune,
            Case.ethnicity,
            Case.citizenship,
            Case.return_route,
            Case.exploitation_country,
            Case.recruitment,
        )
    ],
)


@dataclass
class Dashboard:
    residents: int
    overstayed: int
    ending_soon: int
    received_this_month: int


def dashboard(user: User, ending_soon_days: int) -> Dashboard:
    """Counts of the user's scope, in one query."""
    today = clock.today()
    query = _open_stay_join(
        select(
            func.count(Stay.id),
            func.count(Stay.id).filter(Stay.is_overstayed(today)),
            func.count(Stay.id).filter(Stay.ends_within(ending_soon_days, today)),
            func.count(Case.id).filter(Case.received_on >= month_start(today)),
        ).select_from(Case)
    ).where(case_scope(user))
    return Dashboard(*db.session.execute(query).one())
