"""The import template: the columns, the allowed values, and a filled template reads back."""

import io

from openpyxl import load_workbook

from tests.helpers import in_english, text_of
from tests.imports.helpers import EN, VI, person, token_of, upload


def _template(client):
    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.data))


def _values(sheet) -> set:
    return {cell for row in sheet.iter_rows(values_only=True) for cell in row if cell}


def test_the_template_has_the_columns_and_the_allowed_values(client, staff):
    in_english(client)

    book = _template(client)

    assert book.sheetnames == ["Cases", "Allowed values"]
    assert [cell.value for cell in book["Cases"][1]] == EN
    values = _values(book["Allowed values"])
    assert {"Nghệ An", "Nghe An", "NA", "Bilateral handover", "HANDOVER", "Female", "Nữ"} <= values
    assert {"Identified victim", "Given", "storage", "Home with family", "Trung Quốc"} <= values


def test_the_template_speaks_the_readers_language(client, staff):
    book = _template(client)

    assert [cell.value for cell in book.worksheets[0][1]] == VI
    assert book.worksheets[1]["A2"].value == "Giới tính"


def test_communes_are_listed_with_their_province(client, make, staff):
    make.commune(make.province("HT"), name="Xã Cẩm Xuyên")
    in_english(client)

    rows = list(_template(client)["Allowed values"].iter_rows(values_only=True))

    assert any(row[8:11] == ("Xã Cẩm Xuyên", "Xã Cẩm Xuyên", "Ha Tinh") for row in rows)


def test_list_columns_offer_the_allowed_values_as_a_drop_down(client, staff):
    in_english(client)

    validations = _template(client)["Cases"].data_validations.dataValidation

    formulas = {str(validation.sqref): validation.formula1 for validation in validations}
    assert formulas["B2:B501"] == "'Allowed values'!$A$4:$A$6"


def test_a_filled_template_is_read_back(client, staff, facility):
    book = _template(client)
    sheet = book.worksheets[0]
    for number in (1, 2):
        row = person(number)
        sheet.append([row.get(header) for header in EN])
    buffer = io.BytesIO()
    book.save(buffer)
    in_english(client)

    response = client.get(f"/imports/{token_of(upload(client, buffer.getvalue(), facility))}")

    assert "Every row is right: 2 cases to import." in text_of(response)


def test_a_list_value_that_looks_like_a_formula_is_written_as_text(client, staff, make):
    from reintegration.extensions import db
    from reintegration.reference.models import ListItem, ListKind

    db.session.add(
        ListItem(kind=ListKind.COUNTRY, code="ZZ", name_vi="=HYPERLINK(1)", name_en="=HYPERLINK(1)")
    )
    db.session.commit()
    sheet = _template(client).worksheets[1]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
    assert cells
    assert all(cell.data_type == "s" for cell in cells)
