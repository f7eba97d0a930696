"""The facility page: residents with their day counts, places used, this month's movements."""

import re
from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.shelter import services as shelter
from tests.helpers import in_english, row_of, section, sign_in, text_of


@pytest.fixture
def facility(make):
    return make.facility(capacity=5, stay_days=60, name="Ngôi nhà Bình yên Nghệ An")


@pytest.fixture
def people(make, facility):
    """Stays at the facility, seen on 15 March 2026."""
    home = make.item(ListKind.DESTINATION, "HOME")
    by = make.user(Role.ADMIN, username="thuky")

    def stay(admitted_on, discharged_on=None, name=None):
        case = make.case(facility, received_on=admitted_on, full_name=name or "Lục Thị Dung")
        made = make.stay(case, admitted_on=admitted_on)
        if discharged_on:
            shelter.discharge(made, discharged_on, home, "Xã Con Cuông", "", by)
        return case

    cases = {
        "february": stay(date(2026, 2, 20), name="Kha Thị Liên"),
        "march": stay(date(2026, 3, 2), name="Lầu Thị Dợ"),
        "left_in_march": stay(date(2026, 2, 1), date(2026, 3, 10), name="Vừ Thị Chá"),
        "left_in_february": stay(date(2026, 1, 5), date(2026, 2, 25), name="Moong Thị Hà"),
        "overstayed": stay(date(2026, 1, 5), name="Xeo Thị Pằng"),
    }
    db.session.commit()
    return cases


def _card(page: str, label: str) -> str:
    match = re.search(r">\s*([^<>]+?)\s*</div>\s*<div>" + re.escape(label) + "</div>", page)
    assert match, f"no card {label!r}"
    return match.group(1)


def _open(client, make, auth, facility, role=Role.SHELTER_STAFF):
    user = make.user(role, facility=facility) if role == Role.SHELTER_STAFF else make.user(role)
    sign_in(auth, user)
    in_english(client)
    response = client.get(f"/facilities/{facility.id}")
    assert response.status_code == 200
    return response


def test_places_used_out_of_capacity(client, make, auth, facility, people):
    page = text_of(_open(client, make, auth, facility))

    assert _card(page, "Places used") == "3 / 5"


def test_current_residents_with_their_day_counts(client, make, auth, facility, people):
    response = _open(client, make, auth, facility)

    residents = section(response, "Current residents", "</table>")
    assert "Day 24 of 60" in row_of(response, people["february"].code)
    assert "Day 14 of 60" in row_of(response, people["march"].code)
    assert "Day 70 of 60" in row_of(response, people["overstayed"].code)
    assert people["left_in_march"].code not in residents
    assert people["left_in_february"].code not in residents


def test_residents_past_their_planned_end_are_counted_and_marked(
    client, make, auth, facility, people
):
    response = _open(client, make, auth, facility)

    assert _card(text_of(response), "Past the planned end") == "1"
    assert "table-danger" in row_of(response, people["overstayed"].code)
    assert "table-danger" not in row_of(response, people["february"].code)


def test_arrivals_and_discharges_of_this_month(client, make, auth, facility, people):
    response = _open(client, make, auth, facility)
    page = text_of(response)

    arrivals = section(response, '<h2 class="h5">Arrivals this month</h2>', "</ul>")
    discharges = section(response, '<h2 class="h5">Discharges this month</h2>', "</ul>")
    assert _card(page, "Arrivals this month") == "1"
    assert _card(page, "Discharges this month") == "1"
    assert people["march"].code in arrivals
    assert people["february"].code not in arrivals
    assert people["left_in_march"].code in discharges
    assert "10/03/2026" in discharges
    assert people["left_in_february"].code not in discharges


def test_this_month_follows_the_clock(client, make, auth, facility, people, frozen_clock):
    frozen_clock.set(date(2026, 4, 2))
    newcomer = make.case(facility, received_on=date(2026, 4, 1), full_name="Lò Thị Tiên")
    make.stay(newcomer, admitted_on=date(2026, 4, 1))
    db.session.commit()

    response = _open(client, make, auth, facility)
    page = text_of(response)

    assert _card(page, "Arrivals this month") == "1"
    assert _card(page, "Discharges this month") == "0"
    assert newcomer.code in section(response, '<h2 class="h5">Arrivals this month</h2>', "</ul>")
    assert _card(page, "Places used") == "4 / 5"


def test_a_full_facility_shows_its_places_in_red(client, make, auth):
    small = make.facility(capacity=1)
    make.stay(make.case(small))
    db.session.commit()

    page = text_of(_open(client, make, auth, small))

    assert re.search(r'<div class="display-6 text-danger">\s*1 / 1\s*</div>', page)


def test_an_empty_facility(client, make, auth):
    empty = make.facility(capacity=12)

    page = text_of(_open(client, make, auth, empty))

    assert _card(page, "Places used") == "0 / 12"
    assert "No one is staying here now." in page


def test_facility_list_shows_residents_out_of_capacity(client, make, auth, facility, people):
    sign_in(auth, make.user(Role.ADMIN))

    page = text_of(client.get("/facilities/"))

    assert re.search(r">\s*3 / 5\s*</td>", page)


def test_the_facility_page_shows_the_placement_rate_of_the_cases_it_manages(client, make, auth):
    from reintegration.employers.models import Employer, EmployerKind
    from reintegration.employment.models import ContractType, Placement

    facility = make.facility(province="NA")
    placed = make.case(facility)
    make.case(facility)  # managed there, not placed
    employer = Employer(
        name="Hợp tác xã Bản Lả", kind=EmployerKind.COOPERATIVE, province=make.province("NA")
    )
    db.session.add(employer)
    db.session.flush()
    db.session.add(
        Placement(
            case_id=placed.id,
            employer_id=employer.id,
            position="Thợ dệt",
            start_on=date(2026, 3, 14),
            monthly_wage=4_000_000,
            in_home_province=True,
            contract_type=ContractType.SEASONAL,
        )
    )
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))
    in_english(client)

    page = " ".join(text_of(client.get(f"/facilities/{facility.id}")).split())

    assert "Placement rate: 50%" in page
    assert "(1/2," in page
