"""Writing sheets with openpyxl's write-only mode: each row goes to disk as it comes, sealed
with a key of its own (``SealedWorkbook``, sealed.py), never in clear.

Cells are typed for Excel (dates as dates, money as whole numbers shown in dong) and text is
made safe: it never becomes a formula and carries no control characters.
"""

import enum
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

DAY_FORMAT = "dd/mm/yyyy"
DONG_FORMAT = '#,##0" ₫"'
COUNT_FORMAT = "#,##0"
SHARE_FORMAT = "0%"
# Excel's calendar starts in 1900, and counts a 29 February 1900 that never was.
FIRST_DAY = date(1901, 1, 1)

# Tabs and line breaks are kept: notes are written on several lines. U+FFFE and U+FFFF are
# not characters, and an xlsx file cannot hold them either.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
# What Excel and LibreOffice read as the start of a formula once a cell is edited (OWASP, CSV
# injection); a tab or a line break before it hides it from a quick look.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Text that openpyxl, given it as a plain value, would not store as text ("#N/A" is an error).
_NOT_PLAIN = (*FORMULA_START, "#")
# Characters a sheet's name may not hold, and its length in Excel.
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_TITLE_LENGTH = 31
_BOLD = Font(bold=True)
_HEADING = Font(bold=True, size=14)
_WRAPPED = Alignment(wrap_text=True, vertical="top")
# Headers are longer than most values: two lines of the column's width.
_HEADER_HEIGHT = 30


class WriteOnlyCell(Cell):
    """openpyxl's write-only cell, with a short name.

    openpyxl first tries a cell object given in a row as a value, which fails with a message
    that names the cell: with openpyxl's own name, that message took longer to make than the
    rest of the cell's writing.
    """

    __slots__ = ()

    def __init__(self, sheet, value=None):
        super().__init__(sheet, row=1, column=1, value=value)

    def __repr__(self) -> str:
        return "<WriteOnlyCell>"


class Kind(enum.Enum):
    TEXT = "text"
    DAY = "day"
    MONEY = "money"
    COUNT = "count"
    NUMBER = "number"


_FORMATS = {Kind.DAY: DAY_FORMAT, Kind.MONEY: DONG_FORMAT, Kind.COUNT: COUNT_FORMAT}


def clean(text: str) -> str:
    """Text without control characters, its line breaks made plain."""
    if text.isprintable():  # most text: no control character, no line break, in one pass
        return text
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


_Cell = TypeVar("_Cell", bound=Cell)


def as_text(made: _Cell, text: str) -> _Cell:
    """Put ``text`` in a cell (of any workbook, write-only or not) as text, never a formula.

    Every text a workbook of the app holds goes through here: openpyxl would store "=..." as a
    formula and "#N/A" as an error, and a text that starts like a formula also carries Excel's
    text marker (quotePrefix), so that editing the cell later in Excel or LibreOffice does not
    turn it into one either. The reader sees the text as it was typed."""
    made.value = text
    made.data_type = "s"
    made.quotePrefix = text.startswith(FORMULA_START)
    return made


def cell(sheet, value, kind: Kind = Kind.TEXT, font: Font | None = None) -> WriteOnlyCell:
    """One typed cell: a text as text (``as_text``), a number or a date with its format."""
    if isinstance(value, str):
        made = as_text(WriteOnlyCell(sheet), clean(value))
    else:
        made = WriteOnlyCell(sheet, value=value)
        number_format = _number_format(value, kind)
        if number_format is not None:
            made.number_format = number_format
    if font is not None:
        made.font = font
    return made


def _number_format(value, kind: Kind) -> str | None:
    if value is not None and kind in _FORMATS:
        return _FORMATS[kind]
    if isinstance(value, date):
        return DAY_FORMAT
    return None


def formula(sheet, text: str, number_format: str = COUNT_FORMAT, bold: bool = True):
    made = WriteOnlyCell(sheet, value=text)
    made.number_format = number_format
    if bold:
        made.font = _BOLD
    return made


