"""Each cell of a table sheet keeps its own value and format, row after row, whatever the values
before it in its column."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook

from reintegration.exports.sealed import new_workbook
from reintegration.exports.workbook import Column, Kind, TableSheet

ROWS = [
    (date(2026, 3, 2), 60_000, "Trung tâm", 3),
    (date(2026, 3, 3), None, "=1+1", 1_200),
    (datetime(2026, 3, 4, 10, 30), 250_000, "dòng một\r\ndòng\x07 hai", None),
    (date(2026, 3, 5), Decimal("1500000"), "#N/A", 7),
    (None, 500_000, None, 12),
    (date(2026, 3, 6), 0, "Nhà\x1b an toàn", 0),
]
COLUMNS = [
    Column("Day", lambda row: row[0], Kind.DAY),
    Column("Amount", lambda row: row[1], Kind.MONEY),
    Column("Place", lambda row: row[2]),
    Column("Days", lambda row: row[3], Kind.COUNT),
]


def _written(app) -> list[tuple]:
    with app.test_request_context():
        book = new_workbook()
        TableSheet(book, "Table", COLUMNS).fill(ROWS)
        buffer = BytesIO()
        book.save(buffer)
    sheet = load_workbook(BytesIO(buffer.getvalue())).worksheets[0]
    return [
        tuple((cell.value, cell.number_format, cell.data_type) for cell in row)
        for row in sheet.iter_rows(min_row=2, max_row=len(ROWS) + 1, max_col=len(COLUMNS))
    ]


def test_every_row_has_its_own_value_in_its_column_format(app):
    written = _written(app)

    assert [row[0][:2] for row in written] == [
        (datetime(2026, 3, 2), "dd/mm/yyyy"),
        (datetime(2026, 3, 3), "dd/mm/yyyy"),
        (datetime(2026, 3, 4, 10, 30), "dd/mm/yyyy"),
        (datetime(2026, 3, 5), "dd/mm/yyyy"),
        (None, "General"),
        (datetime(2026, 3, 6), "dd/mm/yyyy"),
    ]
    dong = '#,##0" ₫"'
    assert [row[1][:2] for row in written] == [
        (60_000, dong),
        (None, "General"),
        (250_000, dong),
        (1_500_000, dong),
        (500_000, dong),
        (0, dong),
    ]
    assert [row[3][:2] for row in written] == [
        (3, "#,##0"),
        (1_200, "#,##0"),
        (None, "General"),
        (7, "#,##0"),
        (12, "#,##0"),
        (0, "#,##0"),
    ]


def test_text_between_formatted_cells_stays_text_without_control_characters(app):
    places = [row[2] for row in _written(app)]

    assert [value for value, _format, _type in places] == [
        "Trung tâm",
        "=1+1",
        "dòng một\ndòng hai",
        "#N/A",
        None,
        "Nhà an toàn",
    ]
    assert {data_type for value, _format, data_type in places if value is not None} == {"s"}
