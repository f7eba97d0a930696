"""'Day N of M' across month ends, days remaining and the overstayed flag."""

from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.shelter import services as shelter
from tests.helpers import in_english, row_of, sign_in, text_of


@pytest.fixture
def facility(make):
    return make.facility(stay_days=60)


def _resident(make, facility, admitted_on):
    case = make.case(facility, received_on=admitted_on, consent_date=admitted_on)
    return case, make.stay(case, admitted_on=admitted_on)


def _case_page(client, make, auth, case) -> str:
    sign_in(auth, make.user(Role.ADMIN))
    in_english(client)
    return text_of(client.get(f"/cases/{case.id}"))


def test_day_counter_runs_across_a_31_day_month(client, make, auth, facility, frozen_clock):
    frozen_clock.set(date(2026, 3, 1))
    case, _stay = _resident(make, facility, date(2026, 1, 30))

    page = _case_page(client, make, auth, case)

    assert "Day 31 of 60" in page
    assert "30 days remaining" in page


def test_day_counter_runs_across_a_28_day_february(client, make, auth, facility, frozen_clock):
    frozen_clock.set(date(2026, 3, 1))
    case, _stay = _resident(make, facility, date(2026, 2, 1))

    page = _case_page(client, make, auth, case)

    assert "Day 29 of 60" in page
    assert "32 days remaining" in page


@pytest.mark.parametrize(
    ("today", "day_number", "remaining"),
    [
        (date(2026, 1, 30), 1, 60),
        (date(2026, 1, 31), 2, 59),
        (date(2026, 2, 1), 3, 58),
        (date(2026, 2, 28), 30, 31),
        (date(2026, 3, 1), 31, 30),
        (date(2026, 3, 31), 61, 0),
        (date(2026, 4, 1), 62, -1),
    ],
)
def test_day_number_and_days_remaining_on_each_side_of_month_ends(
    make, facility, frozen_clock, today, day_number, remaining
):
    frozen_clock.set(today)
    _case, stay = _resident(make, facility, date(2026, 1, 30))

    assert stay.planned_end == date(2026, 3, 31)
    assert stay.day_number() == day_number
    assert stay.days_remaining() == remaining
    assert stay.is_overstayed() == (remaining < 0)


def test_the_day_after_the_planned_end_is_overstayed(client, make, auth, facility, frozen_clock):
    frozen_clock.set(date(2026, 4, 1))
    case, _stay = _resident(make, facility, date(2026, 1, 30))
    sign_in(auth, make.user(Role.ADMIN))
    in_english(client)

    response = client.get("/cases/")

    row = row_of(response, case.code)
    assert "table-danger" in row
    assert "Day 62 of 60" in row
    assert "past the planned end" in row


def test_on_the_planned_end_the_stay_is_not_yet_overstayed(
    client, make, auth, facility, frozen_clock
):
    frozen_clock.set(date(2026, 3, 31))
    case, _stay = _resident(make, facility, date(2026, 1, 30))
    sign_in(auth, make.user(Role.ADMIN))

    response = client.get("/cases/")

    assert "table-danger" not in row_of(response, case.code)


def test_a_discharged_stay_stops_counting(client, make, auth, facility, frozen_clock):
    case, stay = _resident(make, facility, date(2026, 3, 1))
    admin = make.user(Role.ADMIN)
    shelter.discharge(
        stay, date(2026, 3, 10), make.item(ListKind.DESTINATION, "HOME"), "Xã Quỳ Hợp", "", admin
    )
    db.session.commit()

    page = _case_page(client, make, auth, case)

    assert "Day 10 of 60" in page
    assert "days remaining" not in page


def test_an_extension_changes_m(client, make, auth, facility):
    case, stay = _resident(make, facility, date(2026, 3, 1))
    shelter.extend(stay, date(2026, 5, 20), "Chờ giấy tờ", "Giám đốc", make.user(Role.ADMIN))
    db.session.commit()

    page = _case_page(client, make, auth, case)

    assert "Day 15 of 80" in page
    assert "66 days remaining" in page
