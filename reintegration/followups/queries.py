"""Reading follow-ups, risk flags and sustainability checks, each page in a fixed number of
queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..cases.models import Case
from ..cases.queries import case_scope
from ..cases.timeline import Event
from ..extensions import db
from ..reference.models import ListItem
from ..web import one_or_404
from .models import FollowUp, RiskFlag, SustainabilityCheck

if TYPE_CHECKING:
    from ..auth.models import User


def followup_or_404(followup_id: int) -> FollowUp:
    return one_or_404(
        select(FollowUp)
        .join(FollowUp.case)
        .where(FollowUp.id == followup_id, case_scope(current_user))
        .options(contains_eager(FollowUp.case), joinedload(FollowUp.check))
    )


def risk_flag_or_404(flag_id: int) -> RiskFlag:
    return one_or_404(
        select(RiskFlag)
        .join(Case, Case.id == RiskFlag.case_id)
        .where(RiskFlag.id == flag_id, case_scope(current_user))
    )


def due_followups(user: User) -> Sequence[FollowUp]:
    """Planned follow-ups not yet done in the user's cases, in one query: the earliest planned
    first, so the overdue come before the rest. Closed cases wait for nobody."""
    return db.session.scalars(
        select(FollowUp)
        .join(FollowUp.case)
        .where(FollowUp.is_pending, Case.is_open, case_scope(user))
        .options(contains_eager(FollowUp.case))
        .order_by(FollowUp.planned_on, Case.code, FollowUp.id)
    ).all()


def open_flags(user: User) -> list[tuple[RiskFlag, Case]]:
    """Unresolved risk flags in the user's cases, oldest first, with the signs that raised them."""
    rows = db.session.execute(
        select(RiskFlag, Case)
        .join(Case, Case.id == RiskFlag.case_id)
        .where(RiskFlag.is_open, case_scope(user))
        .options(selectinload(RiskFlag.followup).selectinload(FollowUp.risk_signs))
        .order_by(RiskFlag.raised_on, RiskFlag.id)
    ).all()
    return [(flag, case) for flag, case in rows]


def followups_for_case(case_id: int) -> Sequence[FollowUp]:
    """Planned and done follow-ups of a case, by planned date, in three queries."""
    return db.session.scalars(
        select(FollowUp)
        .where(FollowUp.case_id == case_id)
        .options(
            selectinload(FollowUp.risk_signs),
            joinedload(FollowUp.done_by),
            joinedload(FollowUp.check),
        )
        .order_by(FollowUp.planned_on, FollowUp.id)
    ).all()


def open_flags_for_case(case_id: int) -> Sequence[RiskFlag]:
    return db.session.scalars(
        select(RiskFlag)
        .where(RiskFlag.case_id == case_id, RiskFlag.is_open)
        .options(selectinload(RiskFlag.followup).selectinload(FollowUp.risk_signs))
        .order_by(RiskFlag.raised_on, RiskFlag.id)
    ).all()


def flags_for_case(case_id: int) -> Sequence[RiskFlag]:
    """Every risk flag of a case, open and resolved, by the day it was raised. Read after the
    case's follow-ups: each flag's follow-up is one of them, found without a query."""
    return db.session.scalars(
        select(RiskFlag)
        .where(RiskFlag.case_id == case_id)
        .order_by(RiskFlag.raised_on, RiskFlag.id)
    ).all()


def checks_for_case(case_id: int) -> Sequence[SustainabilityCheck]:
    """The case's sustainability checks, oldest to newest: the trend."""
    return db.session.scalars(
        select(SustainabilityCheck)
        .where(SustainabilityCheck.case_id == case_id)
        .order_by(SustainabilityCheck.checked_on, SustainabilityCheck.id)
    ).all()


@dataclass
class FollowUpSection:
    """What the case page shows of follow-ups."""

    followups: Sequence[FollowUp]
    flags: Sequence[RiskFlag]
    checks: Sequence[SustainabilityCheck]

    @property
    def open_flags(self) -> list[RiskFlag]:
        return [flag for flag in self.flags if flag.resolved_on is None]

    def signs_since(self, flag: RiskFlag) -> list:
        """Every risk sign seen from the day the flag was raised, once each."""
        signs: dict[int, ListItem] = {}
        for followup in self.followups:
            if followup.done_on is not None and followup.done_on >= flag.raised_on:
                signs.update((sign.id, sign) for sign in followup.risk_signs)
        return list(signs.values())


def followup_section(case_id: int) -> FollowUpSection:
    """Follow-ups, flags and checks of a case, read once for the section and the timeline."""
    return FollowUpSection(
        followups_for_case(case_id), flags_for_case(case_id), checks_for_case(case_id)
    )


def _followup_event(followup: FollowUp, done_on: date) -> Event:
    facts = [
        _("contact made") if followup.contact_made else _("no contact"),
    ]
    if followup.still_in_job is not None:
        facts.append(_("still in the job") if followup.still_in_job else _("no longer in the job"))
    if followup.risk_signs:
        facts.append(
            _("risk signs: %(signs)s", signs=", ".join(s.name for s in followup.risk_signs))
        )
    return Event(
        done_on,
        6,
        "followup",
        _("Follow-up: %(method)s", method=followup.method.label if followup.method else ""),
        "; ".join(facts),
    )


def timeline_events(case_id: int, section: FollowUpSection | None = None) -> list[Event]:
    """Follow-ups done, risk flags raised and resolved, and sustainability checks."""
    if section is None:
        section = followup_section(case_id)
    events = [_followup_event(f, f.done_on) for f in section.followups if f.done_on is not None]
    for flag in section.flags:
        events.append(Event(flag.raised_on, 7, "risk_flag", _("Risk of re-trafficking flagged")))
        if flag.resolved_on:
            events.append(
                Event(
                    flag.resolved_on,
                    8,
                    "risk_flag_resolved",
                    _("Risk flag resolved"),
                    flag.resolution_note,
                )
            )
    for check in section.checks:
        events.append(
            Event(
                check.checked_on,
                9,
                "sustainability_check",
                _("Sustainability check: %(score)s/100", score=check.composite),
                _(
                    "Economic %(economic)s, social %(social)s, psychosocial %(psychosocial)s",
                    economic=check.economic,
                    social=check.social,
                    psychosocial=check.psychosocial,
                ),
            )
        )
    return events
