"""Who may make which workbook: a role without the right gets 403, a place outside the scope is
neither offered nor accepted, and a bad date is shown beside its field."""

import pytest
from sqlalchemy import func, select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.exports.workbook_helpers import (
    PERIOD,
    build_province,
    download,
    place_value,
    workbook_of,
)
from tests.helpers import field_errors, in_english, sign_in, text_of


@pytest.fixture
def province(make):
    return build_province(make)


def _exports() -> int:
    return db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == Action.EXPORT)
    )


def _offered(response) -> list[str]:
    page = text_of(response)
    select_box = page[page.index('name="place"') : page.index("</select>")]
    return [option.split('"')[0] for option in select_box.split('value="')[1:]]


@pytest.mark.parametrize("role", [Role.TRAINER, Role.CASE_WORKER])
def test_a_role_without_exports_is_refused(client, auth, make, province, role):
    sign_in(auth, province.user(make, role))
    na = province.cases["mai"].province

    assert client.get("/exports/support").status_code == 403
    assert download(client, place_value(na)).status_code == 403
    assert _exports() == 0


def test_a_visitor_is_sent_to_the_login_page(client, province):
    response = client.get("/exports/support")

    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_a_shelter_worker_is_offered_their_own_facility_only(client, auth, make, province):
    sign_in(auth, province.user(make, Role.SHELTER_STAFF))

    response = client.get("/exports/support")

    assert response.status_code == 200
    assert _offered(response) == [place_value(province.facilities["here"])]


@pytest.mark.parametrize("place", ["neighbour", "far", "province"])
def test_a_shelter_worker_cannot_export_another_facility_or_the_province(
    client, auth, make, province, place
):
    sign_in(auth, province.user(make, Role.SHELTER_STAFF))
    in_english(client)
    target = province.cases["mai"].province if place == "province" else province.facilities[place]

    response = download(client, place_value(target))

    assert response.mimetype == "text/html"
    assert field_errors(response, "place") == ["Not a valid choice."]
    assert _exports() == 0


def test_an_officer_is_offered_the_province_and_its_facilities(client, auth, make, province):
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))

    offered = _offered(client.get("/exports/support"))

    # The province first, then its facilities by name.
    assert offered == [
        place_value(province.cases["mai"].province),
        place_value(province.facilities["neighbour"]),
        place_value(province.facilities["here"]),
    ]


@pytest.mark.parametrize("place", ["province", "facility"])
def test_an_officer_cannot_export_another_province(client, auth, make, province, place):
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))
    in_english(client)
    ha_tinh = province.cases["far"].province
    target = ha_tinh if place == "province" else province.facilities["far"]

    response = download(client, place_value(target))

    assert response.mimetype == "text/html"
    assert field_errors(response, "place") == ["Not a valid choice."]
    assert _exports() == 0


def test_an_administrator_may_export_any_province(client, auth, make, province):
    sign_in(auth, province.user(make, Role.ADMIN))
    ha_tinh = province.cases["far"].province

    book = workbook_of(download(client, place_value(ha_tinh), with_names="y", reason="Kiểm tra"))

    codes = [row[0] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
    # Ha Tinh's own case, the Nghe An person staying at its facility, and the Ha Tinh person
    # staying in Nghe An.
    expected = ("far", "returning", "hoa")
    assert sorted(codes) == sorted(province.cases[key].code for key in expected)


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        ({"start": "31/02/2026"}, "start", "Write the date as dd/mm/yyyy."),
        ({"end": "15-13-2026"}, "end", "Write the date as dd/mm/yyyy."),
        ({"start": ""}, "start", "This field is required."),
        ({"start": "31/12/1900"}, "start", "Choose a date from 1901 on."),
        (
            {"start": "16/03/2026", "end": "15/03/2026"},
            "end",
            "The period cannot end before it starts.",
        ),
    ],
)
def test_a_bad_period_is_shown_beside_its_field(
    client, auth, make, province, dates, field, message
):
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))
    in_english(client)
    na = province.cases["mai"].province

    response = client.post("/exports/support", data={"place": place_value(na), **PERIOD, **dates})

    assert response.mimetype == "text/html"
    assert field_errors(response, field) == [message]
    assert _exports() == 0


def test_the_form_starts_on_the_first_of_january_and_ends_today(client, auth, make, province):
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))

    page = text_of(client.get("/exports/support"))

    start = page[page.index('name="start"') :].split(">")[0]
    end = page[page.index('name="end"') :].split(">")[0]
    assert 'value="01/01/2026"' in start
    assert 'value="15/03/2026"' in end


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.PROVINCIAL_OFFICER, True),
        (Role.SHELTER_STAFF, True),
        (Role.ADMIN, True),
        (Role.CASE_WORKER, False),
        (Role.TRAINER, False),
    ],
)
def test_the_menu_and_the_home_page_link_to_the_workbook_for_those_who_may(
    client, auth, make, province, role, shown
):
    sign_in(auth, province.user(make, role))

    page = text_of(client.get("/"))

    assert page.count('href="/exports/support"') == (2 if shown else 0)
