"""The checks every form field goes through: what a user sees beside the field, and that
nothing is stored, for values no field may take."""

from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.shelter.models import Facility, Service
from reintegration.training.models import Course
from tests.auth.pages import form_values
from tests.helpers import count, field_errors, in_english, sign_in, text_of
from tests.inputs.hostile import CONTROL


@pytest.fixture
def facility(make):
    return make.facility(name="Trung tâm Công tác xã hội Nghệ An")


@pytest.fixture
def case(make, facility):
    person = make.case(facility, received_on=date(2026, 3, 10))
    make.stay(person, admitted_on=date(2026, 3, 10))
    db.session.commit()
    return person


@pytest.fixture
def staff(make, auth, client, facility):
    user = sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
    in_english(client)
    return user


def _service(client, make, case, **fields):
    data = {
        "provided_on": "14/03/2026",
        "kind": str(make.service_kind("needs_assessment").id),
        "provider": "Chị Hoàng Thị Yến",
        "cost": "0",
        "notes": "",
        **fields,
    }
    return client.post(f"/cases/{case.id}/services/new", data=data)


def _stored_services() -> list[Service]:
    db.session.expire_all()
    return db.session.scalars(select(Service)).all()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("notes", "Đã gặp\x00gia đình"),
        ("notes", "Escape \x1b[31m sequence"),
        ("provider", "Trạm\x07Y tế"),
        ("provider", "Trạm\x7fY tế"),
        ("provider", "Trạm Y tế\n"),
        ("notes", "Not a character: \uffff"),
    ],
)
def test_a_control_character_is_refused_beside_its_field_and_nothing_is_saved(
    client, make, staff, case, field, value
):
    response = _service(client, make, case, **{field: value})

    assert response.status_code == 200
    assert field_errors(response, field) == [CONTROL]
    assert _stored_services() == []


def test_a_text_refused_for_a_control_character_comes_back_without_it_and_saves_next_time(
    client, make, staff, case
):
    refused = _service(client, make, case, provider="Trạm\x00 Y tế\n", notes="Gặp\x1b gia đình\n")
    form = form_values(text_of(refused))

    assert (form["provider"], form["notes"]) == ("Trạm Y tế", "Gặp gia đình\n")
    assert _service(client, make, case, **form).status_code == 302
    assert [s.provider for s in _stored_services()] == ["Trạm Y tế"]


def test_tabs_and_line_breaks_are_kept_in_notes_and_a_tab_in_one_line_becomes_a_space(
    client, make, staff, case
):
    response = _service(
        client, make, case, provider="Trạm\tY tế", notes="Dòng một\r\nDòng\thai\rDòng ba"
    )

    assert response.status_code == 302
    (service,) = _stored_services()
    assert service.provider == "Trạm Y tế"
    assert service.notes == "Dòng một\nDòng\thai\nDòng ba"


def test_a_text_of_100000_characters_is_refused_and_kept_in_the_form(client, make, staff, case):
    response = _service(client, make, case, notes="x" * 100_000)

    assert field_errors(response, "notes") == ["Field cannot be longer than 5000 characters."]
    assert "x" * 100_000 in text_of(response)
    assert _stored_services() == []


def test_a_text_field_without_a_limit_of_its_own_has_one(client, make):
    make.user(Role.ADMIN, username="admin")
    db.session.commit()
    client.post("/language", data={"language": "en"})

    response = client.post("/login", data={"username": "someone", "password": "p" * 2000})

    assert field_errors(response, "password") == ["Field cannot be longer than 1000 characters."]


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("1" + "0" * 26, "This amount is too large."),
        ("1" * 30, "This amount is too large."),
        ("9" * 150, "Invalid input."),
        ("-1", "Write a whole amount in dong, for example 1.500.000."),
        ("-99999999999999999999", "Write a whole amount in dong, for example 1.500.000."),
    ],
)
def test_an_amount_the_database_cannot_hold_is_refused(client, make, staff, case, cost, message):
    response = _service(client, make, case, cost=cost)

    assert field_errors(response, "cost") == [message]
    assert _stored_services() == []


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("31/02/2026", "Write the date as dd/mm/yyyy."),
        ("00/00/0000", "Write the date as dd/mm/yyyy."),
        ("01/01/99999", "Write the date as dd/mm/yyyy."),
        ("0001-01-01", "Write a date between 1900 and 2100."),
        ("31/12/9999", "Write a date between 1900 and 2100."),
        ("01/01/1899", "Write a date between 1900 and 2100."),
    ],
)
def test_an_impossible_or_absurd_date_is_refused(client, make, staff, case, day, message):
    response = _service(client, make, case, provided_on=day)

    assert field_errors(response, "provided_on") == [message]
    assert _stored_services() == []


