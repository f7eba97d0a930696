"""The import template: the columns to fill, and a second sheet of the values lists accept."""

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..exports.workbook import as_text
from ..text import writable
from .columns import BY_KEY, COLUMNS, DATE_COLUMNS, Choice, Vocabulary, current_language

# The lists of the second sheet, left to right.
LISTED = (
    "sex",
    "home_province",
    "home_commune",
    "return_route",
    "exploitation_country",
    "exploitation_forms",
    "identification_status",
    "consent",
    "consent_covers",
    "destination",
)
# A drop-down in the first sheet for the columns that take one value of a short list.
DROP_DOWNS = (
    "sex",
    "home_province",
    "return_route",
    "exploitation_country",
    "identification_status",
    "consent",
    "destination",
)
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
FIRST_VALUE_ROW = 4
BOLD = Font(bold=True)
# Excel does not allow these in a sheet's name.
FORBIDDEN_IN_TITLES = str.maketrans({character: " " for character in "[]:*?/\\"})


def sheet_titles() -> tuple[str, str]:
    return _title(_("Cases")), _title(_("Allowed values"))


def _title(text: str) -> str:
    return text.translate(FORBIDDEN_IN_TITLES).strip()[:31]


def build_template(max_rows: int) -> bytes:
    language = current_language()
    vocabulary = Vocabulary.load()
    workbook = Workbook()
    cases = workbook.worksheets[0]  # a new workbook's one sheet
    cases.title, values_title = sheet_titles()
    values = workbook.create_sheet(values_title)
    _write_columns(cases, language)
    ranges = _write_allowed_values(values, vocabulary, language)
    _add_drop_downs(cases, values.title, ranges, max_rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_columns(sheet, language: str) -> None:
    sheet.append([column.header(language) for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.required:
            sheet.cell(row=1, column=index).font = BOLD
        if column.key in DATE_COLUMNS or column.key == "estimated_birth_year":
            # Text, so that Excel never reads a typed 05/03/2026 as the 3rd of May on a computer
            # set to the American order; the import reads dd/mm/yyyy exactly.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"


def _entries(key: str, vocabulary: Vocabulary) -> list[Choice]:
    if key == "home_commune":
        return sorted(
            vocabulary.all_communes(),
            key=lambda entry: (entry.group.sort_order if entry.group else 0, entry.vi),
        )
    return vocabulary.lists[key].entries


def _write_allowed_values(sheet, vocabulary: Vocabulary, language: str) -> dict[str, str]:
    """One block of three columns per list; returns the range of each list's values."""
    other = "en" if language == "vi" else "vi"
    sheet["A1"] = _(
        "Write the values as listed here, in either language, or their code. Several values in "
        "one cell are separated by “;”. Dates: enter them as dates, or as text written "
        "dd/mm/yyyy."
    )
    ranges = {}
    for position, key in enumerate(LISTED):
        first = position * 4 + 1
        letter = get_column_letter(first)
        sheet.cell(row=2, column=first, value=BY_KEY[key].header(language)).font = BOLD
        third = BY_KEY["home_province"].header(language) if key == "home_commune" else _("Code")
        for offset, heading in enumerate((LANGUAGE_NAMES[language], LANGUAGE_NAMES[other], third)):
            sheet.cell(row=3, column=first + offset, value=heading).font = BOLD
            sheet.column_dimensions[get_column_letter(first + offset)].width = (
                30 if offset < 2 else 12
            )
        entries = _entries(key, vocabulary)
        for row, entry in enumerate(entries, start=FIRST_VALUE_ROW):
            for offset, value in enumerate(
                (getattr(entry, language), getattr(entry, other), _third(entry, language))
            ):
                _text(sheet.cell(row=row, column=first + offset), value)
        if entries:
            last = FIRST_VALUE_ROW + len(entries) - 1
            ranges[key] = f"${letter}${FIRST_VALUE_ROW}:${letter}${last}"
    return ranges


def _third(entry: Choice, language: str) -> str:
    """A commune's province (names repeat between provinces), else the code."""
    if entry.group is not None:
        return entry.group.name_en if language == "en" else entry.group.name_vi
    return entry.code


def _add_drop_downs(sheet, values_title: str, ranges: dict[str, str], max_rows: int) -> None:
    quoted = values_title.replace("'", "''")
    for index, column in enumerate(COLUMNS, start=1):
        if column.key not in DROP_DOWNS or column.key not in ranges:
            continue
        # A suggestion, not a rule: the other language and the codes are accepted too.
        validation = DataValidation(
            type="list",
            formula1=f"'{quoted}'!{ranges[column.key]}",
            allow_blank=True,
            showErrorMessage=False,
        )
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{max_rows + 1}")
        sheet.add_data_validation(validation)


def _text(cell, value) -> None:
    """A list name is written as text, never as a formula, whatever it starts with, and
    without a control character that an older release let an administrator store (an xlsx file
    cannot hold one)."""
    if isinstance(value, str):
        as_text(cell, writable(value))
    else:
        cell.value = value
