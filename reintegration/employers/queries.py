"""Reading employers and their checks of safe working conditions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask_login import current_user
from sqlalchemy import ColumnElement, func, select

from ..access import scope_condition
from ..extensions import db
from ..web import one_or_404
from .models import Employer, EmployerCheck

if TYPE_CHECKING:
    from ..auth.models import User


def employer_scope(user: User) -> ColumnElement[bool]:
    """Employers of the user's province (every province for an administrator)."""
    return scope_condition(user, provinces=(Employer.province_id,))


def employer_or_404(employer_id: int, *options) -> Employer:
    return one_or_404(
        select(Employer)
        .where(Employer.id == employer_id, employer_scope(current_user))
        .options(*options)
    )


def ranked_checks():
    """Every check with its rank among its employer's checks, the latest first."""
    return select(
        EmployerCheck,
        func.row_number()
        .over(
            partition_by=EmployerCheck.employer_id,
            order_by=(EmployerCheck.checked_on.desc(), EmployerCheck.id.desc()),
        )
        .label("rank"),
    ).subquery()


def latest_check(employer: Employer) -> EmployerCheck | None:
    """The check that decides: the latest by date, the last recorded on the same day."""
    return db.session.scalar(
        select(EmployerCheck)
        .where(EmployerCheck.employer_id == employer.id)
        .order_by(EmployerCheck.checked_on.desc(), EmployerCheck.id.desc())
        .limit(1)
    )


def checks_of(employer: Employer) -> Sequence[EmployerCheck]:
    return db.session.scalars(
        select(EmployerCheck)
        .where(EmployerCheck.employer_id == employer.id)
        .order_by(EmployerCheck.checked_on.desc(), EmployerCheck.id.desc())
    ).all()