def _fit_to_page_width(ws, landscape: bool) -> None:
    """Printed, a sheet keeps all its columns on the width of the page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def sheet_title(text: str) -> str:
    """A translated name made acceptable to Excel."""
    return _TITLE_FORBIDDEN.sub(" ", str(text)).strip()[:_TITLE_LENGTH] or "-"


@dataclass(frozen=True)
class Column:
    """A column of a table sheet: its header, how to read its value from a row, its type."""

    header: object
    value: Callable
    kind: Kind = Kind.TEXT
    width: int = 16
    # A SUM under the rows.
    total: bool = False
    # Shown only in a workbook with names and contacts.
    identifying: bool = False


class TableSheet:
    """A sheet of one table: header row frozen, autofilter over the rows, SUMs below them."""

    def __init__(self, book: Workbook, title, columns: list[Column]):
        self.ws = book.create_sheet(sheet_title(title))
        self.columns = columns
        self.rows = 0
        # Per column, the cell given each formatted value in turn: see _value.
        self._formatted: dict[int, WriteOnlyCell] = {}
        # Write-only sheets take their layout before the first row.
        for number, column in enumerate(columns, 1):
            self.ws.column_dimensions[get_column_letter(number)].width = column.width
        self.ws.freeze_panes = "A2"
        self.ws.print_title_rows = "1:1"
        _fit_to_page_width(self.ws, landscape=True)
        self.ws.row_dimensions[1].height = _HEADER_HEIGHT
        self.ws.append([self._header(column) for column in columns])

    def _header(self, column: Column) -> WriteOnlyCell:
        made = cell(self.ws, str(column.header), font=_BOLD)
        made.alignment = _WRAPPED
        return made

    def append(self, row) -> None:
        self.ws.append(
            [
                self._value(index, column.value(row), column.kind)
                for index, column in enumerate(self.columns)
            ]
        )
        self.rows += 1

    def _value(self, index: int, value, kind: Kind):
        """What ``cell`` makes, in the form openpyxl writes fastest, to the same XML.

        A cell object costs several times its value to make and then to write, and most values
        need none: plain text that cannot be read as a formula or an error, and numbers without
        a format, are given as they are. A formatted value is given in a cell of its column's,
        made once: openpyxl writes each row as it is appended, so the cell is free again for
        the next row.
        """
        if value is None:
            return None
        if isinstance(value, str):
            value = clean(value)
            return value if not value.startswith(_NOT_PLAIN) else cell(self.ws, value, kind)
        made = self._formatted.get(index)
        if made is not None and value.__class__ is made.value.__class__:
            # The same type as the value the cell was made for: the same format fits.
            made.value = value
            return made
        number_format = _number_format(value, kind)
        if number_format is None:
            return value
        if isinstance(value, date) and number_format != DAY_FORMAT:
            # A cell that has a number format other than a date's takes openpyxl's own date
            # format with a date: the cell made for it alone keeps this one.
            return cell(self.ws, value, kind)
        if made is None:
            made = self._formatted[index] = cell(self.ws, value, kind)
        else:
            made.value = value
        return made

    def fill(self, rows: Iterable, each: Callable | None = None) -> None:
        for row in rows:
            if each is not None:
                each(row)
            self.append(row)
        self.finish()

    def finish(self) -> None:
        last_column = get_column_letter(len(self.columns))
        self.ws.auto_filter.ref = f"A1:{last_column}{self.rows + 1}"
        if not any(column.total for column in self.columns):
            return
        # One empty row, so that sorting or filtering the table leaves the totals alone.
        self.ws.append([])
        totals: list[WriteOnlyCell | None] = [cell(self.ws, _("Total"), font=_BOLD)]
        for number, column in enumerate(self.columns[1:], 2):
            if not column.total:
                totals.append(None)
                continue
            letter = get_column_letter(number)
            totals.append(
                formula(self.ws, f"=SUM({letter}2:{letter}{self.rows + 1})", _FORMATS[column.kind])
                if self.rows
                else cell(self.ws, 0, column.kind, _BOLD)
            )
        self.ws.append(totals)


class SummarySheet:
    """Lines and small tables one under the other, each table with its SUMs."""

    WIDTHS = (56, 16, 16, 16)
    # Characters of a note on one line across the four columns, with room to spare.
    NOTE_LINE = 90

    def __init__(self, book: Workbook, title):
        self.ws = book.create_sheet(sheet_title(title))
        for number, width in enumerate(self.WIDTHS, 1):
            self.ws.column_dimensions[get_column_letter(number)].width = width
        _fit_to_page_width(self.ws, landscape=False)
        self.row = 0

    def _append(self, values) -> int:
        self.ws.append(values)
        self.row += 1
        return self.row

    def heading(self, text) -> None:
        self._append([cell(self.ws, str(text), font=_HEADING)])

    def line(self, label, value, kind: Kind = Kind.TEXT) -> None:
        shown = str(value) if kind == Kind.TEXT else value
        self._append([cell(self.ws, str(label), font=_BOLD), cell(self.ws, shown, kind)])

    def blank(self) -> None:
        self._append([])

    def note(self, text) -> None:
        """A paragraph across the sheet's columns; wrapped text does not make its row taller
        by itself in every program, so the row gets the height of its lines."""
        text = str(text)
        row = self.row + 1
        self.ws.merged_cells.add(f"A{row}:{get_column_letter(len(self.WIDTHS))}{row}")
        self.ws.row_dimensions[row].height = 15 * math.ceil(len(text) / self.NOTE_LINE)
        made = cell(self.ws, text)
        made.alignment = _WRAPPED
        self._append([made])

    def table(
        self,
        title,
        headers: list,
        rows: list[tuple],
        kinds: list[Kind],
        total: bool = True,
        empty=None,
    ) -> None:
        """``rows`` are (label, value, ...); ``kinds`` the types of the values."""
        self._append([cell(self.ws, str(text), font=_BOLD) for text in (title, *headers)])
        if not rows:
            self._append([cell(self.ws, str(empty or _("Nothing in the period.")))])
            self.blank()
            return
        first = self.row + 1
        for label, *values in rows:
            self._append(
                [cell(self.ws, str(label))]
                + [cell(self.ws, value, kind) for value, kind in zip(values, kinds, strict=True)]
            )
        if total:
            last = self.row
            sums = [
                formula(
                    self.ws,
                    f"=SUM({letter}{first}:{letter}{last})",
                    _FORMATS.get(kind, COUNT_FORMAT),
                )
                for letter, kind in zip("BCDEFG", kinds, strict=False)
            ]
            self._append([cell(self.ws, _("Total"), font=_BOLD), *sums])
        self.blank()

    def shares(self, title, headers: list, rows: list[tuple]) -> None:
        """Rows of (label, out of, counted) with the share as a formula Excel recomputes."""
        self._append([cell(self.ws, str(text), font=_BOLD) for text in (title, *headers)])
        for label, whole, part in rows:
            row = self.row + 1
            self._append(
                [
                    cell(self.ws, str(label)),
                    cell(self.ws, whole, Kind.COUNT),
                    cell(self.ws, part, Kind.COUNT),
                    formula(self.ws, f'=IF(B{row}=0,"",C{row}/B{row})', SHARE_FORMAT, False),
                ]
            )
        self.blank()
