"""Follow-up pages: every role against records in and out of its scope."""

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.followups.models import FollowUp, RiskFlag, SustainabilityCheck
from tests.followups.conftest import WORKED_ANSWERS, answers_form
from tests.helpers import VISIBLE_CASES, count, reload, sign_in

ALL_ROLES = list(Role)
RECORDERS = {Role.ADMIN, Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER, Role.CASE_WORKER}
KEYS = ("here", "neighbour", "returning_home", "far")


def _expected(role: Role) -> dict[str, int]:
    if role not in RECORDERS:
        return dict.fromkeys(KEYS, 403)
    return {key: 200 if key in VISIBLE_CASES[role] else 404 for key in KEYS}


PAGES = {
    "record": lambda w, key: f"/followups/{w.planned[key].id}/record",
    "new": lambda w, key: f"/cases/{w.cases[key].id}/followups/new",
    "check": lambda w, key: f"/followups/{w.recorded[key].id}/check",
    "resolve": lambda w, key: f"/risk-flags/{w.flags[key].id}/resolve",
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_pages_answer_404_out_of_scope_and_403_without_permission(
    client, make, auth, followup_world, role, page
):
    sign_in(auth, followup_world.user(make, role))

    statuses = {key: client.get(PAGES[page](followup_world, key)).status_code for key in KEYS}

    assert statuses == _expected(role)


def test_trainers_are_refused_the_follow_up_list(client, make, auth, followup_world):
    sign_in(auth, followup_world.user(make, Role.TRAINER))

    assert client.get("/followups/").status_code == 403


@pytest.mark.parametrize("role", sorted(RECORDERS))
def test_the_due_list_shows_only_cases_in_scope(client, make, auth, followup_world, role):
    sign_in(auth, followup_world.user(make, role))

    page = client.get("/followups/").get_data(as_text=True)

    shown = {key for key, case in followup_world.cases.items() if f">{case.code}</a>" in page}
    assert shown == VISIBLE_CASES[role]


@pytest.mark.parametrize("role", [Role.SHELTER_STAFF, Role.TRAINER])
def test_posting_out_of_scope_or_without_permission_changes_nothing(
    client, make, auth, followup_world, role
):
    sign_in(auth, followup_world.user(make, role))
    key = "neighbour"
    planned, recorded = followup_world.planned[key], followup_world.recorded[key]
    flag = followup_world.flags[key]
    followups = count(FollowUp)
    record = {
        "done_on": "15/03/2026",
        "method": "phone",
        "contact_made": "yes",
        "still_in_job": "na",
    }

    responses = [
        client.post(f"/followups/{planned.id}/record", data=record),
        client.post(f"/cases/{followup_world.cases[key].id}/followups/new", data=record),
        client.post(f"/followups/{recorded.id}/check", data=answers_form(WORKED_ANSWERS)),
        client.post(
            f"/risk-flags/{flag.id}/resolve", data={"resolved_on": "15/03/2026", "note": "Ổn"}
        ),
    ]

    expected = 404 if role == Role.SHELTER_STAFF else 403
    assert [r.status_code for r in responses] == [expected] * 4
    assert reload(planned).done_on is None
    assert count(FollowUp) == followups
    assert count(SustainabilityCheck) == 0
    assert reload(flag).is_open


def test_an_officer_resolves_a_flag_of_a_person_returned_home_from_another_province(
    client, make, auth, followup_world
):
    sign_in(auth, followup_world.user(make, Role.PROVINCIAL_OFFICER))
    flag = followup_world.flags["returning_home"]

    client.post(f"/risk-flags/{flag.id}/resolve", data={"resolved_on": "15/03/2026", "note": "Ổn"})

    assert not reload(flag).is_open
    open_flags = db.session.scalars(select(RiskFlag).where(RiskFlag.resolved_on.is_(None)))
    assert {f.case_id for f in open_flags} == {
        followup_world.cases[k].id for k in ("here", "neighbour", "far")
    }
