"""Stays, services and facility pages: every role against records in and out of its scope."""

from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.reference.models import ListKind
from reintegration.shelter.models import Service, Stay, StayExtension
from tests.helpers import (
    VISIBLE_CASES,
    VISIBLE_FACILITIES,
    count,
    reload,
    sign_in,
)

ALL_ROLES = list(Role)
STAY_MANAGERS = {Role.ADMIN, Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER}
SERVICE_RECORDERS = STAY_MANAGERS | {Role.CASE_WORKER}
KEYS = ("here", "neighbour", "returning_home", "far")


def _expected(role: Role, allowed: bool) -> dict[str, int]:
    if not allowed:
        return dict.fromkeys(KEYS, 403)
    return {key: 200 if key in VISIBLE_CASES[role] else 404 for key in KEYS}


def _expected_stay_management(role: Role) -> dict[str, int]:
    """A stay is managed through its case and its facility: "returning_home" stays at a
    facility of another province, out of a provincial officer's reach."""
    expected = _expected(role, role in STAY_MANAGERS)
    if role == Role.PROVINCIAL_OFFICER:
        expected["returning_home"] = 404
    return expected


@pytest.mark.parametrize("role", ALL_ROLES)
def test_admit_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, role
):
    sign_in(auth, world.user(make, role))

    statuses = {key: client.get(f"/cases/{world.cases[key].id}/admit").status_code for key in KEYS}

    assert statuses == _expected(role, role in STAY_MANAGERS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_extend_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, role
):
    sign_in(auth, world.user(make, role))

    statuses = {key: client.get(f"/stays/{world.stays[key].id}/extend").status_code for key in KEYS}

    assert statuses == _expected_stay_management(role)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_discharge_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, role
):
    sign_in(auth, world.user(make, role))

    statuses = {
        key: client.get(f"/stays/{world.stays[key].id}/discharge").status_code for key in KEYS
    }

    assert statuses == _expected_stay_management(role)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_discharge_plan_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, role
):
    sign_in(auth, world.user(make, role))

    statuses = {
        key: client.get(f"/stays/{world.stays[key].id}/discharge-plan").status_code for key in KEYS
    }

    assert statuses == _expected_stay_management(role)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_record_service_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, role
):
    sign_in(auth, world.user(make, role))

    statuses = {
        key: client.get(f"/cases/{world.cases[key].id}/services/new").status_code for key in KEYS
    }

    assert statuses == _expected(role, role in SERVICE_RECORDERS)


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != Role.TRAINER])
def test_facility_page_answers_404_outside_the_scope(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    statuses = {
        key: client.get(f"/facilities/{facility.id}").status_code
        for key, facility in world.facilities.items()
    }

    assert statuses == {
        key: 200 if key in VISIBLE_FACILITIES[role] else 404 for key in world.facilities
    }


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != Role.TRAINER])
def test_facility_list_shows_only_facilities_in_scope(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    page = client.get("/facilities/").get_data(as_text=True)

    shown = {key for key, facility in world.facilities.items() if facility.name in page}
    assert shown == VISIBLE_FACILITIES[role]


def test_trainer_is_refused_the_facility_pages(client, make, auth, world):
    sign_in(auth, world.user(make, Role.TRAINER))

    assert client.get("/facilities/").status_code == 403
    assert client.get(f"/facilities/{world.facilities['here'].id}").status_code == 403


def test_facility_page_lists_only_residents_the_user_may_see(client, make, auth, world):
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="HT"))
    page = client.get(f"/facilities/{world.facilities['far'].id}").get_data(as_text=True)

    assert world.cases["far"].code in page
    assert world.cases["returning_home"].code in page
    assert world.cases["here"].code not in page


def test_posting_to_out_of_scope_stays_and_cases_changes_nothing(client, make, auth, world):
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    case, stay = world.cases["neighbour"], world.stays["neighbour"]
    home = make.item(ListKind.DESTINATION, "HOME")
    kind = make.service_kind("needs_assessment")
    stays, services = count(Stay), count(Service)

    responses = [
        client.post(
            f"/stays/{stay.id}/extend",
            data={"new_end": "01/06/2026", "reason": "Chờ tìm gia đình", "approved_by": "Giám đốc"},
        ),
        client.post(
            f"/stays/{stay.id}/discharge",
            data={
                "discharged_on": "15/03/2026",
                "destination": home.id,
                "destination_address": "Xã Kỳ Sơn, Nghệ An",
            },
        ),
        client.post(
            f"/cases/{case.id}/admit",
            data={"facility": world.facilities["here"].id, "admitted_on": "15/03/2026"},
        ),
        client.post(
            f"/cases/{case.id}/services/new",
            data={
                "provided_on": "15/03/2026",
                "kind": kind.id,
                "provider": "Trung tâm",
                "cost": "0",
            },
        ),
    ]

    assert [response.status_code for response in responses] == [404, 404, 404, 404]
    stay = reload(stay)
    assert stay.discharged_on is None
    assert stay.planned_end == date(2026, 5, 11)
    assert count(StayExtension) == 0
    assert (count(Stay), count(Service)) == (stays, services)


def test_case_worker_is_refused_stay_changes_even_in_scope(client, make, auth, world):
    sign_in(auth, world.user(make, Role.CASE_WORKER))
    stay = world.stays["here"]

    response = client.post(
        f"/stays/{stay.id}/extend",
        data={"new_end": "01/06/2026", "reason": "Chờ tìm gia đình", "approved_by": "Giám đốc"},
    )

    assert response.status_code == 403
    assert reload(stay).planned_end == date(2026, 5, 11)


@pytest.mark.parametrize("action", ["extend", "discharge", "discharge-plan"])
def test_an_officer_cannot_manage_a_stay_at_a_facility_of_another_province(
    client, make, auth, action
):
    far_facility = make.facility(province="HT")
    case = make.case(far_facility, home_province="NA")
    stay = make.stay(case, far_facility)
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))

    assert client.get(f"/cases/{case.id}").status_code == 200
    assert client.get(f"/stays/{stay.id}/{action}").status_code == 404
    assert client.post(f"/stays/{stay.id}/{action}", data={}).status_code == 404
    stay = reload(stay)
    assert stay.discharged_on is None
    assert stay.discharge_planned_on is None
