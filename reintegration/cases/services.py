"""Intake and changes to a case: codes, duplicates, consent rules, closing and reopening."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError
from ..extensions import db
from ..formatting import day
from ..keys import tokens
from ..reference.models import Province
from .models import Case, CaseCodeCounter, Stage
from .queries import case_scope
from .stage import refresh_stage

if TYPE_CHECKING:
    from ..auth.models import User


def next_case_code(province: Province, year: int) -> str:
    """PROVINCE-YEAR-NNNN, counted per province and year; a number is never given twice."""
    bump = (
        update(CaseCodeCounter)
        .where(CaseCodeCounter.province_id == province.id, CaseCodeCounter.year == year)
        .values(last_number=CaseCodeCounter.last_number + 1)
        .returning(CaseCodeCounter.last_number)
        .execution_options(synchronize_session=False)
    )
    number = db.session.execute(bump).scalar()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.add(CaseCodeCounter(province_id=province.id, year=year, last_number=1))
            number = 1
        except IntegrityError:  # another request created the counter first
            number = db.session.execute(bump).scalar_one()
    return f"{province.code}-{year}-{number:04d}"


@dataclass
class Duplicates:
    visible: Sequence[Case]
    hidden_count: int
    # Names the matches the user was shown: confirming them does not confirm other matches.
    token: str = ""

    def __bool__(self) -> bool:
        return bool(self.visible) or self.hidden_count > 0


def _token(case_ids: list[int]) -> str:
    message = ",".join(map(str, sorted(case_ids))).encode()
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def find_duplicates(
    user: User, full_name: str, date_of_birth, home_commune_id, exclude_id=None
) -> Duplicates:
    """Cases with the same name and birth date, or the same name and home commune.

    Cases the user may not see are only counted, so a duplicate check leaks no record.
    """
    same_person = []
    if date_of_birth:
        same_person.append(tokens.same_birth(date_of_birth))
    if home_commune_id:
        same_person.append(Case.home_commune_id == home_commune_id)
    if not same_person or not tokens.words(full_name):
        return Duplicates([], 0)
    condition = and_(tokens.same_name(full_name), or_(*same_person))
    if exclude_id is not None:
        condition = and_(condition, Case.id != exclude_id)
    scope = case_scope(user)
    visible = db.session.scalars(
        select(Case).where(condition, scope).order_by(Case.code).limit(10)
    ).all()
    matches = db.session.execute(select(Case.id, scope).where(condition)).all()
    hidden = sum(1 for _id, seen in matches if not seen)
    return Duplicates(visible, hidden, _token([case_id for case_id, _seen in matches]))


def check_consent(case: Case) -> None:
    covers = case.consent_storage or case.consent_sharing or case.consent_contact
    if case.consent_given and not covers:
        raise DomainError(_l("Tick what the consent covers."), "consent_storage")
    if not case.consent_given and covers:
        raise DomainError(_l("Consent was refused: it cannot cover anything."), "consent_storage")
    if case.consent_sharing and not case.consent_agencies.strip():
        raise DomainError(_l("Name the agencies the data may be shared with."), "consent_agencies")


def check_identity(case: Case) -> None:
    home = case.home_province
    if case.home_commune is not None and (home is None or case.home_commune.province_id != home.id):
        raise DomainError(_l("This commune is not in the home province."), "home_commune")


def create_case(case: Case, province: Province, user: User | None) -> Case:
    check_identity(case)
    check_consent(case)
    case.province = province
    case.code = next_case_code(province, case.received_on.year)
    case.stage = Stage.RECEIVED
    case.created_by = user
    db.session.add(case)
    db.session.flush()
    tokens.index_case(case)
    return case


def update_case(case: Case, facility_id: int | None) -> None:
    check_identity(case)
    check_consent(case)
    first_admission = min((s.admitted_on for s in case.stays), default=None)
    if first_admission and case.received_on > first_admission:
        raise DomainError(
            _l(
                "The person was admitted on %(day)s: reception cannot come later.",
                day=day(first_admission),
            ),
            "received_on",
        )
    stay = case.open_stay
    if stay is not None and facility_id != stay.facility_id:
        # The facility where the person sleeps manages the case: it counts the places.
        raise DomainError(
            _l(
                "The person is staying at %(facility)s, which manages the case.",
                facility=stay.facility.name,
            ),
            "facility",
        )
    case.facility_id = facility_id
    db.session.flush()
    tokens.index_case(case)  # the name, phone or birth date may have changed


def close_case(
    case: Case,
    outcome: str,
    closed_on,
    note: str,
    confirmed: bool,
    user,
    open_work: Callable[[Case], object],
) -> None:
    """Closes the case; ``open_work`` tells what is still running for it (the domains above
    keep those records): closing with open work needs ``confirmed``."""
    from .models import Closure, Outcome

    if case.open_closure is not None:
        raise DomainError(_l("This case is already closed."))
    if closed_on < case.received_on:
        raise DomainError(_l("A case cannot close before the person was received."), "closed_on")
    if open_work(case) and not confirmed:
        raise DomainError(
            _l("A job or planned follow-ups are still open: tick the box to close anyway."),
            "confirm",
        )
    db.session.add(
        Closure(
            case_id=case.id,
            outcome=Outcome(outcome),
            closed_on=closed_on,
            note=note.strip(),
            closed_by_id=user.id,
        )
    )
    db.session.flush()
    db.session.expire(case, ["closures"])
    refresh_stage(case)


def reopen_case(case: Case, reopened_on, reason: str, user) -> None:
    closure = case.open_closure
    if closure is None:
        raise DomainError(_l("This case is not closed."))
    if reopened_on < closure.closed_on:
        raise DomainError(_l("A case cannot reopen before it was closed."), "reopened_on")
    closure.reopened_on = reopened_on
    closure.reopen_reason = reason.strip()
    closure.reopened_by_id = user.id
    db.session.flush()
    refresh_stage(case)
