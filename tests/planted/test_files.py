"""A text a user typed never runs as a formula in a file the app writes, and names no file.

Excel and LibreOffice run a cell that starts with "=", "+", "-" or "@" (or a tab or a line
break before one) as a formula once it is edited (OWASP, CSV injection): every text of every
workbook is a text cell with Excel's text marker, read back as it was typed; numbers, negative
amounts included, stay numbers. The name of a download holds codes and dates only, never a
line break or a quote that would break its header.
"""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from reintegration.auth.models import Role
from reintegration.exports.sealed import new_workbook
from reintegration.exports.workbook import Column, Kind, SummarySheet, TableSheet
from reintegration.extensions import db
from tests.conftest import Factory
from tests.exports.workbook_helpers import PERIOD, place_value
from tests.helpers import sign_in
from tests.inputs.world import build_world

from .plant import formula, log_in, plant_everywhere, planting

# Typed, and as a reader of the workbook sees it (a carriage return is a line break there).
TYPED = {
    "=1+1": "=1+1",
    '=HYPERLINK("http://x.example","Mở")': '=HYPERLINK("http://x.example","Mở")',
    "+84 912 345 678": "+84 912 345 678",
    "-2+3": "-2+3",
    "@SUM(A1:A9)": "@SUM(A1:A9)",
    "\t=1+1": "\t=1+1",
    "\r=1+1": "\n=1+1",
    "\n=1+1": "\n=1+1",
    "#N/A": "#N/A",
}
# The formulas the app writes itself: its totals and shares.
OWN_FORMULA = re.compile(r"^=(SUM|IF)\(")


def _saved(book) -> "load_workbook":
    stream = io.BytesIO()
    book.save(stream)
    return load_workbook(io.BytesIO(stream.getvalue()))


def _assert_text(cell, expected: str) -> None:
    assert (cell.value, cell.data_type) == (expected, "s"), repr(expected)
    if expected.startswith(("=", "+", "-", "@", "\t", "\n")):
        assert cell.quotePrefix, repr(expected)


@pytest.mark.parametrize("typed", TYPED)
def test_the_workbook_writer_keeps_a_formula_looking_text_as_text(app, typed):
    with app.test_request_context():
        book = new_workbook()
        table = TableSheet(
            book,
            "Bảng",
            [Column("Text", lambda row: row[0]), Column("Amount", lambda r: r[1], Kind.MONEY)],
        )
        table.fill([(typed, -5000), (typed, 12_000)])
        summary = SummarySheet(book, "Tóm tắt")
        summary.line(typed, typed)
        summary.table("Bảng nhỏ", ["Số"], [(typed, -3)], [Kind.COUNT])
        summary.note(typed)
        read = _saved(book)

    rows = list(read["Bảng"].iter_rows(min_row=2, max_row=3))
    for text, amount in rows:
        _assert_text(text, TYPED[typed])
        assert amount.data_type == "n"
    assert [amount.value for _text, amount in rows] == [-5000, 12_000]
    lines = list(read["Tóm tắt"].iter_rows())
    _assert_text(lines[0][0], TYPED[typed])
    _assert_text(lines[0][1], TYPED[typed])
    _assert_text(lines[2][0], TYPED[typed])
    assert (lines[2][1].value, lines[2][1].data_type) == (-3, "n")
    _assert_text(lines[5][0], TYPED[typed])


def _every_cell(book):
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def _assert_no_planted_formula(book) -> int:
    """Every planted text is a text cell, as typed; the only formulas are the app's own."""
    planted = 0
    for cell in _every_cell(book):
        if cell.data_type == "f":
            assert OWN_FORMULA.match(str(cell.value)), f"{cell.coordinate}: {cell.value!r}"
        elif isinstance(cell.value, str) and "x.example" in cell.value:
            planted += 1
            assert cell.data_type == "s", f"{cell.coordinate}: {cell.value!r}"
            assert cell.quotePrefix, f"{cell.coordinate}: {cell.value!r}"
            assert cell.value[0] in "=+-@", f"{cell.coordinate}: {cell.value!r}"
    return planted


def test_no_text_of_the_support_workbook_runs_as_a_formula(client):
    """Every text a user typed, of every record, starts like a formula; the workbook with
    names holds them all as text."""
    with planting(formula):
        world = build_world(Factory())
    db.session.commit()
    log_in(client, world.usernames[Role.PROVINCIAL_OFFICER])
    province = f"province-{world.ids['province_id']}"

    response = client.post(
        "/exports/support",
        data={"place": province, **PERIOD, "with_names": "y", "reason": "Kiểm tra"},
    )

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert _assert_no_planted_formula(load_workbook(io.BytesIO(response.data))) > 20


def test_no_list_value_of_the_import_template_runs_as_a_formula(client, auth, make):
    make.commune(make.province("NA"))
    plant_everywhere(formula)
    db.session.commit()
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=make.facility("NA")))

    response = client.get("/imports/template.xlsx")

    assert response.status_code == 200
    assert _assert_no_planted_formula(load_workbook(io.BytesIO(response.data))) > 20


# The names of downloads.

_DISPOSITION = re.compile(r'^attachment; filename="?[A-Za-z0-9._-]+"?(; filename\*=[^"\r\n]+)?$')


def test_a_download_named_after_a_facility_holds_its_code_only(client, auth, make):
    """A code an older release let through, holding a line break, quotes and HTML, cannot add
    a header or break the name; the file names no person."""
    facility = make.facility("NA", code='A"\r\nSet-Cookie:x<b>')
    case = make.case(facility, full_name="Lò Thị Hằng")
    make.stay(case)
    db.session.commit()
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))

    response = client.post(
        "/exports/support",
        data={"place": place_value(facility), **PERIOD, "with_names": "y", "reason": "Kiểm tra"},
    )

    disposition = response.headers["Content-Disposition"]
    assert _DISPOSITION.match(disposition), disposition
    assert all(cookie.startswith("session=") for cookie in response.headers.getlist("Set-Cookie"))
    assert "Hằng" not in disposition
    assert "Hang" not in disposition
    assert "filename=support-ASET-COOKIEXB-2026-01-01-2026-03-15.xlsx" in disposition


@pytest.mark.parametrize(
    ("address", "role"),
    [("/imports/template.xlsx", Role.SHELTER_STAFF)],
)
def test_other_downloads_have_fixed_names(client, auth, make, address, role):
    facility = make.facility("NA")
    sign_in(auth, make.user(role, facility=facility))

    response = client.get(address)

    assert _DISPOSITION.match(response.headers["Content-Disposition"])


def test_the_dataset_is_named_by_its_rule_and_day(client, auth, make):
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))

    response = client.post("/exports/dataset", data={"file_format": "csv"})

    disposition = response.headers["Content-Disposition"]
    assert _DISPOSITION.match(disposition), disposition
    assert f"-{date(2026, 3, 15).isoformat()}.csv" in disposition
