"""``flask import cases FILE --facility CODE [--dry-run]``: the same check and import."""

from datetime import date

import pytest
from sqlalchemy import select

from reintegration.audit.models import Action, AuditEntry
from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.shelter.models import Stay
from tests.helpers import count
from tests.imports.helpers import people, workbook


@pytest.fixture
def spreadsheet(tmp_path):
    def write(rows) -> str:
        path = tmp_path / "old cases.xlsx"
        path.write_bytes(workbook(rows))
        return str(path)

    return write


def _run(runner, path: str, *options: str):
    db.session.commit()  # the command's own session sees the test's records
    return runner.invoke(args=["import", "cases", path, "--facility", "na-swc", *options])


def test_a_dry_run_prints_each_problem_without_names_and_saves_nothing(
    runner, facility, spreadsheet
):
    # A name typed in a list column: the page quotes it to its uploader, the terminal does not.
    rows = people(
        5,
        row3={"Sex": "F", "How the person returned": "Trần Thị Mai"},
        row5={"Date received": "2025-01-04"},
    )

    result = _run(runner, spreadsheet(rows), "--dry-run")

    assert result.exit_code == 1
    assert "Row 3, column B (Sex): Not an allowed value" in result.output
    assert "Row 3, column G (How the person returned): Not an allowed value" in result.output
    assert "Trần" not in result.output
    assert "Row 5, column I (Date received): The date is written as text" in result.output
    assert "2 of 5 rows have problems; nothing was imported." in result.output
    assert "Nguy" not in result.output
    assert count(Case) == 0


def test_a_dry_run_of_a_right_file_saves_nothing(runner, facility, spreadsheet):
    result = _run(runner, spreadsheet(people(5)), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Dry run: all 5 rows are right; nothing was imported." in result.output
    assert (count(Case), count(Stay)) == (0, 0)


def test_the_command_imports_every_row(runner, facility, spreadsheet):
    result = _run(runner, spreadsheet(people(6)))

    assert result.exit_code == 0, result.output
    assert "Imported 6 cases." in result.output
    assert (count(Case), count(Stay)) == (6, 4)
    case = db.session.scalar(select(Case).order_by(Case.id))
    assert (case.code, case.facility, case.created_by) == ("NA-2025-0001", facility, None)


def test_the_command_is_in_the_audit_log_under_its_name(runner, facility, spreadsheet):
    _run(runner, spreadsheet(people(2)))

    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == Action.CREATE, AuditEntry.entity == "cases")
    ).all()
    assert [entry.username for entry in entries] == ["import", "import"]


def test_a_file_with_problems_imports_nothing(runner, facility, spreadsheet):
    result = _run(runner, spreadsheet(people(5, row4={"Consent": None})))

    assert result.exit_code == 1
    assert "Row 4, column M (Consent): This cell is empty: it is required." in result.output
    assert count(Case) == 0


def test_possible_duplicates_are_imported_only_when_accepted(runner, make, facility, spreadsheet):
    existing = make.case(facility, full_name="Nguyễn Thị Thử 002", date_of_birth=date(1987, 3, 3))
    db.session.commit()
    path = spreadsheet(people(3))

    held = _run(runner, path)
    accepted = _run(runner, path, "--accept-duplicates")

    assert held.exit_code == 1
    assert f"Row 3: possibly the same person as {existing.code}" in held.output
    assert accepted.exit_code == 0
    assert count(Case) == 4


def test_an_unreadable_file_is_explained(runner, facility, tmp_path):
    path = tmp_path / "cases.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))

    result = _run(runner, str(path))

    assert result.exit_code == 1
    assert "This file is protected by a password" in result.output


def test_an_unknown_facility_is_refused(runner, facility, spreadsheet):
    result = runner.invoke(args=["import", "cases", spreadsheet(people(1)), "--facility", "NOPE"])

    assert result.exit_code == 2
    assert "no facility with code NOPE" in result.output
