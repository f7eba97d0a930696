"""Employer and placement pages: every role against records in and out of its scope."""

from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.employers.models import EmployerCheck
from reintegration.employment.models import Placement
from reintegration.extensions import db
from tests.employers.helpers import check_form, checked_employer
from tests.helpers import VISIBLE_CASES, count, in_english, reload, sign_in, text_of

from .helpers import place, placement_form

ALL_ROLES = list(Role)
VIEWERS = {Role.ADMIN, Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER, Role.CASE_WORKER}
MANAGERS = {Role.ADMIN, Role.PROVINCIAL_OFFICER}
PLACERS = VIEWERS
# Employers in Nghe An and Ha Tinh; every role's user (World.user) works in Nghe An.
VISIBLE_EMPLOYERS = {
    Role.ADMIN: {"na", "ht"},
    Role.SHELTER_STAFF: {"na"},
    Role.PROVINCIAL_OFFICER: {"na"},
    Role.CASE_WORKER: {"na"},
    Role.TRAINER: set(),
}
CASE_KEYS = ("here", "neighbour", "returning_home", "far")


@pytest.fixture
def employers(make, world):
    made = {
        "na": checked_employer(make, "NA", name="Hợp tác xã Dệt Hưng Nguyên"),
        "ht": checked_employer(make, "HT", name="Công ty Thủy sản Kỳ Anh"),
    }
    db.session.commit()
    return made


@pytest.fixture
def placements(make, world, employers):
    """One job for each of the world's people, at the employer of the case's province."""
    where = {"here": "na", "neighbour": "na", "returning_home": "ht", "far": "ht"}
    made = {
        key: place(make, case, employers[where[key]], date(2026, 3, 13))
        for key, case in world.cases.items()
    }
    db.session.commit()
    return made


def _employer_statuses(client, employers, path: str = "") -> dict[str, int]:
    return {
        key: client.get(f"/employers/{employer.id}{path}").status_code
        for key, employer in employers.items()
    }


def _expected_employers(role: Role, allowed: bool) -> dict[str, int]:
    if not allowed:
        return {"na": 403, "ht": 403}
    return {key: 200 if key in VISIBLE_EMPLOYERS[role] else 404 for key in ("na", "ht")}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_employer_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, employers, role
):
    sign_in(auth, world.user(make, role))

    assert _employer_statuses(client, employers) == _expected_employers(role, role in VIEWERS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_employer_edit_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, employers, role
):
    sign_in(auth, world.user(make, role))

    statuses = _employer_statuses(client, employers, "/edit")

    assert statuses == _expected_employers(role, role in MANAGERS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_recording_a_check_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, employers, role
):
    sign_in(auth, world.user(make, role))
    before = count(EmployerCheck)

    statuses = {
        key: client.post(f"/employers/{employer.id}/checks", data=check_form()).status_code
        for key, employer in employers.items()
    }

    expected = _expected_employers(role, role in MANAGERS)
    assert statuses == {key: 302 if code == 200 else code for key, code in expected.items()}
    assert count(EmployerCheck) == before + sum(1 for code in statuses.values() if code == 302)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_new_employer_page_is_for_officers_and_administrators(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    assert client.get("/employers/new").status_code == (200 if role in MANAGERS else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_employer_list_shows_only_employers_in_scope(client, make, auth, world, employers, role):
    sign_in(auth, world.user(make, role))

    response = client.get("/employers/")

    if role not in VIEWERS:
        assert response.status_code == 403
        return
    page = text_of(response)
    assert {key for key, employer in employers.items() if employer.name in page} == (
        VISIBLE_EMPLOYERS[role]
    )


@pytest.mark.parametrize("role", ALL_ROLES)
def test_outcomes_page_is_for_officers_and_administrators(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    response = client.get("/employment/outcomes")

    assert response.status_code == (200 if role in MANAGERS else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_outcomes_link_on_the_employer_list_only_for_those_allowed(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    response = client.get("/employers/")

    if role in VIEWERS:
        linked = "/employment/outcomes" in response.get_data(as_text=True)
        assert linked == (role in MANAGERS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_placement_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, role
):
    sign_in(auth, world.user(make, role))

    statuses = {
        key: client.get(f"/cases/{world.cases[key].id}/placements/new").status_code
        for key in CASE_KEYS
    }

    if role not in PLACERS:
        assert statuses == dict.fromkeys(CASE_KEYS, 403)
    else:
        assert statuses == {k: 200 if k in VISIBLE_CASES[role] else 404 for k in CASE_KEYS}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_end_placement_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, placements, role
):
    sign_in(auth, world.user(make, role))

    statuses = {
        key: client.get(f"/placements/{placements[key].id}/end").status_code for key in CASE_KEYS
    }

    if role not in PLACERS:
        assert statuses == dict.fromkeys(CASE_KEYS, 403)
    else:
        assert statuses == {k: 200 if k in VISIBLE_CASES[role] else 404 for k in CASE_KEYS}


def test_employers_in_the_navigation_for_those_who_may_see_them(client, make, auth, world):
    sign_in(auth, world.user(make, Role.CASE_WORKER))
    assert 'href="/employers/"' in client.get("/").get_data(as_text=True)
    auth.logout()

    sign_in(auth, world.user(make, Role.TRAINER))
    assert 'href="/employers/"' not in client.get("/").get_data(as_text=True)


def test_posting_to_out_of_scope_records_changes_nothing(
    client, make, auth, world, employers, placements
):
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    far = placements["neighbour"]
    checks, jobs = count(EmployerCheck), count(Placement)

    responses = [
        client.post(
            f"/placements/{far.id}/end",
            data={"end_on": "15/03/2026", "reason": "resigned", "note": ""},
        ),
        client.post(
            f"/cases/{world.cases['neighbour'].id}/placements/new",
            data=placement_form(employers["na"], start_on="14/03/2026"),
        ),
        client.post(f"/employers/{employers['ht'].id}/checks", data=check_form()),
    ]

    assert [response.status_code for response in responses] == [404, 404, 403]
    assert reload(far).end_on is None
    assert (count(EmployerCheck), count(Placement)) == (checks, jobs)


def test_an_employer_out_of_scope_cannot_be_chosen_for_a_placement(
    client, make, auth, world, employers
):
    sign_in(auth, world.user(make, Role.PROVINCIAL_OFFICER))
    jobs = count(Placement)

    response = client.post(
        f"/cases/{world.cases['here'].id}/placements/new",
        data=placement_form(employers["ht"], start_on="14/03/2026"),
    )

    assert response.status_code == 200
    assert employers["ht"].name not in text_of(response)
    assert count(Placement) == jobs


def test_employer_page_names_only_the_cases_the_user_may_see(
    client, make, auth, world, employers, placements
):
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    in_english(client)

    page = text_of(client.get(f"/employers/{employers['na'].id}"))

    assert world.cases["here"].code in page
    assert world.cases["neighbour"].code not in page
    assert world.cases["neighbour"].full_name not in page
    assert "a person outside your scope" in page