@pytest.mark.parametrize("kind", ["1" * 30, "2147483648", "-1", "0", "1e5", "١"])
def test_an_id_no_record_can_have_is_not_a_valid_choice(client, make, staff, case, kind):
    response = _service(client, make, case, kind=kind)

    assert field_errors(response, "kind") == ["Not a valid choice."]
    assert _stored_services() == []


def test_a_field_sent_twice_is_refused(client, make, staff, case):
    data = {
        "provided_on": "14/03/2026",
        "kind": str(make.service_kind("needs_assessment").id),
        "provider": ["Chị Yến", "Anh Nam"],
        "cost": "0",
    }

    response = client.post(f"/cases/{case.id}/services/new", data=data)

    assert field_errors(response, "provider") == [
        "This field was sent more than once; send it once."
    ]
    assert _stored_services() == []


def test_a_json_body_is_read_as_a_form_whose_values_are_texts(client, make, staff, case):
    response = client.post(
        f"/cases/{case.id}/services/new",
        json={"provider": "Chị Yến", "notes": {"nested": True}, "cost": 10**26},
    )

    assert response.status_code == 200
    assert field_errors(response, "notes") == ["Invalid input."]
    assert field_errors(response, "cost") == ["Invalid input."]
    assert _stored_services() == []


def test_the_message_is_in_vietnamese_for_a_vietnamese_reader(client, make, auth, case):
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=case.facility))

    response = _service(client, make, case, notes="a\x00b")

    assert field_errors(response, "notes") == [
        "Văn bản này có ký tự điều khiển vô hình (như NUL); các ký tự đó đã được bỏ đi: hãy kiểm "
        "tra rồi lưu lại."
    ]


# Intake, courses and facilities: ids, money and counts beyond their columns.


@pytest.fixture
def officer(make, auth, client):
    user = sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))
    in_english(client)
    return user


def _intake(make, **fields) -> dict:
    data = {
        "full_name": "Trần Thị Lan",
        "sex": "female",
        "date_of_birth": "17/05/2001",
        "home_province": str(make.province("NA").id),
        "return_route": str(make.item(ListKind.RETURN_ROUTE, "HANDOVER").id),
        "receiving_agency": "Đồn Biên phòng cửa khẩu Nậm Cắn",
        "received_on": "12/03/2026",
        "identification_status": "identified",
        "consent": "given",
        "consent_date": "12/03/2026",
        "consent_storage": "y",
        **fields,
    }
    return data


def test_a_province_id_of_30_digits_is_not_a_valid_choice_on_intake(client, make, officer):
    response = client.post("/cases/new", data=_intake(make, home_province="1" * 30))

    assert response.status_code == 200
    assert field_errors(response, "home_province") == ["Not a valid choice."]
    assert count(Case) == 0


def test_a_name_with_a_nul_byte_is_refused_on_intake(client, make, officer):
    response = client.post("/cases/new", data=_intake(make, full_name="Trần\x00Thị Lan"))

    assert field_errors(response, "full_name") == [CONTROL]
    assert count(Case) == 0


def test_an_intake_without_those_values_is_saved(client, make, officer):
    response = client.post("/cases/new", data=_intake(make))

    assert response.status_code == 302
    assert count(Case) == 1


@pytest.fixture
def admin(make, auth, client):
    user = sign_in(auth, make.user(Role.ADMIN))
    in_english(client)
    return user


def test_a_course_cost_of_10_to_the_26_is_too_large(client, make, admin):
    trainer = make.user(Role.TRAINER, province="NA")
    data = {
        "title": "Nấu ăn",
        "kind": "trade",
        "topic": str(make.item(ListKind.TRADE, "FOOD").id),
        "trainer": str(trainer.id),
        "provider": "Trường nghề",
        "province": str(make.province("NA").id),
        "start_on": "01/04/2026",
        "end_on": "30/04/2026",
        "capacity": "10",
        "cost_per_trainee": "1" + "0" * 26,
    }

    response = client.post("/courses/new", data=data)

    assert field_errors(response, "cost_per_trainee") == ["This amount is too large."]
    assert count(Course) == 0


@pytest.mark.parametrize(
    ("days", "message"),
    [("1" * 30, "This number is too large."), ("-1", "Number must be at least 1.")],
)
def test_a_count_beyond_its_column_is_refused(client, make, admin, days, message):
    data = {
        "code": "NA-NEW",
        "name": "Ngôi nhà Bình yên",
        "province": str(make.province("NA").id),
        "capacity": "10",
        "standard_stay_days": days,
        "active": "y",
    }

    response = client.post("/admin/facilities/new", data=data)

    assert field_errors(response, "standard_stay_days") == [message]
    assert db.session.scalar(select(Facility).where(Facility.code == "NA-NEW")) is None
