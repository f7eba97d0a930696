"""The check of each cell: dates, lists, the age, the home commune, the stay, the rules."""

from datetime import date

import pytest
from sqlalchemy import select

from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.reference.models import ListItem, ListKind
from tests.helpers import in_english
from tests.imports.helpers import person, problems, token_of, upload, workbook


@pytest.fixture(autouse=True)
def english(client, staff):
    in_english(client)


# Person 1 has a stay; person 3 has none, so the date of reception may move freely.
WITH_STAY, WITHOUT_STAY = 1, 3


def _file(number: int, cells: dict) -> bytes:
    """One person (row 2) whose cells are changed by ``cells`` (underscores for spaces)."""
    changes = {name.replace("_", " "): value for name, value in cells.items()}
    return workbook([person(number, **changes)])


def _problems(client, facility, number=WITH_STAY, **cells) -> list[tuple[str, str, str]]:
    response = client.get(f"/imports/{token_of(upload(client, _file(number, cells), facility))}")
    return problems(response)


def _imported(client, facility, number=WITH_STAY, **cells) -> Case:
    token = token_of(upload(client, _file(number, cells), facility))
    assert client.post(f"/imports/{token}").status_code == 302
    return db.session.scalar(select(Case))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("05/03/2025", date(2025, 3, 5)), ("5/3/2025", date(2025, 3, 5)), (" 28/02/2025 ", None)],
)
def test_text_dates_written_dd_mm_yyyy_are_read_day_first(client, facility, text, expected):
    case = _imported(client, facility, WITHOUT_STAY, Date_received=text, Date_of_consent=text)

    assert case.received_on == (expected or date(2025, 2, 28))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "2025-03-05",
            "The date is written as text that is not dd/mm/yyyy: write it like 05/03/2026, or "
            "enter it as a date.",
        ),
        (
            "5 March 2025",
            "The date is written as text that is not dd/mm/yyyy: write it like 05/03/2026, or "
            "enter it as a date.",
        ),
        ("31/02/2025", "There is no such day: check the day and the month."),
        (
            45000,
            "This is a number, not a date: format the cell as a date, or write the date as "
            "dd/mm/yyyy.",
        ),
        (date(2026, 3, 16), "This date is in the future."),
    ],
)
def test_a_date_that_cannot_be_read_says_which_cell_and_why(client, facility, value, message):
    found = _problems(client, facility, WITHOUT_STAY, Date_received=value)

    assert found == [("2", "I · Date received", message)]


def test_today_is_not_in_the_future(client, facility):
    assert _problems(client, facility, WITHOUT_STAY, Date_received=date(2026, 3, 15)) == []


def test_each_empty_required_cell_is_named(client, facility):
    found = _problems(client, facility, Full_name=" ", Receiving_agency=None, Consent=None)

    assert found == [
        ("2", "A · Full name", "This cell is empty: it is required."),
        ("2", "H · Receiving agency", "This cell is empty: it is required."),
        ("2", "M · Consent", "This cell is empty: it is required."),
    ]


def test_list_values_are_found_by_code_or_name_in_either_language(client, facility):
    case = _imported(
        client,
        facility,
        How_the_person_returned="rescued",
        Country_of_exploitation="CAMPUCHIA",
        Forms_of_exploitation="Cưỡng ép kết hôn;  forced labour ;",
        Identification_status="under_identification_vietnam",
    )

    assert (case.return_route.code, case.exploitation_country.code) == ("RESCUED", "KH")
    assert {item.code for item in case.exploitation_forms} == {"MARRIAGE", "LABOUR"}
    assert case.identification_status.value == "under_identification_vietnam"


def test_an_unknown_value_among_several_is_named(client, facility):
    found = _problems(client, facility, Forms_of_exploitation="Forced labour; Begging")

    assert found == [
        (
            "2",
            "K · Forms of exploitation",
            "“Begging” is not an allowed value: see the sheet “Allowed values”.",
        )
    ]


