"""Who may see, request, decide and pay which allowance: out of scope answers 404."""

import pytest

from reintegration.allowances.models import AllowanceStatus
from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.allowances.helpers import approved, kind, officer, paid, request
from tests.helpers import (
    VISIBLE_CASES,
    VISIBLE_FACILITIES,
    in_english,
    reload,
    sign_in,
    text_of,
)


@pytest.fixture
def allowances(make, world):
    made = {key: request(make, case) for key, case in world.cases.items()}
    db.session.commit()
    return made


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_the_allowances_of_the_cases_in_its_scope_only(
    client, auth, make, world, allowances, role
):
    sign_in(auth, world.user(make, role))

    for key, allowance in allowances.items():
        status = client.get(f"/allowances/{allowance.id}").status_code
        assert status == (200 if key in VISIBLE_CASES[role] else 404), key


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_the_payment_registers_of_its_facilities_only(
    client, auth, make, world, role
):
    sign_in(auth, world.user(make, role))
    may_pay = role in (Role.ADMIN, Role.SHELTER_STAFF, Role.PROVINCIAL_OFFICER)

    for key, facility in world.facilities.items():
        status = client.get(f"/facilities/{facility.id}/payment-register").status_code
        expected = 200 if may_pay and key in VISIBLE_FACILITIES[role] else 404
        assert status == (expected if may_pay else 403), key


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SHELTER_STAFF, Role.CASE_WORKER, Role.TRAINER])
def test_only_a_provincial_officer_decides(client, auth, make, world, allowances, role):
    sign_in(auth, world.user(make, role))
    allowance = allowances["here"]

    response = client.post(f"/allowances/{allowance.id}/decision", data={"decision": "approve"})

    assert response.status_code == 403
    assert reload(allowance).status == AllowanceStatus.REQUESTED


def test_an_officer_of_another_province_cannot_reach_the_request(client, auth, make, allowances):
    sign_in(auth, officer(make, "HT"))

    response = client.post(
        f"/allowances/{allowances['here'].id}/decision", data={"decision": "approve"}
    )

    assert response.status_code == 404
    assert reload(allowances["here"]).status == AllowanceStatus.REQUESTED


def test_the_home_province_sees_but_does_not_decide_what_another_province_pays(
    client, auth, make, allowances
):
    # "returning_home" is from Nghe An but stays at a Ha Tinh facility, which pays.
    sign_in(auth, officer(make, "NA"))
    in_english(client)
    allowance = allowances["returning_home"]

    response = client.post(f"/allowances/{allowance.id}/decision", data={"decision": "approve"})

    assert "The officers of the province of the paying facility decide" in text_of(response)
    assert reload(allowance).status == AllowanceStatus.REQUESTED


def test_a_case_worker_requests_but_does_not_pay(client, auth, make, world):
    allowance = approved(make, world.cases["here"])
    db.session.commit()
    sign_in(auth, world.user(make, Role.CASE_WORKER))

    response = client.post(
        f"/allowances/{allowance.id}/payment",
        data={"paid_on": "15/03/2026", "method": "cash", "receipt_number": "PC-9"},
    )

    assert response.status_code == 403
    assert reload(allowance).status == AllowanceStatus.APPROVED
    assert client.get(f"/cases/{world.cases['here'].id}/allowances/new").status_code == 200


def test_an_officer_of_the_home_province_cannot_pay_for_another_provinces_facility(
    client, auth, make, world
):
    allowance = approved(make, world.cases["returning_home"])
    db.session.commit()
    sign_in(auth, officer(make, "NA"))

    response = client.post(
        f"/allowances/{allowance.id}/payment",
        data={"paid_on": "15/03/2026", "method": "cash", "receipt_number": "PC-9"},
    )

    assert response.status_code == 403
    assert reload(allowance).status == AllowanceStatus.APPROVED


def test_a_register_pays_nothing_of_another_facility_even_when_its_id_is_posted(
    client, auth, make, world
):
    mine = approved(make, world.cases["here"])
    theirs = approved(make, world.cases["neighbour"])
    db.session.commit()
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))

    client.post(
        f"/facilities/{world.facilities['here'].id}/payment-register",
        data={
            "allowance": [mine.id, theirs.id],
            f"receipt_{mine.id}": "PC-1",
            f"receipt_{theirs.id}": "PC-2",
            "paid_on": "15/03/2026",
            "method": "cash",
        },
    )

    assert reload(mine).status == AllowanceStatus.PAID
    assert reload(theirs).status == AllowanceStatus.APPROVED


def test_the_officer_page_lists_the_requests_and_totals_of_the_province_only(
    client, auth, make, world, allowances
):
    paid(make, world.cases["far"], "CLOTHING", receipt="HT-1")
    db.session.commit()
    sign_in(auth, officer(make, "NA"))

    page = text_of(client.get("/allowances/?year=2026"))

    for key in ("here", "neighbour", "returning_home"):
        assert world.cases[key].code in page
    assert world.cases["far"].code not in page
    assert "Trung tâm Công tác xã hội Hà Tĩnh" not in page.split('id="totals"')[1]


@pytest.mark.parametrize("role", [Role.SHELTER_STAFF, Role.CASE_WORKER, Role.TRAINER])
def test_the_officer_page_is_refused_to_other_roles(client, auth, make, world, role):
    sign_in(auth, world.user(make, role))

    assert client.get("/allowances/").status_code == 403


def test_a_trainer_cannot_request(client, auth, make, world):
    sign_in(auth, world.user(make, Role.TRAINER))

    response = client.post(
        f"/cases/{world.cases['here'].id}/allowances/new",
        data={"kind": kind("HARDSHIP").id, "period_from": "12/03/2026", "applied_on": "13/03/2026"},
    )

    assert response.status_code == 403
