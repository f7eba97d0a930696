"""Reading placements, the employers' lists that count them, and the outcomes of job
placement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import aliased, contains_eager, joinedload

from .. import clock
from ..cases.models import Case
from ..cases.queries import case_scope
from ..cases.timeline import Event
from ..dates import months_after
from ..employers.models import Employer, EmployerCheck
from ..employers.queries import employer_scope, ranked_checks
from ..extensions import db
from ..formatting import money
from ..reference.models import Province
from ..shelter.models import Facility
from ..training.models import Course, Enrolment, EnrolmentStatus
from ..web import one_or_404
from .models import Placement

if TYPE_CHECKING:
    from ..auth.models import User

# Retention is measured this many months after the start of a job.
RETENTION_MONTHS = (3, 6, 12)


def placement_or_404(placement_id: int) -> Placement:
    """A placement loaded through its case, so it exists only for those who see the case."""
    return one_or_404(
        select(Placement)
        .join(Placement.case)
        .where(Placement.id == placement_id, case_scope(current_user))
        .options(contains_eager(Placement.case), joinedload(Placement.employer))
    )


@dataclass
class EmployerRow:
    employer: Employer
    last_check: EmployerCheck | None
    open_placements: int


def employers_with_checks(user: User) -> list[EmployerRow]:
    """The employers ``user`` may see, each with its latest check and open placements, in one
    query."""
    ranked = ranked_checks()
    latest = aliased(EmployerCheck, ranked)
    working = (
        select(Placement.employer_id, func.count(Placement.id).label("open"))
        .where(Placement.is_open)
        .group_by(Placement.employer_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Employer, latest, func.coalesce(working.c.open, 0))
        .outerjoin(ranked, and_(ranked.c.employer_id == Employer.id, ranked.c.rank == 1))
        .outerjoin(working, working.c.employer_id == Employer.id)
        .where(employer_scope(user))
        .options(joinedload(Employer.province), joinedload(Employer.commune))
        .order_by(Employer.name, Employer.id)
    ).all()
    return [EmployerRow(employer, check, open_count) for employer, check, open_count in rows]


def current_placements(employer: Employer, user: User) -> list[tuple[Placement, str | None]]:
    """The employer's open placements, each with its case code only where ``user`` may see the
    case."""
    visible_code = when((case_scope(user), Case.code), else_=None)
    rows = db.session.execute(
        select(Placement, visible_code)
        .join(Case, Case.id == Placement.case_id)
        .where(Placement.employer_id == employer.id, Placement.is_open)
        .order_by(Placement.start_on, Placement.id)
    ).all()
    return [(placement, code) for placement, code in rows]


def completed_courses(case_id: int) -> Sequence[Course]:
    """The courses this person completed: the ones a job can be credited to."""
    return db.session.scalars(
        select(Course)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.case_id == case_id, Enrolment.status == EnrolmentStatus.COMPLETED)
        .order_by(Course.start_on.desc(), Course.title)
    ).all()


def placements_for_case(case_id: int) -> Sequence[Placement]:
    """A person's placements, the latest first, with their employers."""
    return db.session.scalars(
        select(Placement)
        .where(Placement.case_id == case_id)
        .options(joinedload(Placement.employer))
        .order_by(Placement.start_on.desc(), Placement.id.desc())
    ).all()


def timeline_events(case_id: int, placements: Sequence[Placement] | None = None) -> list[Event]:
    if placements is None:
        placements = placements_for_case(case_id)
    events = []
    for placement in placements:
        events.append(
            Event(
                placement.start_on,
                6,
                "placement",
                _(
                    "Started work at %(employer)s: %(position)s",
                    employer=placement.employer.name,
                    position=placement.position,
                ),
                _("Monthly wage %(wage)s", wage=money(placement.monthly_wage)),
            )
        )
        if placement.end_on:
            events.append(
                Event(
                    placement.end_on,
                    7,
                    "placement_end",
                    _(
                        "Left the job at %(employer)s: %(reason)s",
                        employer=placement.employer.name,
                        reason=placement.end_reason.label if placement.end_reason else "",
                    ),
                    placement.end_note,
                )
            )
    return events


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass
class OutcomeRow:
    label: str
    placement: Rate
    retention: dict[int, Rate]


@dataclass
class Outcomes:
    today: date
    courses: list[OutcomeRow]
    facilities: list[OutcomeRow]
    provinces: list[OutcomeRow]


