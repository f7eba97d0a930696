"""``flask --app wsgi import cases FILE.xlsx --facility CODE [--dry-run]``.

The same check and import as the upload page. Problems are printed by row and column, never
with the person's name: a terminal's scrollback and a cron mail are not the case file.
"""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..audit.services import acting_as
from ..database import writing
from ..extensions import db
from ..shelter.models import Facility
from . import services
from .columns import BY_KEY
from .parse import FileRefused

imports = AppGroup("import", help="Import the old spreadsheets.")


@imports.command("cases")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--facility", "facility_code", required=True, help="Code of the facility receiving the cases."
)
@click.option("--dry-run", is_flag=True, help="Check every row and import nothing.")
@click.option(
    "--accept-duplicates",
    is_flag=True,
    help="Import rows that may be people who already have a case.",
)
def import_cases(path, facility_code, dry_run, accept_duplicates):
    """Import cases and their shelter stays from a filled import template (.xlsx)."""
    facility = db.session.scalar(
        select(Facility).where(Facility.code == facility_code.strip().upper())
    )
    if facility is None:
        raise click.BadParameter(f"no facility with code {facility_code}", param_hint="--facility")
    with open(path, "rb") as handle:
        data = handle.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
    with writing(), acting_as("import"):
        preview = _check(data, facility)
        if preview.problems or (preview.duplicates and not (accept_duplicates or dry_run)):
            raise SystemExit(1)
        if dry_run:
            click.echo(f"Dry run: all {preview.row_count} rows are right; nothing was imported.")
            return
        try:
            cases = services.import_rows(preview.rows, facility, services.SHELL)
        except services.RowRefused as refusal:
            db.session.rollback()
            raise click.ClickException(str(services.refused_message(refusal))) from refusal
        # A command, outside any request: its own unit of work, committed here.
        db.session.commit()
    click.echo(f"Imported {len(cases)} cases.")


def _check(data: bytes, facility: Facility) -> services.Preview:
    try:
        preview = services.check_file(data, facility, services.SHELL)
    except FileRefused as refusal:
        raise click.ClickException(str(refusal.message)) from refusal
    for problem in preview.problems:
        column = BY_KEY[problem.column].header("en") if problem.column else "-"
        where = f"column {problem.letter} ({column})" if problem.letter else column
        message = (problem.terse or problem.message)["en"]
        click.echo(f"Row {problem.row}, {where}: {message}", err=True)
    for duplicate in preview.duplicates:
        click.echo(f"Row {duplicate.row}: {_duplicate(duplicate)}", err=True)
    if preview.problems:
        click.echo(
            f"{preview.rows_with_problems} of {preview.row_count} rows have problems; "
            "nothing was imported.",
            err=True,
        )
    elif preview.duplicates:
        click.echo(
            "Check the possible duplicates; --accept-duplicates imports all the rows anyway.",
            err=True,
        )
    return preview


def _duplicate(duplicate: services.PossibleDuplicate) -> str:
    found = [code for _id, code in duplicate.cases]
    if duplicate.same_as_row:
        found.append(f"row {duplicate.same_as_row}")
    return "possibly the same person as " + ", ".join(found)
