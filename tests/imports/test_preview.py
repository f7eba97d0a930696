"""Uploading a file: every row is checked, the preview lists each problem, nothing is saved."""

from datetime import date

from flask_babel import lazy_gettext as _l

from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.imports.columns import in_both_languages
from reintegration.shelter.models import Stay
from tests.helpers import count, in_english, text_of
from tests.imports.helpers import (
    EN,
    VI,
    people,
    person,
    problems,
    token_of,
    upload,
    words,
    workbook,
)

# Three wrong rows among 200: a date typed as text in another order, a sex the lists do not
# know, and a discharge before the admission, which only the shelter's rules catch.
WRONG = {
    "row21": {"Date received": "2025-01-20"},
    "row76": {"Sex": "F"},
    "row152": {"Date of discharge": date(2025, 5, 1)},
}


# What the preview says of them, in the language of the catalog.
TEXT_DATE = _l(
    "The date is written as text that is not dd/mm/yyyy: write it like 05/03/2026, or enter it "
    "as a date."
)
NOT_ALLOWED = _l(
    "“%(value)s” is not an allowed value: see the sheet “%(sheet)s”.",
    value="F",
    sheet=_l("Allowed values"),
)
BEFORE_ADMISSION = _l("Discharge cannot come before admission (%(day)s).", day="02/06/2025")


def _vietnamese(message) -> str:
    return in_both_languages(message)["vi"]


def test_preview_lists_exactly_the_wrong_rows_in_the_readers_language(client, staff, facility):
    token = token_of(upload(client, workbook(people(200, **WRONG)), facility))

    vietnamese = client.get(f"/imports/{token}")
    in_english(client)
    english = client.get(f"/imports/{token}")

    assert english.status_code == 200
    assert problems(english) == [
        (
            "21",
            "I · Date received",
            "The date is written as text that is not dd/mm/yyyy: write it like 05/03/2026, or "
            "enter it as a date.",
        ),
        ("76", "B · Sex", "“F” is not an allowed value: see the sheet “Allowed values”."),
        ("152", "S · Date of discharge", "Discharge cannot come before admission (02/06/2025)."),
    ]
    assert problems(vietnamese) == [
        ("21", "I · Ngày tiếp nhận", _vietnamese(TEXT_DATE)),
        ("76", "B · Giới tính", _vietnamese(NOT_ALLOWED)),
        ("152", "S · Ngày rời cơ sở", _vietnamese(BEFORE_ADMISSION)),
    ]
    assert "3 rows have problems." in text_of(english)
    assert "Import 200 cases" not in text_of(english)
    assert (count(Case), count(Stay)) == (0, 0)


def test_nothing_is_saved_by_a_preview(client, staff, facility):
    upload(client, workbook(people(20)), facility)

    assert (count(Case), count(Stay)) == (0, 0)


def test_a_file_with_every_row_right_offers_to_import_them_all(client, staff, facility):
    in_english(client)

    response = client.get(f"/imports/{token_of(upload(client, workbook(people(30)), facility))}")

    page = text_of(response)
    assert problems(response) == []
    assert "Every row is right: 30 cases to import." in page
    assert "Shelter stays: 20." in page
    assert "Import 30 cases" in page


def test_vietnamese_headers_are_read_as_well(client, staff, facility):
    vietnamese = [{vi: row.get(en) for en, vi in zip(EN, VI, strict=True)} for row in people(3)]
    in_english(client)

    response = client.get(
        f"/imports/{token_of(upload(client, workbook(vietnamese, headers=VI), facility))}"
    )

    assert "Import 3 cases" in text_of(response)


def test_an_existing_case_with_the_same_name_and_birth_date_is_flagged(
    client, make, staff, facility
):
    existing = make.case(facility, full_name="Nguyen Thi Thu 007", date_of_birth=date(1992, 8, 8))
    db.session.commit()
    in_english(client)

    response = client.get(f"/imports/{token_of(upload(client, workbook(people(10)), facility))}")

    page = text_of(response)
    assert "Possible duplicates" in page
    assert f"Row 8: {existing.code}" in words(response)
    assert "The possible duplicates are different people" in page


def test_two_rows_of_the_same_person_are_flagged(client, staff, facility):
    rows = people(5)
    rows[4].update({"Full name": rows[1]["Full name"], "Date of birth": rows[1]["Date of birth"]})
    in_english(client)

    response = client.get(f"/imports/{token_of(upload(client, workbook(rows), facility))}")

    assert "Row 6: possibly the same person as row 3." in words(response)


def test_columns_outside_the_template_are_named_and_ignored(client, staff, facility):
    rows = [dict(person(1), Notes="x")]
    in_english(client)

    token = token_of(upload(client, workbook(rows, headers=[*EN, "Notes"]), facility))
    response = client.get(f"/imports/{token}")

    assert "were ignored: Notes." in text_of(response)


def test_a_title_above_the_headers_and_a_total_below_the_rows_are_skipped(client, staff, facility):
    def title_and_total(sheet):
        sheet.insert_rows(1)
        sheet["A1"] = "DANH SÁCH NẠN NHÂN TIẾP NHẬN NĂM 2025"
        sheet.cell(row=sheet.max_row + 1, column=len(EN) + 1, value="Tổng: 4")

    in_english(client)
    data = workbook(people(4), setup=title_and_total)

    response = client.get(f"/imports/{token_of(upload(client, data, facility))}")

    assert "Every row is right: 4 cases to import." in text_of(response)
