"""A scoped world whose people have gone home, with follow-ups planned, one recorded with a risk
sign (so each case has an open flag) and helpers to post the follow-up forms."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.followups import services
from reintegration.followups.models import ContactMethod, FollowUp, Indicator, RiskFlag
from reintegration.reference.models import ListKind
from reintegration.shelter import services as shelter
from tests.conftest import TODAY
from tests.helpers import World


@dataclass
class FollowUpWorld:
    world: World
    # Per case of the world: a planned follow-up, a recorded one without a check, an open flag.
    planned: dict[str, FollowUp]
    recorded: dict[str, FollowUp]
    flags: dict[str, RiskFlag]

    def user(self, make, role: Role):
        return self.world.user(make, role)

    @property
    def cases(self):
        return self.world.cases


def discharge_home(make, stay, on: date = TODAY, by=None):
    shelter.discharge(
        stay,
        on,
        make.item(ListKind.DESTINATION, "HOME"),
        "Xã Kỳ Sơn, Nghệ An",
        "",
        by or make.user(Role.ADMIN),
    )
    db.session.flush()


def planned_followups(case) -> list[FollowUp]:
    db.session.expire_all()
    return db.session.scalars(
        select(FollowUp).where(FollowUp.case_id == case.id).order_by(FollowUp.planned_on)
    ).all()


def record(followup, user, on: date = TODAY, signs=(), **found):
    values = {
        "method": ContactMethod.HOME_VISIT,
        "contact_made": True,
        "still_in_job": None,
        "wellbeing": "",
        **found,
    }
    return services.record_followup(followup, on, risk_signs=list(signs), user=user, **values)


@pytest.fixture
def followup_world(make, world) -> FollowUpWorld:
    worker = make.user(Role.ADMIN)
    debt = make.item(ListKind.RISK_SIGN, "DEBT")
    planned, recorded, flags = {}, {}, {}
    for key, stay in world.stays.items():
        discharge_home(make, stay, by=worker)
        first, second, *_ = planned_followups(world.cases[key])
        planned[key] = first
        recorded[key] = record(second, worker, signs=[debt])
        flags[key] = services.open_flag(world.cases[key].id)
    db.session.commit()
    return FollowUpWorld(world, planned, recorded, flags)


def indicators() -> dict[str, Indicator]:
    return {i.code: i for i in db.session.scalars(select(Indicator))}


def answers_form(values: dict[str, int]) -> dict[str, int]:
    """Form data of the check page from answers keyed by indicator code."""
    by_code = indicators()
    return {f"indicator_{by_code[code].id}": value for code, value in values.items()}


# A hand-worked check on the shipped indicators and weights (INCOME and SAFETY weigh 2):
#   economic      (5×2 + 3 + 1) / 4 = 3.5    → (3.5 − 1) / 4 × 100 = 62.5 → 63
#   social        (4 + 4 + 5) / 3 = 4.333    → 83.33 → 83
#   psychosocial  (2×2 + 3 + 4) / 4 = 2.75   → 43.75 → 44
#   composite     (14 + 13 + 11) / 11 = 3.4545 → 61.36 → 61
WORKED_ANSWERS = {
    "INCOME": 5,
    "NEEDS": 3,
    "SKILLS": 1,
    "HOUSING": 4,
    "SERVICES": 4,
    "NETWORK": 5,
    "SAFETY": 2,
    "WELLBEING": 3,
    "FUTURE": 4,
}
WORKED_SCORES = {"economic": 63, "social": 83, "psychosocial": 44, "composite": 61}
