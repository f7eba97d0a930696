import pytest
from sqlalchemy import func, select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.plans.models import Dimension, Goal, GoalStatus, Plan
from tests.helpers import field_errors, in_english, sign_in, text_of


@pytest.fixture
def officer(make, auth):
    return sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))


def _plans() -> int:
    return db.session.scalar(select(func.count(Plan.id)))


def test_a_plan_is_made_and_its_goals_met_are_counted_on_the_case_page(client, make, officer):
    case = make.case()
    client.post(f"/cases/{case.id}/plan", data={"agreed_on": "14/03/2026", "note": "Về quê"})
    for dimension, status in (
        ("economic", "met"),
        ("social", "in_progress"),
        ("psychosocial", "met"),
    ):
        client.post(
            f"/cases/{case.id}/plan/goals/new",
            data={
                "dimension": dimension,
                "description": f"Mục tiêu {dimension}",
                "owner": "Cán bộ xã",
                "target_on": "30/06/2026",
                "status": status,
            },
        )
    in_english(client)

    page = text_of(client.get(f"/cases/{case.id}"))

    assert "Agreed on 14/03/2026" in page
    assert "2 of 3 goals met" in page
    assert "Economic" in page
    assert "Psychosocial" in page
    goals = db.session.scalars(select(Goal)).all()
    assert sorted(g.dimension for g in goals) == sorted(Dimension)


def test_a_goal_status_is_changed(client, make, officer):
    case = make.case()
    client.post(f"/cases/{case.id}/plan", data={"agreed_on": "14/03/2026"})
    client.post(
        f"/cases/{case.id}/plan/goals/new",
        data={
            "dimension": "social",
            "description": "Học nghề",
            "owner": "Trung tâm",
            "target_on": "30/06/2026",
            "status": "planned",
        },
    )
    goal = db.session.scalar(select(Goal))

    client.post(
        f"/cases/{case.id}/plan/goals/{goal.id}",
        data={
            "dimension": "social",
            "description": "Học nghề",
            "owner": "Trung tâm",
            "target_on": "30/06/2026",
            "status": "met",
        },
    )

    assert db.session.get(Goal, goal.id).status == GoalStatus.MET


def test_a_plan_agreed_before_reception_is_refused_and_nothing_saved(client, make, officer):
    case = make.case()

    response = client.post(f"/cases/{case.id}/plan", data={"agreed_on": "01/01/2026"})

    assert field_errors(response, "agreed_on")
    assert _plans() == 0


def test_a_goal_without_description_or_owner_is_refused(client, make, officer):
    case = make.case()
    client.post(f"/cases/{case.id}/plan", data={"agreed_on": "14/03/2026"})

    response = client.post(
        f"/cases/{case.id}/plan/goals/new", data={"dimension": "social", "status": "planned"}
    )

    assert field_errors(response, "description")
    assert field_errors(response, "owner")
    assert field_errors(response, "target_on")
    assert db.session.scalar(select(func.count(Goal.id))) == 0


def test_goals_need_a_plan_first(client, make, officer):
    case = make.case()

    assert client.get(f"/cases/{case.id}/plan/goals/new").status_code == 404


def test_plans_of_cases_out_of_scope_answer_404(client, make, auth):
    case = make.case(province="HT", home_province="HT")
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))

    assert client.get(f"/cases/{case.id}/plan").status_code == 404
    assert (
        client.post(f"/cases/{case.id}/plan", data={"agreed_on": "14/03/2026"}).status_code == 404
    )
    assert _plans() == 0


def test_trainers_cannot_make_plans(client, make, auth):
    case = make.case()
    sign_in(auth, make.user(Role.TRAINER, province="NA"))

    assert client.get(f"/cases/{case.id}/plan").status_code == 403
