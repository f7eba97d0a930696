"""The support workbook a province sends up: a sheet per record of the journey (sheets.py),
and a summary (summary.py) tallied from the rows as they are written.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import IO

from flask_babel import gettext as _

from .. import clock
from . import queries, sheets
from .filters import Filters
from .names import Reference, reference
from .sealed import discard, new_workbook
from .spool import Spool
from .summary import Tally, write_summary
from .workbook import SummarySheet

# How often a workbook made in the background tells how far it has come, in rows.
PROGRESS_ROWS = 1000


def write(
    filters: Filters,
    scope,
    target: IO[bytes] | Spool,
    progress: Callable[[int], None] | None = None,
) -> Counter:
    """Write the workbook to ``target``; return the rows written per sheet. ``progress``, if
    given, hears the number of rows written so far every ``PROGRESS_ROWS`` rows."""
    today = clock.today()
    ref = reference(filters.names)
    tally = Tally(filters, as_of=min(filters.end, today))
    book = new_workbook()
    try:
        _write_sheets(book, filters, scope, ref, tally, today, progress)
        book.save(target)
    except BaseException:
        discard(book)
        raise
    return tally.rows


def _write_sheets(
    book, filters: Filters, scope, ref: Reference, tally: Tally, today: date, progress=None
):
    # Made first so that it is the first sheet; written last, from the tally.
    summary = SummarySheet(book, _("Summary"))
    for key, title, columns, rows, count in _tables(filters, ref, tally, today):
        sheet = sheets.table_sheet(book, title, columns, filters)
        found = rows(filters, scope)
        if progress is not None:
            found = _reporting(found, progress, sum(tally.rows.values()))
        sheet.fill(found, count)
        tally.rows[key] = sheet.rows
    write_summary(summary, filters, ref, tally, queries.paid_by_type(filters, scope), today)


def _tables(filters: Filters, ref: Reference, tally: Tally, today: date) -> tuple:
    """Each table sheet in its order: its key, title, columns, query, and what the tally
    counts of its rows."""
    return (
        ("cases", _("Cases"), sheets.case_columns(ref), queries.cases, tally.case),
        ("stays", _("Stays"), sheets.stay_columns(ref, filters, today), queries.stays, None),
        ("services", _("Services"), sheets.service_columns(ref), queries.services, tally.service),
        (
            "allowances",
            _("Allowances"),
            sheets.allowance_columns(ref),
            queries.allowance_requests,
            None,
        ),
        ("payments", _("Payments"), sheets.payment_columns(ref), queries.payments, None),
        (
            "training",
            _("Training"),
            sheets.enrolment_columns(ref),
            queries.enrolments,
            tally.enrolment,
        ),
        (
            "placements",
            _("Placements"),
            sheets.placement_columns(ref),
            queries.placements,
            tally.placement,
        ),
        (
            "followups",
            _("Follow-ups"),
            sheets.followup_columns(ref),
            queries.followups,
            tally.followup,
        ),
    )


def _reporting(rows: Iterable, progress: Callable[[int], None], before: int) -> Iterator:
    """``rows`` unchanged; every ``PROGRESS_ROWS`` rows of the workbook, ``progress`` hears how
    many are written (those of the earlier sheets, ``before``, included)."""
    for number, row in enumerate(rows, before + 1):
        yield row
        if number % PROGRESS_ROWS == 0:
            progress(number)
