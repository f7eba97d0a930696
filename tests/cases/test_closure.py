from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.cases.models import Closure, Outcome, Stage
from reintegration.extensions import db
from reintegration.followups.models import FollowUp, FollowUpReason
from tests.helpers import field_errors, in_english, reload, sign_in, text_of


@pytest.fixture
def officer(make, auth):
    return sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))


CLOSE = {"outcome": "reintegrated", "closed_on": "15/03/2026", "note": "Có việc làm ổn định"}


def test_closing_a_case_records_the_outcome_and_the_stage(client, make, officer):
    case = make.case()

    response = client.post(f"/cases/{case.id}/close", data=CLOSE)

    assert response.status_code == 302
    closure = db.session.scalar(select(Closure))
    assert (closure.outcome, closure.closed_on) == (Outcome.REINTEGRATED, date(2026, 3, 15))
    assert reload(case).stage == Stage.CLOSED


def test_closing_with_planned_follow_ups_asks_for_confirmation(client, make, officer):
    case = make.case()
    db.session.add(
        FollowUp(case_id=case.id, reason=FollowUpReason.OTHER, planned_on=date(2026, 4, 1))
    )
    db.session.commit()
    in_english(client)

    refused = client.post(f"/cases/{case.id}/close", data=CLOSE)
    confirmed = client.post(f"/cases/{case.id}/close", data={**CLOSE, "confirm": "y"})

    assert "1 follow-up is still planned." in text_of(refused)
    assert field_errors(refused, "confirm")
    assert confirmed.status_code == 302
    assert reload(case).stage == Stage.CLOSED


def test_a_closed_case_is_reopened_and_the_reopening_is_kept(client, make, officer):
    case = make.case()
    client.post(f"/cases/{case.id}/close", data=CLOSE)

    client.post(
        f"/cases/{case.id}/reopen", data={"reopened_on": "15/03/2026", "reason": "Mất việc"}
    )
    in_english(client)
    page = text_of(client.get(f"/cases/{case.id}"))

    closure = db.session.scalar(select(Closure))
    assert closure.reopened_on == date(2026, 3, 15)
    assert closure.reopen_reason == "Mất việc"
    assert reload(case).stage == Stage.RECEIVED
    assert "Case closed: Reintegrated" in page
    assert "Case reopened" in page


def test_closing_needs_an_outcome_a_note_and_a_date_not_before_reception(client, make, officer):
    case = make.case()

    missing = client.post(f"/cases/{case.id}/close", data={"closed_on": "15/03/2026"})
    early = client.post(f"/cases/{case.id}/close", data={**CLOSE, "closed_on": "01/01/2026"})

    assert field_errors(missing, "outcome")
    assert field_errors(missing, "note")
    assert field_errors(early, "closed_on")
    assert db.session.scalar(select(Closure)) is None


def test_a_case_closes_only_once(client, make, officer):
    case = make.case()
    client.post(f"/cases/{case.id}/close", data=CLOSE)

    again = client.post(f"/cases/{case.id}/close", data=CLOSE)

    assert again.status_code == 200
    assert len(db.session.scalars(select(Closure)).all()) == 1


@pytest.mark.parametrize("role", [Role.SHELTER_STAFF, Role.TRAINER])
def test_roles_without_the_permission_cannot_close(client, make, auth, role):
    facility = make.facility()
    case = make.case(facility)
    user = make.user(
        role,
        facility=facility if role == Role.SHELTER_STAFF else None,
        province=None if role == Role.SHELTER_STAFF else "NA",
    )
    sign_in(auth, user)

    assert client.post(f"/cases/{case.id}/close", data=CLOSE).status_code == 403


def test_cases_out_of_scope_cannot_be_closed(client, make, auth):
    case = make.case(province="HT", home_province="HT")
    sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))

    assert client.post(f"/cases/{case.id}/close", data=CLOSE).status_code == 404
    assert db.session.scalar(select(Closure)) is None
