"""Who makes a reintegration plan: the people who follow the case, in its province."""

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.plans.models import Goal, Plan
from tests.helpers import in_english, sign_in, text_of


@pytest.mark.parametrize("role", [Role.CASE_WORKER, Role.PROVINCIAL_OFFICER, Role.SHELTER_STAFF])
def test_those_who_follow_the_case_make_its_plan_and_goals(client, make, auth, role):
    facility = make.facility("NA")
    case = make.case(facility)
    if role == Role.SHELTER_STAFF:
        sign_in(auth, make.user(role, facility=facility))
    else:
        sign_in(auth, make.user(role, province="NA"))
    in_english(client)

    made = client.post(f"/cases/{case.id}/plan", data={"agreed_on": "14/03/2026"})
    goal = client.post(
        f"/cases/{case.id}/plan/goals/new",
        data={
            "dimension": "economic",
            "description": "Nuôi bò sinh sản",
            "owner": "Cán bộ xã",
            "target_on": "30/06/2026",
            "status": "planned",
        },
    )

    assert (made.status_code, goal.status_code) == (302, 302)
    plan = db.session.scalar(select(Plan).where(Plan.case_id == case.id))
    assert plan is not None
    assert [g.description for g in db.session.scalars(select(Goal))] == ["Nuôi bò sinh sản"]
    assert "Agreed on 14/03/2026" in text_of(client.get(f"/cases/{case.id}"))
