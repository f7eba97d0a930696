from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..cases.timeline import Event
from ..extensions import db
from .models import Plan


def plan_for_case(case_id: int) -> Plan | None:
    return db.session.scalar(
        select(Plan).where(Plan.case_id == case_id).options(selectinload(Plan.goals))
    )


def timeline_events(plan: Plan | None) -> list[Event]:
    from flask_babel import gettext as _

    if plan is None:
        return []
    return [
        Event(
            plan.agreed_on,
            6,
            "plan",
            _("Reintegration plan agreed"),
            _("%(met)s of %(total)s goals met", met=plan.goals_met, total=len(plan.goals)),
        )
    ]