def test_a_name_shared_by_two_values_asks_for_the_code(client, make, facility):
    db.session.add(
        ListItem(kind=ListKind.COUNTRY, code="CN2", name_vi="Trung Quốc", name_en="Mainland")
    )
    db.session.commit()

    found = _problems(client, facility, Country_of_exploitation="Trung Quoc")

    assert found == [
        (
            "2",
            "J · Country of exploitation",
            "“Trung Quoc” matches several allowed values: write its code, from the sheet "
            "“Allowed values”.",
        )
    ]


def test_the_commune_is_looked_up_in_the_home_province(client, make, facility):
    make.commune(make.province("HT"), name="Xã Cẩm Xuyên")
    db.session.commit()

    found = _problems(client, facility, Home_commune_or_ward="Xã Cẩm Xuyên")

    assert found == [
        ("2", "F · Home commune or ward", "This is not a commune or ward of the home province.")
    ]


def test_an_estimated_birth_year_replaces_the_date_of_birth(client, facility):
    case = _imported(client, facility, Date_of_birth=None, Estimated_birth_year=1998)

    assert (case.date_of_birth, case.estimated_birth_year) == (None, 1998)


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        (
            {"Estimated_birth_year": "1998"},
            (
                "D · Estimated birth year",
                "Give either the date of birth or an estimated birth year, not both.",
            ),
        ),
        (
            {"Date_of_birth": None},
            ("C · Date of birth", "Give the date of birth or an estimated birth year."),
        ),
        (
            {"Date_of_birth": None, "Estimated_birth_year": "98"},
            ("D · Estimated birth year", "Write the year with four digits, for example 1998."),
        ),
        (
            {"Date_of_birth": None, "Estimated_birth_year": 2030},
            ("D · Estimated birth year", "The year must be between 1900 and 2026."),
        ),
    ],
)
def test_the_age_needs_one_of_birth_date_and_year(client, facility, cells, problem):
    assert _problems(client, facility, **cells) == [("2", *problem)]


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        (
            {"Date_of_admission": None},
            ("Q · Date of admission", "Give the date of admission: other stay cells are filled."),
        ),
        (
            {"Destination": None},
            ("T · Destination", "Give the destination: the person was discharged."),
        ),
        (
            {"Date_of_discharge": None},
            ("S · Date of discharge", "Give the date of discharge: a destination is given."),
        ),
        (
            {"Planned_end": date(2025, 1, 3)},
            ("R · Planned end", "The planned end must come after the admission."),
        ),
        (
            {"Planned_end": date(2025, 6, 1)},
            (
                "R · Planned end",
                "Essential-needs support lasts at most 120 days from admission: the stay cannot "
                "end after 03/05/2025.",
            ),
        ),
        (
            {"Date_of_admission": date(2025, 1, 1)},
            ("Q · Date of admission", "Admission cannot come before the person was received."),
        ),
    ],
)
def test_the_stay_follows_the_shelter_rules(client, facility, cells, problem):
    assert _problems(client, facility, **cells) == [("2", *problem)]


def test_an_open_stay_is_imported_as_a_resident(client, facility):
    case = _imported(client, facility, Date_of_discharge=None, Destination=None)

    assert case.open_stay.facility == facility


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        (
            {"What_the_consent_covers": None},
            ("O · What the consent covers", "Tick what the consent covers."),
        ),
        (
            {"What_the_consent_covers": "sharing"},
            ("P · Agencies shared with", "Name the agencies the data may be shared with."),
        ),
        (
            {"Consent": "Refused"},
            ("O · What the consent covers", "Consent was refused: it cannot cover anything."),
        ),
    ],
)
def test_consent_follows_the_intake_rules(client, facility, cells, problem):
    assert _problems(client, facility, **cells) == [("2", *problem)]


def test_a_too_long_name_is_refused_without_repeating_it(client, facility):
    found = _problems(client, facility, Full_name="Trần " * 50)

    assert found == [("2", "A · Full name", "At most 200 characters.")]
