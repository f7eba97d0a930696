"""Date arithmetic, in Python and in SQL, shared by every domain; it knows no domain.

Working days are not here: they skip the public holidays kept in the database, which belong
to the support policy (support.policy).
"""

from datetime import date, timedelta

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (month_start(day) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan + 1
    month = 28 or 29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


class months_after(FunctionElement):
    """``day`` plus a whole number of months, on the month's last day when it is shorter: the
    SQL twin of add_months (31 January + 1 month = 28 or 29 February)."""

    type = Date()
    name = "months_after"
    inherit_cache = True

    def __init__(self, day, months: int):
        self.months = int(months)
        super().__init__(day)


@compiles(months_after, "postgresql")
def _months_after_postgresql(element, compiler, **kw):
    [day_column] = element.clauses
    column = compiler.process(day_column, **kw)
    # PostgreSQL clamps to the month's end by itself.
    return f"CAST({column} + make_interval(months => {element.months}) AS DATE)"


@compiles(months_after, "sqlite")
def _months_after_sqlite(element, compiler, **kw):
    [day_column] = element.clauses
    column = compiler.process(day_column, **kw)
    # SQLite rolls 31 January + 1 month over into March; the target month's last day caps it.
    return (
        f"MIN(date({column}, '+{element.months} months'), "
        f"date({column}, 'start of month', '+{element.months + 1} months', '-1 day'))"
    )
