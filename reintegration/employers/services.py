"""The rules of employers and their checks of safe working conditions."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..formatting import day
from ..reference.models import Commune
from .models import Employer, EmployerCheck
from .queries import latest_check

if TYPE_CHECKING:
    from ..auth.models import User

# What each failed answer of a check means, in the words shown to the user.
CHECK_PROBLEMS = {
    "written_contract": _l("no written contract"),
    "wages_on_time": _l("wages not paid on time"),
    "no_withheld_documents": _l("identity papers withheld"),
    "no_debt": _l("debt owed to the employer"),
    "safe_housing": _l("unsafe housing"),
}


def check_problems(check: EmployerCheck) -> list[str]:
    """The answers that made a check fail (an empty list when it passed)."""
    return [str(label) for name, label in CHECK_PROBLEMS.items() if getattr(check, name) is False]


def save_employer(employer: Employer, **fields) -> None:
    """Create or change an employer; its commune, when given, lies in its province."""
    commune_id = fields.get("commune_id")
    if commune_id is not None:
        commune = db.session.get(Commune, commune_id)
        if commune is None or commune.province_id != fields["province_id"]:
            raise DomainError(_l("This commune is not in the chosen province."), "commune")
    for name, value in fields.items():
        setattr(employer, name, value.strip() if isinstance(value, str) else value)
    db.session.add(employer)
    db.session.flush()


def record_check(
    employer: Employer,
    checked_on: date,
    checked_by: str,
    answers: dict[str, bool | None],
    note: str,
    user: User,
) -> EmployerCheck:
    """Record a check; ``answers`` holds the four yes/no answers and safe_housing (None when
    the employer provides no housing)."""
    if checked_on > clock.today():
        raise DomainError(_l("This date is in the future."), "checked_on")
    for name in CHECK_PROBLEMS:
        if answers.get(name) is None and name != "safe_housing":
            raise DomainError(_l("Answer yes or no."), name)
    check = EmployerCheck(
        employer_id=employer.id,
        checked_on=checked_on,
        checked_by=checked_by.strip(),
        note=note.strip(),
        recorded_by_id=user.id,
        **{name: answers.get(name) for name in CHECK_PROBLEMS},
    )
    db.session.add(check)
    db.session.flush()
    db.session.expire(employer, ["checks"])
    return check


def refusal(employer: Employer) -> str | None:
    """Why ``employer`` may not receive a placement now, or None when it may."""
    check = latest_check(employer)
    if check is None:
        return _l(
            "%(employer)s has no check of safe working conditions yet: record one that passes "
            "before placing anyone there.",
            employer=employer.name,
        )
    if not check.passed:
        return _l(
            "%(employer)s failed its latest check of safe working conditions on %(day)s "
            "(%(problems)s): record a new check that passes before placing anyone there.",
            employer=employer.name,
            day=day(check.checked_on),
            problems=", ".join(check_problems(check)),
        )
    return None
