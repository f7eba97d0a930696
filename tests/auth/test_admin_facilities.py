import pytest
from sqlalchemy import func, select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.shelter.models import Facility
from tests.auth.conftest import NON_ADMIN_ROLES
from tests.auth.pages import field_errors, text


def _facility_form(province, **changes) -> dict:
    form = {
        "code": "HT-SWC",
        "name": "Trung tâm Công tác xã hội Hà Tĩnh",
        "province": province.id,
        "address": "Thành phố Hà Tĩnh",
        "capacity": "40",
        "standard_stay_days": "60",
        "active": "y",
    }
    form.update(changes)
    return form


def _facilities() -> int:
    return db.session.scalar(select(func.count(Facility.id)))


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda role: role.value)
def test_other_roles_are_refused_the_facility_administration_pages(client, logged_in, make, role):
    user = logged_in(role)
    facility = user.facility or make.facility()
    db.session.commit()
    before = (_facilities(), facility.name, facility.capacity)
    form = _facility_form(make.province("HT"), name="Renamed")

    answers = [
        client.get("/admin/facilities/new"),
        client.post("/admin/facilities/new", data=form),
        client.get(f"/admin/facilities/{facility.id}/edit"),
        client.post(f"/admin/facilities/{facility.id}/edit", data=form),
    ]

    assert [answer.status_code for answer in answers] == [403] * 4
    assert (_facilities(), facility.name, facility.capacity) == before


def test_administrator_creates_a_facility(client, logged_in, make):
    logged_in(Role.ADMIN)

    response = client.post("/admin/facilities/new", data=_facility_form(make.province("HT")))

    facility = db.session.scalar(select(Facility).where(Facility.code == "HT-SWC"))
    assert response.location == f"/facilities/{facility.id}"
    assert (facility.name, facility.province, facility.capacity) == (
        "Trung tâm Công tác xã hội Hà Tĩnh",
        make.province("HT"),
        40,
    )
    assert (facility.standard_stay_days, facility.active) == (60, True)
    page = client.get(response.location).get_data(as_text=True)
    assert "The facility is saved." in text(page)


def test_administrator_edits_a_facility(client, logged_in, make):
    logged_in(Role.ADMIN)
    facility = make.facility(province="NA", code="NA-SWC", capacity=20, stay_days=60)
    db.session.commit()

    response = client.post(
        f"/admin/facilities/{facility.id}/edit",
        data=_facility_form(
            facility.province, code="NA-SWC", capacity="25", standard_stay_days="90"
        ),
    )

    assert response.location == f"/facilities/{facility.id}"
    assert (facility.capacity, facility.standard_stay_days) == (25, 90)


def test_facility_code_that_another_facility_has_is_refused(client, logged_in, make):
    logged_in(Role.ADMIN)
    make.facility(code="HT-SWC")
    db.session.commit()
    before = _facilities()

    response = client.post(
        "/admin/facilities/new", data=_facility_form(make.province("HT"), code="ht-swc")
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "code") == [
        "Another facility has this code."
    ]
    assert _facilities() == before


def test_facility_keeps_its_own_code_when_edited(client, logged_in, make):
    logged_in(Role.ADMIN)
    facility = make.facility(code="NA-SWC")
    db.session.commit()

    response = client.post(
        f"/admin/facilities/{facility.id}/edit",
        data=_facility_form(facility.province, code="NA-SWC", name="Nhà bình yên"),
    )

    assert response.status_code == 302
    assert facility.name == "Nhà bình yên"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"capacity": "-1"}, "capacity", "Number must be between 0 and 10000."),
        ({"standard_stay_days": "0"}, "standard_stay_days", "Number must be at least 1."),
        ({"code": "HT SWC"}, "code", "Letters, digits and dashes only."),
        ({"name": ""}, "name", "This field is required."),
    ],
    ids=["negative-capacity", "no-stay", "code-characters", "no-name"],
)
def test_bad_new_facility_is_refused_beside_the_field_and_nothing_is_saved(
    client, logged_in, make, changes, field, message
):
    logged_in(Role.ADMIN)
    before = _facilities()

    response = client.post(
        "/admin/facilities/new", data=_facility_form(make.province("HT"), **changes)
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), field) == [message]
    assert _facilities() == before


def test_standard_stay_above_the_legal_120_days_is_refused(client, logged_in, make):
    logged_in(Role.ADMIN)
    before = _facilities()

    response = client.post(
        "/admin/facilities/new",
        data=_facility_form(make.province("HT"), standard_stay_days="121"),
    )

    assert field_errors(response.get_data(as_text=True), "standard_stay_days") == [
        "At most 120 days: the legal limit of essential-needs support."
    ]
    assert _facilities() == before


def test_bad_edit_leaves_the_facility_unchanged(client, logged_in, make):
    logged_in(Role.ADMIN)
    facility = make.facility(code="NA-SWC", capacity=20)
    db.session.commit()

    response = client.post(
        f"/admin/facilities/{facility.id}/edit",
        data=_facility_form(facility.province, code="NA-SWC", capacity="-5", name="Other"),
    )

    assert field_errors(response.get_data(as_text=True), "capacity") == [
        "Number must be between 0 and 10000."
    ]
    db.session.expire_all()
    assert (facility.capacity, facility.name) == (20, facility.name)
    assert facility.name != "Other"


def test_editing_an_unknown_facility_answers_404(client, logged_in):
    logged_in(Role.ADMIN)

    assert client.get("/admin/facilities/999999/edit").status_code == 404
