"""Reading an uploaded workbook: its first sheet, where each known column is, its rows.

``read_sheet`` refuses a file that cannot be read as a whole (with ``FileRefused``); the rows
are checked one by one in rows.py. Nothing here writes to the database.
"""

import io
import warnings
import zipfile
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..text import fold
from .columns import AGE_COLUMNS, BY_KEY, COLUMNS

# An encrypted workbook (Excel's "protect with password") is an OLE compound file, as is the old
# .xls format; an .xlsx is a zip.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# The XML of a sheet of IMPORT_MAX_ROWS rows, however formatted, stays well below this. Beyond
# it the file is a zip bomb, and loading it would take the server's memory.
MAX_UNPACKED_BYTES = 16 * 1024 * 1024
# The header is looked for in the first rows, so that a title above it is allowed.
HEADER_SEARCH_ROWS = 10
SHOWN_RANGES = 5


class FileRefused(Exception):
    """The file as a whole cannot be imported; ``message`` says why, in the reader's words."""

    def __init__(self, message, terse=None):
        super().__init__(str(message))
        self.message = message
        self.terse = terse


def max_megabytes() -> str:
    return f"{current_app.config['IMPORT_MAX_BYTES'] / (1024 * 1024):g}"


def too_large_message():
    return _l(
        "The file is larger than %(size)s MB: split it into several files.", size=max_megabytes()
    )


@dataclass
class Sheet:
    """The first sheet: where each known column is, and the filled rows under the header."""

    columns: dict[str, int]
    letters: dict[str, str]
    ignored: list[str]
    rows: list[tuple[int, dict[str, object]]]


def check_size(data: bytes) -> None:
    if len(data) > current_app.config["IMPORT_MAX_BYTES"]:
        raise FileRefused(too_large_message())


def read_sheet(data: bytes) -> Sheet:
    """The first sheet of an .xlsx file, or ``FileRefused`` saying what is wrong with it."""
    check_size(data)
    if data.startswith(OLE_MAGIC):
        raise FileRefused(
            _l(
                "This file is protected by a password, or is an old Excel file (.xls). Remove "
                "the password or save it as an Excel workbook (.xlsx), then upload it again."
            )
        )
    archive = _archive(data)
    _check_unpacked_size(archive)
    worksheet = _first_worksheet(data)
    _refuse_merged_cells(worksheet)
    return _table(worksheet)


def _not_xlsx() -> FileRefused:
    return FileRefused(
        _l(
            "This is not an Excel workbook (.xlsx). Save the spreadsheet as an Excel workbook "
            "and upload it again."
        )
    )


def _archive(data: bytes) -> zipfile.ZipFile:
    if not data.startswith(ZIP_MAGIC):
        raise _not_xlsx()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise _not_xlsx() from error
    if "xl/workbook.xml" not in archive.namelist():
        raise _not_xlsx()
    return archive


def _too_much_data() -> FileRefused:
    return FileRefused(
        _l(
            "The file holds too much to import at once: at most %(rows)s rows. Split it into "
            "several files.",
            rows=current_app.config["IMPORT_MAX_ROWS"],
        )
    )


def _check_unpacked_size(archive: zipfile.ZipFile) -> None:
    # Every part, whatever its name: openpyxl finds a sheet through the relationships.
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise _too_much_data()


def _first_worksheet(data: bytes):
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it skips (extensions, validations): harmless.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), data_only=True, rich_text=False)
    except Exception as error:  # any failure on a damaged file is the user's to fix, not a 500
        raise FileRefused(
            _l(
                "The file could not be read as an Excel workbook: it may be damaged. Open it, "
                "save it again as an Excel workbook (.xlsx) and upload it again."
            )
        ) from error
    if not workbook.worksheets:
        raise FileRefused(_l("The first sheet of the workbook is empty."))
    return workbook.worksheets[0]


def _refuse_merged_cells(worksheet) -> None:
    ranges = sorted(worksheet.merged_cells.ranges, key=lambda cells: (cells.min_row, cells.min_col))
    if not ranges:
        return
    shown = ", ".join(cells.coord for cells in ranges[:SHOWN_RANGES])
    if len(ranges) > SHOWN_RANGES:
        shown += " …"
    raise FileRefused(
        _l(
            "The sheet has merged cells (%(ranges)s). Unmerge them so that every value is in its "
            "own cell, then upload the file again.",
            ranges=shown,
        )
    )


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(worksheet) -> Sheet:
    header_row, headers = _header(worksheet)
    columns, letters, ignored = _match_headers(headers)
    most = current_app.config["IMPORT_MAX_ROWS"]
    width = max(columns.values())
    rows: list[tuple[int, dict[str, object]]] = []
    for number, values in enumerate(
        worksheet.iter_rows(min_row=header_row + 1, max_col=width, values_only=True),
        start=header_row + 1,
    ):
        cells = {key: values[index - 1] for key, index in columns.items()}
        # A row filled only in columns outside the template (a total, a note) is not a person.
        if all(blank(value) for value in cells.values()):
            continue
        # Filled rows, not the sheet's extent: borders drawn down a column make no people.
        if len(rows) == most:
            raise _too_much_data()
        rows.append((number, cells))
    if not rows:
        raise FileRefused(_l("The first sheet has column headers but no rows to import."))
    return Sheet(columns, letters, ignored, rows)


def _header(worksheet) -> tuple[int, tuple]:
    """The first row that names a column of the template, else the first filled row."""
    first = None
    for number, values in enumerate(
        worksheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
    ):
        filled = [value for value in values if not blank(value)]
        if not filled:
            continue
        if any(_header_key(value) in HEADER_KEYS for value in filled):
            return number, values
        first = first or (number, values)
    if first is None:
        raise FileRefused(_l("The first sheet of the workbook is empty."))
    return first


def _header_key(text) -> str:
    return fold(str(text)).rstrip("* ").strip()


HEADER_KEYS = {
    _header_key(spelling): column.key
    for column in COLUMNS
    for spelling in (column.vi, column.en, column.key)
}


def _match_headers(headers: tuple) -> tuple[dict[str, int], dict[str, str], list[str]]:
    columns: dict[str, int] = {}
    ignored = []
    for index, text in enumerate(headers, start=1):
        if blank(text):
            continue
        key = HEADER_KEYS.get(_header_key(text))
        if key is None:
            ignored.append(str(text).strip())
        elif key in columns:
            raise FileRefused(
                _l("The column “%(column)s” appears twice.", column=BY_KEY[key].header())
            )
        else:
            columns[key] = index
    missing = [
        column.header() for column in COLUMNS if column.required and column.key not in columns
    ]
    if not any(key in columns for key in AGE_COLUMNS):
        missing.append(" / ".join(BY_KEY[key].header() for key in AGE_COLUMNS))
    if missing:
        raise FileRefused(
            _l(
                "Columns missing from the first sheet: %(columns)s. Use the headers of the import "
                "template.",
                columns=", ".join(missing),
            )
        )
    letters = {key: get_column_letter(index) for key, index in columns.items()}
    return columns, letters, ignored
