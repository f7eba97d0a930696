"""Checks of safe working conditions, and the block they put on placements."""

from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.employers.models import EmployerCheck
from reintegration.employment.models import Placement
from reintegration.extensions import db
from tests.employers.helpers import check, check_form, employer
from tests.helpers import (
    count,
    field_errors,
    form_errors,
    in_english,
    reload,
    sign_in,
    text_of,
)

from .helpers import placement_form


@pytest.fixture
def officer(make, auth, client):
    user = sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))
    in_english(client)
    return user


@pytest.fixture
def factory(make):
    made = employer(make, "NA", name="Công ty Chế biến Thủy sản Cửa Lò")
    db.session.commit()
    return made


@pytest.fixture
def case(make):
    made = make.case(received_on=date(2026, 1, 10), consent_date=date(2026, 1, 10))
    db.session.commit()
    return made


def _checks(employer) -> list[EmployerCheck]:
    db.session.expire_all()
    return reload(employer).checks


@pytest.mark.parametrize(
    ("answers", "passed"),
    [
        ({}, True),
        ({"safe_housing": "none"}, True),
        ({"written_contract": "no"}, False),
        ({"wages_on_time": "no"}, False),
        ({"no_withheld_documents": "no"}, False),
        ({"no_debt": "no"}, False),
        ({"safe_housing": "no"}, False),
    ],
)
def test_a_check_passes_only_when_every_answer_is_yes(client, officer, factory, answers, passed):
    response = client.post(f"/employers/{factory.id}/checks", data=check_form(**answers))

    [stored] = _checks(factory)
    assert response.status_code == 302
    assert stored.passed is passed
    assert stored.checked_on == date(2026, 3, 10)
    assert stored.checked_by == "Thanh tra Sở Nội vụ"
    assert stored.recorded_by_id == officer.id


def test_no_housing_provided_is_stored_as_no_answer(client, officer, factory):
    client.post(f"/employers/{factory.id}/checks", data=check_form(safe_housing="none"))

    [stored] = _checks(factory)
    assert stored.safe_housing is None


def test_employer_page_shows_checks_newest_first_with_what_failed(client, make, officer, factory):
    check(make, factory, on=date(2026, 1, 5), passed=True)
    check(make, factory, on=date(2026, 2, 20), passed=False, no_debt=False)
    db.session.commit()

    page = text_of(client.get(f"/employers/{factory.id}"))

    assert page.index("20/02/2026") < page.index("05/01/2026")
    assert "wages not paid on time, debt owed to the employer" in page
    assert "failed its latest check of safe working conditions on 20/02/2026" in page


def _place(client, case, to, **overrides):
    return client.post(f"/cases/{case.id}/placements/new", data=placement_form(to, **overrides))


def test_an_employer_never_checked_cannot_receive_a_placement(client, officer, factory, case):
    response = _place(client, case, factory)

    assert response.status_code == 200
    [message] = field_errors(response, "employer")
    assert "has no check of safe working conditions yet" in message
    assert count(Placement) == 0


def test_an_employer_whose_latest_check_failed_cannot_receive_a_placement(
    client, make, officer, factory, case
):
    check(make, factory, on=date(2026, 1, 5), passed=True)
    check(make, factory, on=date(2026, 2, 20), passed=False)
    db.session.commit()

    response = _place(client, case, factory)

    [message] = field_errors(response, "employer")
    assert "failed its latest check of safe working conditions on 20/02/2026" in message
    assert "wages not paid on time" in message
    assert count(Placement) == 0


def test_a_new_passing_check_lifts_the_block(client, make, officer, factory, case):
    check(make, factory, on=date(2026, 2, 20), passed=False)
    db.session.commit()

    refused = _place(client, case, factory)
    client.post(f"/employers/{factory.id}/checks", data=check_form(checked_on="12/03/2026"))
    accepted = _place(client, case, factory)

    assert refused.status_code == 200
    assert accepted.status_code == 302
    assert count(Placement) == 1


def test_a_check_recorded_the_same_day_after_a_failure_decides(
    client, make, officer, factory, case
):
    check(make, factory, on=date(2026, 3, 10), passed=False)
    check(make, factory, on=date(2026, 3, 10), passed=True)
    db.session.commit()

    assert _place(client, case, factory).status_code == 302
    placed = db.session.scalars(select(Placement).where(Placement.case_id == case.id)).all()
    assert [placement.employer_id for placement in placed] == [factory.id]


def test_a_back_dated_passing_check_does_not_lift_a_later_failure(
    client, make, officer, factory, case
):
    check(make, factory, on=date(2026, 3, 1), passed=False)
    db.session.commit()

    client.post(f"/employers/{factory.id}/checks", data=check_form(checked_on="01/02/2026"))
    response = _place(client, case, factory)

    assert "failed its latest check" in field_errors(response, "employer")[0]
    assert count(Placement) == 0


def test_employer_list_shows_whether_each_employer_may_receive_placements(client, make, officer):
    employer(make, name="Hợp tác xã Chưa kiểm tra")
    failed = employer(make, name="Cơ sở Trượt kiểm tra")
    check(make, failed, passed=False)
    passed = employer(make, name="Công ty Đạt kiểm tra")
    check(make, passed, passed=True)
    db.session.commit()

    page = text_of(client.get("/employers/"))

    def row(name: str) -> str:
        start = page.index(name)
        return page[start : page.index("</tr>", start)]

    assert "Not checked" in row("Hợp tác xã Chưa kiểm tra")
    assert "Failed" in row("Cơ sở Trượt kiểm tra")
    assert "Passed" in row("Công ty Đạt kiểm tra")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"checked_on": ""}, "checked_on", "This field is required."),
        ({"checked_on": "31/02/2026"}, "checked_on", "Write the date as dd/mm/yyyy."),
        ({"checked_on": "16/03/2026"}, "checked_on", "This date is in the future."),
        ({"checked_by": ""}, "checked_by", "This field is required."),
        ({"checked_by": "x" * 201}, "checked_by", "Field cannot be longer than 200 characters."),
        ({"written_contract": ""}, "written_contract", "This field is required."),
        ({"wages_on_time": "maybe"}, "wages_on_time", "Not a valid choice."),
        ({"no_withheld_documents": ""}, "no_withheld_documents", "This field is required."),
        ({"no_debt": ""}, "no_debt", "This field is required."),
        ({"safe_housing": ""}, "safe_housing", "This field is required."),
        ({"note": "x" * 2001}, "note", "Field cannot be longer than 2000 characters."),
    ],
)
def test_bad_check_input_is_shown_beside_the_field_and_nothing_is_saved(
    client, officer, factory, overrides, field, message
):
    response = client.post(f"/employers/{factory.id}/checks", data=check_form(**overrides))

    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert form_errors(response)  # the page says nothing was saved
    assert count(EmployerCheck) == 0
