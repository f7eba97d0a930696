"""The anonymised case-level dataset shared outside the province.

Each record keeps only the coarse fields of the Human Trafficking Case Data Standard, as the
Counter Trafficking Data Collaborative (CTDC) publishes them, and a record is published only in
a combination of values that at least k records share (``DATASET_K``, 11 like the CTDC's).
Values are kept as codes until written, so the rule is applied to the same values whatever the
language of the file.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, TYPE_CHECKING

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only, raiseload, selectinload

from ..cases.models import Case, Sex
from ..cases.queries import case_scope
from ..extensions import db
from ..reference.models import ListItem, ListKind
from .bands import ADULT_AGE, CTDC_BANDS, band, span
from .sealed import new_workbook
from .workbook import FORMULA_START, as_text

if TYPE_CHECKING:
    from ..auth.models import User

FIELDS = (
    "sex",
    "age_band",
    "citizenship",
    "year",
    "exploitation_country",
    "exploitation_forms",
    "control_means",
    "recruitment",
)

HEADERS = {
    "sex": _l("Sex"),
    "age_band": _l("Age band when received"),
    "citizenship": _l("Citizenship"),
    "year": _l("Year received"),
    "exploitation_country": _l("Country of exploitation"),
    "exploitation_forms": _l("Forms of exploitation"),
    "control_means": _l("Means of control"),
    "recruitment": _l("How the person was recruited"),
}

# Lower-case, so that they never meet a list item's code, which is upper-case.
UNKNOWN = "unknown"
SUPPRESSED = "suppressed"
MARKERS = {UNKNOWN: _l("Unknown"), SUPPRESSED: _l("Suppressed")}

SEPARATOR = ";"

CHILD, ADULT = span(0, ADULT_AGE - 1), span(ADULT_AGE, None)
# The labels of the CTDC bands whose people are all children.
CHILD_BANDS = frozenset(
    label for _young, oldest, label in CTDC_BANDS if oldest is not None and oldest < ADULT_AGE
)

LIST_KINDS = {
    "citizenship": ListKind.COUNTRY,
    "exploitation_country": ListKind.COUNTRY,
    "exploitation_forms": ListKind.EXPLOITATION,
    "control_means": ListKind.CONTROL,
    "recruitment": ListKind.RECRUITMENT,
}

BATCH_SIZE = 1000


def dataset_k() -> int:
    return current_app.config.get("DATASET_K", 11)


def age_band(age: int | None) -> str:
    index = band(age, CTDC_BANDS)
    return UNKNOWN if index is None else str(CTDC_BANDS[index][2])


def records(user: User, year_from: int | None = None, year_to: int | None = None) -> Iterator[dict]:
    """One record per case the user may see, received in the years given (both included)."""
    query = select(Case).where(case_scope(user)).options(*_coarse_columns())
    if year_from is not None:
        query = query.where(Case.received_on >= date(year_from, 1, 1))
    if year_to is not None:
        query = query.where(Case.received_on <= date(year_to, 12, 31))
    last_id = 0
    while True:
        # Keyset batches: a fixed number of queries per thousand cases, on any database.
        batch = db.session.scalars(
            query.where(Case.id > last_id).order_by(Case.id).limit(BATCH_SIZE)
        ).all()
        if not batch:
            return
        yield from (_record(case) for case in batch)
        last_id = batch[-1].id


def _coarse_columns():
    """Load nothing but what the record needs; reading anything else raises instead."""
    code_only = load_only(ListItem.code, raiseload=True)
    return (
        load_only(
            Case.id,
            Case.sex,
            Case.date_of_birth,
            Case.estimated_birth_year,
            Case.received_on,
            raiseload=True,
        ),
        joinedload(Case.citizenship).options(code_only),
        joinedload(Case.exploitation_country).options(code_only),
        joinedload(Case.recruitment).options(code_only),
        selectinload(Case.exploitation_forms).options(code_only),
        selectinload(Case.control_means).options(code_only),
        raiseload("*"),
    )


def _record(case: Case) -> dict:
    return {
        "sex": case.sex.value,
        "age_band": age_band(case.age(case.received_on)),
        "citizenship": _code(case.citizenship),
        "year": case.received_on.year,
        "exploitation_country": _code(case.exploitation_country),
        "exploitation_forms": _codes(case.exploitation_forms),
        "control_means": _codes(case.control_means),
        "recruitment": _code(case.recruitment),
    }


def _code(item: ListItem | None) -> str:
    return item.code if item is not None else UNKNOWN


def _codes(items: list[ListItem]) -> str:
    return SEPARATOR.join(sorted({item.code for item in items})) or UNKNOWN


def _suppressed(_value):
    return SUPPRESSED


def _child_or_adult(band):
    if band in (UNKNOWN, SUPPRESSED):
        return band
    return CHILD if band in CHILD_BANDS else ADULT


# How a record too rare to publish is made coarser, one step at a time, least important first.
# Sex is never generalised: a record still rare when everything else is suppressed is dropped.
GENERALISATION: tuple[tuple[str, Callable], ...] = (
    ("recruitment", _suppressed),
    ("control_means", _suppressed),
    ("exploitation_forms", _suppressed),
    ("exploitation_country", _suppressed),
    ("citizenship", _suppressed),
    ("age_band", _child_or_adult),
    ("age_band", _suppressed),
    ("year", _suppressed),
)


@dataclass(frozen=True)
class SuppressionReport:
    k: int
    intact: int  # published as recorded
    generalised: int  # published with some values made coarser
    dropped: int  # not published at all

    @property
    def published(self) -> int:
        return self.intact + self.generalised


def _generalised(recorded: list[tuple], steps: list, k: int) -> list[tuple]:
    """The rows as published, before the rare ones are dropped: in rounds, every row whose
    combination fewer than ``k`` rows share takes its next step, until none has a step left."""
    views, levels = list(recorded), [0] * len(recorded)
    while True:
        counts = Counter(views)
        rising = [
            index
            for index, view in enumerate(views)
            if counts[view] < k and levels[index] < len(steps)
        ]
        if not rising:
            return views
        for index in rising:
            position, step = steps[levels[index]]
            view = list(views[index])
            view[position] = step(view[position])
            views[index] = tuple(view)
            levels[index] += 1


def suppress(
    rows: Iterable[dict], fields: Iterable[str] = FIELDS, k: int | None = None
) -> tuple[list[dict], SuppressionReport]:
    """The rows that may be published: every combination of ``fields`` in them is shared by at
    least ``k`` rows (the ``DATASET_K`` setting when not given).

    In rounds, every row whose combination fewer than k rows share takes the next step of
    GENERALISATION, until no rare row has a step left. A combination shared by k rows never
    loses one, since only rows of rare combinations move, so common records stay intact; the
    rows still in rare combinations at the end are dropped, whole combinations at a time, which
    changes no other combination's count. The rows come out sorted by their values, so their
    order tells nothing of when the cases were registered.
    """
    k = dataset_k() if k is None else k
    if k < 1:
        raise ValueError("k must be at least 1")
    fields = tuple(fields)
    steps = [(fields.index(field), step) for field, step in GENERALISATION if field in fields]
    recorded = [tuple(row[field] for field in fields) for row in rows]
    views = _generalised(recorded, steps, k)
    counts = Counter(views)
    kept = [index for index, view in enumerate(views) if counts[view] >= k]
    intact = sum(1 for index in kept if views[index] == recorded[index])
    report = SuppressionReport(k, intact, len(kept) - intact, len(views) - len(kept))
    published = sorted((views[index] for index in kept), key=lambda view: tuple(map(str, view)))
    return [dict(zip(fields, view, strict=True)) for view in published], report


def write_xlsx(rows: list[dict], stream_or_path, language: str) -> None:
    """One sheet: a frozen, filterable header row, then one row per published record."""
    headers, table = _table(rows, language)
    workbook = new_workbook()  # its sheet sealed on disk until saved
    with force_locale(language):
        sheet = workbook.create_sheet(str(_l("Anonymised dataset")))
    sheet.freeze_panes = "A2"
    last_column = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A1:{last_column}{len(table) + 1}"
    for number in range(1, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(number)].width = 24
    bold = Font(bold=True)
    sheet.append([_xlsx_cell(sheet, header, bold) for header in headers])
    for values in table:
        sheet.append([_xlsx_cell(sheet, value) for value in values])
    workbook.save(stream_or_path)


def write_csv(rows: list[dict], text_stream: IO[str], language: str) -> None:
    """UTF-8 with a byte-order mark, which Excel needs to read Vietnamese; open the stream with
    ``encoding="utf-8", newline=""``."""
    headers, table = _table(rows, language)
    text_stream.write("\ufeff")
    writer = csv.writer(text_stream)
    writer.writerow([_csv_text(header) for header in headers])
    for values in table:
        writer.writerow([_csv_text(value) if isinstance(value, str) else value for value in values])


def _table(rows: list[dict], language: str) -> tuple[list[str], list[list]]:
    with force_locale(language):
        names = _item_names()
        headers = [_clean(str(HEADERS[field])) for field in FIELDS]
        table = [[_shown(field, row[field], names) for field in FIELDS] for row in rows]
    return headers, table


def _item_names() -> dict[tuple[ListKind, str], str]:
    items = db.session.scalars(
        select(ListItem).where(ListItem.kind.in_(set(LIST_KINDS.values())))
    ).all()
    return {(item.kind, item.code): item.name for item in items}


def _shown(field: str, value, names: dict) -> str | int:
    if isinstance(value, int):
        return value
    if value in MARKERS:
        return _clean(str(MARKERS[value]))
    if field == "sex":
        return _clean(Sex(value).label)
    if field in LIST_KINDS:
        kind = LIST_KINDS[field]
        return _clean("; ".join(names.get((kind, code), code) for code in value.split(SEPARATOR)))
    return _clean(value)


_SPACES = re.compile(r"[\t\n\r\v\f]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff]")


def _clean(text: str) -> str:
    """No control characters: they break an xlsx file and hide text in a CSV."""
    return _CONTROL.sub("", _SPACES.sub(" ", text)).strip()


def _csv_text(text: str) -> str:
    """A CSV has no cell types: a text that a spreadsheet would read as a formula is quoted."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _xlsx_cell(sheet, value, font: Font | None = None) -> Cell:
    cell = as_text(WriteOnlyCell(sheet), value) if isinstance(value, str) else None
    cell = cell or WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    return cell