def _count_if(condition):
    return func.coalesce(func.sum(when((condition, 1), else_=0)), 0)


def _retention_columns(today: date) -> list:
    """Per retention mark: placements that started at least that long ago, and of those, the
    ones still held on the mark."""
    columns = []
    for months in RETENTION_MONTHS:
        mark = months_after(Placement.start_on, months)
        due = mark <= today
        # A hybrid types its SQL side with its Python side's parameters; this day is SQL.
        kept = and_(due, Placement.held_on(mark))  # type: ignore[arg-type]
        columns += [_count_if(due), _count_if(kept)]
    return columns


def _retention(values) -> dict[int, Rate]:
    values = [int(v) for v in values]
    return {
        months: Rate(values[2 * i + 1], values[2 * i]) for i, months in enumerate(RETENTION_MONTHS)
    }


def _no_retention() -> dict[int, Rate]:
    return dict.fromkeys(RETENTION_MONTHS, Rate(0, 0))


def _merge(placement_rows, retention_rows, label) -> list[OutcomeRow]:
    """One row per group, whichever of the two queries found it."""
    rows: dict = {}
    for key, numerator, denominator in placement_rows:
        rows[key] = OutcomeRow(label(key), Rate(int(numerator), int(denominator)), _no_retention())
    for key, *values in retention_rows:
        row = rows.setdefault(key, OutcomeRow(label(key), Rate(0, 0), _no_retention()))
        row.retention = _retention(values)
    return sorted(rows.values(), key=lambda row: row.label.casefold())


def _by_course(condition, today: date) -> list[OutcomeRow]:
    credited = (
        select(Placement.id)
        .where(Placement.case_id == Enrolment.case_id, Placement.course_id == Enrolment.course_id)
        .exists()
    )
    placement_rows = db.session.execute(
        select(Course, _count_if(credited), func.count(Enrolment.id))
        .join(Enrolment, Enrolment.course_id == Course.id)
        .join(Case, Case.id == Enrolment.case_id)
        .where(Enrolment.status == EnrolmentStatus.COMPLETED, condition)
        .group_by(Course.id)
    ).all()
    retention_rows = db.session.execute(
        select(Course, *_retention_columns(today))
        .join(Placement, Placement.course_id == Course.id)
        .join(Case, Case.id == Placement.case_id)
        .where(condition)
        .group_by(Course.id)
    ).all()
    return _merge(placement_rows, retention_rows, lambda course: course.title)


def course_outcome(course: Course) -> OutcomeRow | None:
    """Placement and retention of one course's trainees: counts only, for its own page."""
    rows = _by_course(Course.id == course.id, clock.today())
    return rows[0] if rows else None


def _by_case_group(condition, today: date, key, entity, label) -> list[OutcomeRow]:
    """Rates grouped by a column of the case (its managing facility or province)."""
    placed = select(Placement.id).where(Placement.case_id == Case.id).exists()
    placement_rows = db.session.execute(
        select(entity, _count_if(placed), func.count(Case.id))
        .select_from(Case)
        .outerjoin(entity, entity.id == key)
        .where(condition)
        .group_by(entity.id)
    ).all()
    retention_rows = db.session.execute(
        select(entity, *_retention_columns(today))
        .select_from(Placement)
        .join(Case, Case.id == Placement.case_id)
        .outerjoin(entity, entity.id == key)
        .where(condition)
        .group_by(entity.id)
    ).all()
    return _merge(placement_rows, retention_rows, label)


def facility_outcome(facility: Facility, user: User) -> OutcomeRow | None:
    """Placement and retention of the cases a facility manages that ``user`` may see."""
    rows = _by_case_group(
        and_(Case.facility_id == facility.id, case_scope(user)),
        clock.today(),
        Case.facility_id,
        Facility,
        lambda f: f.name,
    )
    return rows[0] if rows else None


def outcomes(user: User) -> Outcomes:
    """Placement rate and retention per course, managing facility and managing province, among
    the cases ``user`` may see, in six queries."""
    today = clock.today()
    return Outcomes(
        today=today,
        courses=_by_course(case_scope(user), today),
        facilities=_by_case_group(
            case_scope(user),
            today,
            Case.facility_id,
            Facility,
            lambda f: f.name if f is not None else _("No managing facility"),
        ),
        provinces=_by_case_group(
            case_scope(user),
            today,
            Case.province_id,
            Province,
            lambda p: p.name if p is not None else "",
        ),
    )
