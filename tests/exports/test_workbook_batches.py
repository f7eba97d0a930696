"""Rows are read in batches, whatever their number: a fixed number of queries, each streamed."""

import tempfile
from datetime import date, timedelta

import pytest
from sqlalchemy import event, true

from reintegration.exports import queries, services
from reintegration.exports.filters import Filters
from reintegration.extensions import db
from tests.exports.workbook_helpers import job, service

STREAMED_SHEETS = 8


def _people(make, facility, count: int) -> None:
    """``count`` people received in February, each with a stay, a service and a job."""
    for number in range(count):
        case = make.case(facility, received_on=date(2026, 2, 1) + timedelta(days=number))
        make.stay(case)
        service(make, case, case.received_on, 100_000)
        job(make, case, case.received_on + timedelta(days=5))
    db.session.commit()


def _export(make):
    filters = Filters(date(2026, 1, 1), date(2026, 3, 15), province=make.province("NA"))
    with tempfile.TemporaryFile() as target:
        return services.export_support(filters, true(), target)


def test_the_number_of_queries_does_not_grow_with_the_number_of_rows(make, count_queries):
    facility = make.facility("NA")
    _people(make, facility, 2)
    with count_queries() as few:
        assert _export(make)["cases"] == 2

    _people(make, facility, 10)
    with count_queries() as many:
        assert _export(make)["cases"] == 12

    assert many.count == few.count


@pytest.fixture
def statements(app):
    """The execution options of every statement run, in order."""
    seen = []

    def listen(_conn, _cursor, statement, _params, context, _many):
        seen.append((statement, context.execution_options))

    event.listen(db.engine, "before_cursor_execute", listen)
    yield seen
    event.remove(db.engine, "before_cursor_execute", listen)


def test_each_sheet_is_read_in_batches_that_add_up_to_every_row(make, statements, monkeypatch):
    monkeypatch.setattr(queries, "BATCH_ROWS", 2)
    _people(make, make.facility("NA"), 5)
    statements.clear()

    rows = _export(make)

    streamed = [options for _sql, options in statements if options.get("yield_per")]
    assert len(streamed) == STREAMED_SHEETS
    assert {options["yield_per"] for options in streamed} == {2}
    assert (rows["cases"], rows["stays"], rows["services"], rows["placements"]) == (5, 5, 5, 5)
