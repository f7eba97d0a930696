"""Files that cannot be imported as a whole get a clear message on the upload page, never a 500."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from reintegration.cases.models import Case
from reintegration.imports import parse, services
from tests.helpers import count, in_english
from tests.imports.helpers import EN, file_error, people, upload, workbook

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.fixture(autouse=True)
def english(client, staff):
    in_english(client)


def _refused(client, facility, data: bytes) -> str:
    response = upload(client, data, facility)
    assert response.status_code == 400
    assert count(Case) == 0
    return file_error(response)


def test_a_csv_file_is_not_an_excel_workbook(client, facility):
    message = _refused(client, facility, b"Full name,Sex\nA,B\n")

    assert message.startswith("This is not an Excel workbook (.xlsx).")


def test_a_zip_that_is_not_a_workbook_is_refused(client, facility):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("notes.txt", "hello")

    assert _refused(client, facility, archive.getvalue()).startswith("This is not an Excel")


def test_a_damaged_workbook_is_refused(client, facility):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("xl/workbook.xml", "<not xml")

    assert _refused(client, facility, archive.getvalue()).startswith(
        "The file could not be read as an Excel workbook: it may be damaged."
    )


def test_a_cut_off_file_is_refused(client, facility):
    data = workbook(people(3))

    assert _refused(client, facility, data[: len(data) // 2]).startswith("This is not an Excel")


def test_a_password_protected_workbook_is_refused(client, facility):
    message = _refused(client, facility, OLE + bytes(4096))

    assert message.startswith("This file is protected by a password, or is an old Excel file")


def test_a_file_over_the_limit_is_refused_before_it_is_read(app, client, facility, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    opened = []
    monkeypatch.setattr(parse, "load_workbook", lambda *args, **kw: opened.append(args))

    message = _refused(client, facility, b"PK\x03\x04" + bytes(1024 * 1024 + 10))

    assert message == "The file is larger than 1 MB: split it into several files."
    assert opened == []


def test_a_request_far_over_the_limit_is_refused_unread(app, client, facility, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    monkeypatch.setattr(services, "check_file", None)  # refused before the view runs

    message = _refused(client, facility, bytes(3 * 1024 * 1024))

    assert message == "The file is larger than 1 MB: split it into several files."


def test_a_file_that_unpacks_to_too_much_is_refused(client, facility, monkeypatch):
    monkeypatch.setattr(parse, "MAX_UNPACKED_BYTES", 10_000)

    message = _refused(client, facility, workbook(people(50)))

    assert message.startswith("The file holds too much to import at once: at most 500 rows.")


def test_more_rows_than_allowed_are_refused(app, client, facility, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 5)

    message = _refused(client, facility, workbook(people(6)))

    assert message == (
        "The file holds too much to import at once: at most 5 rows. Split it into several files."
    )


def test_an_empty_sheet_is_refused(client, facility):
    book = io.BytesIO()
    Workbook().save(book)

    assert (
        _refused(client, facility, book.getvalue()) == "The first sheet of the workbook is empty."
    )


def test_a_sheet_with_headers_only_is_refused(client, facility):
    message = _refused(client, facility, workbook([]))

    assert message == "The first sheet has column headers but no rows to import."


def test_missing_columns_are_named(client, facility):
    left_out = ("Sex", "Date received", "Date of birth", "Estimated birth year")
    headers = [header for header in EN if header not in left_out]

    message = _refused(client, facility, workbook(people(2), headers=headers))

    assert message == (
        "Columns missing from the first sheet: Sex, Date received, Date of birth / Estimated "
        "birth year. Use the headers of the import template."
    )


def test_a_column_given_twice_is_refused(client, facility):
    message = _refused(client, facility, workbook(people(2), headers=[*EN, "Giới tính"]))

    assert message == "The column “Sex” appears twice."


def test_merged_cells_are_refused_with_their_ranges(client, facility):
    def merge(sheet):
        sheet.merge_cells("H3:H4")
        sheet.merge_cells("A6:C6")

    message = _refused(client, facility, workbook(people(6), setup=merge))

    assert message == (
        "The sheet has merged cells (H3:H4, A6:C6). Unmerge them so that every value is in its "
        "own cell, then upload the file again."
    )


def test_no_file_chosen_asks_for_one(client, facility):
    response = client.post(
        "/imports/", data={"facility": str(facility.id)}, content_type="multipart/form-data"
    )

    assert response.status_code == 200
    assert file_error(response) == "Choose the spreadsheet to upload."


def test_a_huge_upload_is_refused_before_the_csrf_check_reads_it(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)

    response = client.post(
        "/imports/",
        data={"spreadsheet": (io.BytesIO(bytes(3 * 1024 * 1024)), "cases.xlsx")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert file_error(response) == "The file is larger than 1 MB: split it into several files."


def test_borders_drawn_far_down_an_empty_column_do_not_count_as_rows(client, staff, facility):
    from openpyxl.styles import Border, Side

    def borders(sheet):
        line = Side(style="thin")
        for row in range(1, 1201):
            sheet.cell(row=row, column=1).border = Border(bottom=line)

    response = upload(client, workbook(people(5), setup=borders), facility)
    assert response.status_code == 302  # five people to preview, not "too many rows"
