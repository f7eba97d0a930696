"""List data an administrator enters goes through the same checks as every form, and the files
made of stored text are written even when an older release stored a control character."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from reintegration.allowances.models import Payment
from reintegration.auth.models import Role
from reintegration.exports import dataset, workbook
from reintegration.extensions import db
from reintegration.reference.models import Commune, ListItem
from reintegration.shelter.models import Service
from tests.allowances import helpers as allowances
from tests.helpers import field_errors, in_english, sign_in
from tests.inputs.hostile import CONTROL

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def admin(make, auth, client):
    user = sign_in(auth, make.user(Role.ADMIN))
    in_english(client)
    return user


def _communes(province) -> list[str]:
    db.session.expire_all()
    return db.session.scalars(
        select(Commune.name_vi).where(Commune.province_id == province.id)
    ).all()


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ("Xã Hương Sơn\nXã Đức\tThọ", "Line 2 contains a tab or a control character."),
        ("Xã Hương Sơn\nXã " + "A" * 98, "Line 2 is longer than 100 characters."),
        ("Xã Hương\x00Sơn", CONTROL),
    ],
)
def test_a_commune_name_that_cannot_be_stored_is_refused_with_its_line(
    client, make, admin, names, message
):
    province = make.province("HT")
    before = _communes(province)

    response = client.post(f"/admin/provinces/{province.id}/communes", data={"names": names})

    assert field_errors(response, "names") == [message]
    assert _communes(province) == before


def test_an_english_commune_name_too_long_for_its_column_is_refused(client, make, admin):
    province = make.province("HT")
    before = _communes(province)

    response = client.post(
        f"/admin/provinces/{province.id}/communes",
        data={"names": "Xã Hương Sơn", "english": "Huong Son " + "x" * 100},
    )

    assert field_errors(response, "english") == ["Line 1 is longer than 100 characters."]
    assert _communes(province) == before


def test_a_list_entry_with_a_control_character_is_refused(client, make, admin):
    before = db.session.scalar(select(func.count(ListItem.id)))

    response = client.post(
        "/admin/lists/country", data={"code": "RU", "name_vi": "Nga\x1b", "name_en": "Russia"}
    )

    assert field_errors(response, "name_vi") == [CONTROL]
    assert db.session.scalar(select(func.count(ListItem.id))) == before


def test_a_holiday_name_with_a_nul_byte_is_refused(client, admin):
    response = client.post(
        "/admin/policy/holidays",
        data={"day": "02/09/2026", "name_vi": "Quốc khánh\x00", "name_en": "National Day"},
    )

    assert field_errors(response, "name_vi") == [CONTROL]


# Receipt numbers of the payment register are read without a form.


@pytest.mark.parametrize(
    ("receipt", "message"),
    [("PC\x00001", CONTROL), ("PC-" + "1" * 60, "Field cannot be longer than 60 characters.")],
)
def test_a_receipt_number_that_cannot_be_stored_is_refused_on_its_row(
    client, make, auth, receipt, message
):
    facility = make.facility()
    case = make.case(facility)
    allowance = allowances.approved(make, case, "CLOTHING")
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
    in_english(client)

    response = client.post(
        f"/facilities/{facility.id}/payment-register",
        data={
            "paid_on": "15/03/2026",
            "method": "cash",
            "allowance": [str(allowance.id), "²", "9" * 5000],
            f"receipt_{allowance.id}": receipt,
        },
    )

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Payment.id))) == 0


# Files made of text an older release stored.


@pytest.fixture
def staff(make, auth, client):
    facility = make.facility()
    user = sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
    in_english(client)
    return user


def test_the_import_template_is_made_whatever_a_commune_name_holds(client, make, staff):
    make.commune(make.province("NA"), name="Xã Nghi\x1bLộc\uffff")

    response = client.get("/imports/template.xlsx")

    assert response.status_code == 200
    assert response.mimetype == XLSX
    values = load_workbook(io.BytesIO(response.data))["Allowed values"].iter_rows(values_only=True)
    assert any("Xã NghiLộc" in row for row in values)


def test_the_support_workbook_is_made_whatever_a_service_holds(client, make, auth):
    facility = make.facility()
    case = make.case(facility)
    stay = make.stay(case)
    db.session.add(
        Service(
            case_id=case.id,
            stay_id=stay.id,
            kind=make.service_kind("needs_assessment"),
            support_type=make.service_kind("needs_assessment").support_type,
            provided_on=date(2026, 3, 14),
            provider="Trạm\x1bY tế\uffff",
            notes="Ghi chú\x07",
            cost=0,
            recorded_by_id=make.user(Role.ADMIN).id,
        )
    )
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))

    response = client.post(
        "/exports/support",
        data={"place": f"facility-{facility.id}", "start": "01/01/2026", "end": "15/03/2026"},
    )

    assert response.status_code == 200
    assert response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.data))
    texts = {cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row}
    assert "TrạmY tế" in texts


@pytest.mark.parametrize("clean", [workbook.clean, dataset._clean])
def test_the_exports_drop_what_an_xlsx_file_cannot_hold(clean):
    assert clean("a\x00b\x1bc\ufffed\uffffe") == "abcde"
