"""``flask --app wsgi export support``: the support workbook from a shell (for cron, or a
server without a browser at hand). Case codes only: names are given in the app, with a reason."""

import contextlib
import os
from datetime import date

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select, true

from ..audit.services import acting_as
from ..extensions import db
from ..forms import parse_day
from ..reference.queries import province_by_code
from ..shelter.models import Facility
from . import services
from .filters import Filters
from .spool import Spool
from .workbook import FIRST_DAY

export = AppGroup("export", help="Exports: the support workbook of a province or facility.")


class Day(click.ParamType):
    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        day = parse_day(value)
        if day is None:
            self.fail(f"{value!r} is not a date: write YYYY-MM-DD or dd/mm/yyyy.", param, ctx)
        return day


@export.command("support")
@click.option("--province", "province_code", help="Code of the province, e.g. NA.")
@click.option("--facility", "facility_code", help="Code of the facility, instead of a province.")
@click.option("--from", "start", required=True, type=Day(), help="First day of the period.")
@click.option("--to", "end", required=True, type=Day(), help="Last day of the period.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The .xlsx file to write.",
)
@click.option(
    "--language",
    default="vi",
    show_default=True,
    type=click.Choice(["vi", "en"]),
    help="Language of the sheets and headers.",
)
def support(province_code, facility_code, start, end, output, language):
    """Write the support workbook of a province or a facility over a period (dates as
    YYYY-MM-DD or dd/mm/yyyy, both days included). Case codes only; the export is audited."""
    filters = _filters(province_code, facility_code, start, end)
    with force_locale(language), acting_as("cli"):
        rows = _write(filters, output)
    written = ", ".join(f"{sheet} {count}" for sheet, count in rows.items())
    click.echo(f"Wrote {output} ({written}).")


def _filters(province_code, facility_code, start: date, end: date) -> Filters:
    if bool(province_code) == bool(facility_code):
        raise click.UsageError("Give --province or --facility (one of them).")
    if start < FIRST_DAY:
        raise click.BadParameter("choose a date from 1901 on", param_hint="--from")
    if end < start:
        raise click.BadParameter("the period cannot end before it starts", param_hint="--to")
    if facility_code:
        facility = db.session.scalar(select(Facility).where(Facility.code == facility_code.upper()))
        if facility is None:
            raise click.BadParameter(
                f"no facility with code {facility_code}", param_hint="--facility"
            )
        return Filters(start, end, facility=facility)
    province = province_by_code(province_code)
    if province is None:
        raise click.BadParameter(f"no province with code {province_code}", param_hint="--province")
    return Filters(start, end, province=province)


def _write(filters: Filters, output: str):
    """Make the workbook sealed on disk (spool.py), then write it to ``output`` once the export
    is audited: the file the officer named is the only one in clear, and a failure leaves no
    half-written workbook there. The file is readable by its owner only."""
    with Spool() as workbook:
        try:
            rows = services.export_support(filters, true(), workbook)
            with _written(output) as target:
                workbook.copy_to(target)
                target.flush()  # a full disk is told before the export is committed
                # A command, outside any request: its own unit of work, committed here.
                db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return rows


@contextlib.contextmanager
def _written(output: str):
    """``output`` opened to be written; removed again if the block fails."""
    handle = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(handle, 0o600)  # a file that was there keeps its mode otherwise
        with os.fdopen(handle, "wb") as target:
            yield target
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(output)
        raise
