"""Who sees which case: every role against cases in and out of its scope."""

import pytest

from reintegration.auth.models import Role
from tests.helpers import VISIBLE_CASES, reload, sign_in, text_of

ALL_ROLES = list(Role)
EDITORS = {Role.ADMIN, Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER}


def _statuses(client, world, url: str) -> dict[str, int]:
    return {
        key: client.get(url.format(id=case.id)).status_code for key, case in world.cases.items()
    }


def _expected(role: Role, allowed: bool) -> dict[str, int]:
    if not allowed:
        return dict.fromkeys(("here", "neighbour", "returning_home", "far"), 403)
    return {
        key: 200 if key in VISIBLE_CASES[role] else 404
        for key in ("here", "neighbour", "returning_home", "far")
    }


@pytest.mark.parametrize("role", ALL_ROLES)
def test_case_page_answers_404_for_cases_outside_the_scope(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    statuses = _statuses(client, world, "/cases/{id}")

    assert statuses == {key: 200 if key in VISIBLE_CASES[role] else 404 for key in world.cases}


def test_trainer_gets_404_on_any_case_page_even_one_that_does_not_exist(client, make, auth, world):
    sign_in(auth, world.user(make, Role.TRAINER))

    assert client.get(f"/cases/{world.cases['here'].id}").status_code == 404
    assert client.get("/cases/999999").status_code == 404


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != Role.TRAINER])
def test_case_list_shows_in_scope_cases_and_never_the_others(client, make, auth, world, role):
    sign_in(auth, world.user(make, role))

    page = text_of(client.get("/cases/"))

    shown = {key for key, case in world.cases.items() if case.code in page}
    assert shown == VISIBLE_CASES[role]
    for key, case in world.cases.items():
        if key not in VISIBLE_CASES[role]:
            assert case.full_name not in page


def test_trainer_is_refused_the_case_list(client, make, auth, world):
    sign_in(auth, world.user(make, Role.TRAINER))

    assert client.get("/cases/").status_code == 403


def test_shelter_staff_see_their_facility_cases_whatever_the_home_province(
    client, make, auth, world
):
    from_elsewhere = make.case(world.facilities["here"], home_province="QN")
    staff = sign_in(auth, world.user(make, Role.SHELTER_STAFF))

    assert client.get(f"/cases/{from_elsewhere.id}").status_code == 200
    assert staff.facility.province.code == "NA"


def test_officer_sees_a_case_managed_elsewhere_when_the_home_province_is_theirs(
    client, make, auth, world
):
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="HT"))

    assert client.get(f"/cases/{world.cases['returning_home'].id}").status_code == 200
    assert client.get(f"/cases/{world.cases['far'].id}").status_code == 200
    assert client.get(f"/cases/{world.cases['here'].id}").status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
def test_edit_page_answers_404_out_of_scope_and_403_without_permission(
    client, make, auth, world, role
):
    sign_in(auth, world.user(make, role))

    statuses = _statuses(client, world, "/cases/{id}/edit")

    assert statuses == _expected(role, role in EDITORS)


def test_case_worker_may_view_but_not_edit(client, make, auth, world):
    sign_in(auth, world.user(make, Role.CASE_WORKER))
    case = world.cases["here"]

    page = client.get(f"/cases/{case.id}")
    refused = client.post(f"/cases/{case.id}/edit", data={"full_name": "Tên khác"})

    assert page.status_code == 200
    assert f"/cases/{case.id}/edit" not in page.get_data(as_text=True)
    assert refused.status_code == 403
    assert reload(case).full_name == "Lò Thị Hằng"


def test_posting_an_edit_to_an_out_of_scope_case_changes_nothing(client, make, auth, world, intake):
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    case = world.cases["neighbour"]

    response = client.post(f"/cases/{case.id}/edit", data=intake(full_name="Tên khác"))

    assert response.status_code == 404
    assert reload(case).full_name == "Vi Thị Nhung"


def test_case_page_of_an_unknown_id_is_404(client, make, auth):
    sign_in(auth, make.user(Role.ADMIN))

    assert client.get("/cases/424242").status_code == 404
    assert client.get("/cases/424242/edit").status_code == 404


def test_pages_of_cases_need_a_login(client, world):
    case = world.cases["here"]

    for url in ("/cases/", f"/cases/{case.id}", f"/cases/{case.id}/edit", "/cases/new"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.SHELTER_STAFF, 200),
        (Role.PROVINCIAL_OFFICER, 200),
        (Role.CASE_WORKER, 403),
        (Role.TRAINER, 403),
    ],
)
def test_intake_page_is_open_to_roles_that_create_cases(client, make, auth, world, role, status):
    sign_in(auth, world.user(make, role))

    assert client.get("/cases/new").status_code == status
