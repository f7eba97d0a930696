"""`flask export support`: the same workbook from a shell, pseudonymous and audited."""

import os
import stat

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.exports.workbook_helpers import (
    NAMES,
    build_province,
    download,
    every_text,
    payment,
    place_value,
    service,
    workbook_of,
)
from tests.helpers import in_english, sign_in


@pytest.fixture
def province(make, frozen_clock):
    made = build_province(make)
    service(make, made.cases["mai"], made.cases["mai"].received_on, 1_500_000)
    payment(
        make, frozen_clock, made.cases["tung"], "HARDSHIP", made.cases["tung"].received_on, "PC-009"
    )
    db.session.commit()
    return made


def _export(runner, tmp_path, *options):
    output = tmp_path / "support.xlsx"
    result = runner.invoke(args=["export", "support", *options, "-o", str(output)])
    return result, output


def _cells(book) -> dict[str, list[tuple]]:
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_the_command_writes_the_same_workbook_as_the_page(
    runner, client, auth, make, province, tmp_path
):
    sign_in(auth, province.user(make, Role.ADMIN))
    in_english(client)
    page = workbook_of(download(client, place_value(province.cases["mai"].province)))

    result, output = _export(
        runner,
        tmp_path,
        "--province",
        "na",
        "--from",
        "2026-01-01",
        "--to",
        "15/03/2026",
        "--language",
        "en",
    )

    assert result.exit_code == 0, result.output
    assert f"Wrote {output} (cases 6, stays 7, services 1, allowances 1, payments 1" in (
        result.output
    )
    assert _cells(load_workbook(output)) == _cells(page)


def test_the_command_speaks_vietnamese_by_default_and_writes_no_names(runner, province, tmp_path):
    result, output = _export(
        runner, tmp_path, "--province", "NA", "--from", "01/01/2026", "--to", "15/03/2026"
    )

    assert result.exit_code == 0, result.output
    book = load_workbook(output)
    assert book.sheetnames[1] == "Hồ sơ"
    texts = " ".join(every_text(book))
    assert not any(name in texts for name in NAMES.values())
    assert province.cases["mai"].code in texts
    # A file of case data: for its owner only.
    assert stat.S_IMODE(os.stat(output).st_mode) == 0o600


def test_the_command_exports_a_facility_and_is_audited_as_the_cli(runner, province, tmp_path):
    result, output = _export(
        runner, tmp_path, "--facility", "na-swc", "--from", "2026-01-01", "--to", "2026-03-15"
    )

    assert result.exit_code == 0, result.output
    codes = [
        row[0] for row in load_workbook(output).worksheets[1].iter_rows(min_row=2, values_only=True)
    ]
    assert sorted(codes) == sorted(
        province.cases[key].code for key in ("mai", "tung", "hoa", "lan")
    )
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == Action.EXPORT))
    assert (entry.username, entry.user_id, entry.entity) == ("cli", None, "facilities")
    assert entry.changes["facility"] == "NA-SWC"
    assert (entry.changes["names"], entry.changes["language"]) == (False, "vi")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--province", "XX"], "no province with code XX"),
        (["--facility", "NOPE"], "no facility with code NOPE"),
        ([], "Give --province or --facility"),
        (["--province", "NA", "--facility", "NA-SWC"], "Give --province or --facility"),
    ],
)
def test_the_command_refuses_an_unknown_or_missing_place(
    runner, province, tmp_path, options, message
):
    result, output = _export(
        runner, tmp_path, *options, "--from", "2026-01-01", "--to", "2026-03-15"
    )

    assert result.exit_code == 2
    assert message in result.output
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-03-15"], "is not a date"),
        (["--from", "2026-03-16", "--to", "2026-03-15"], "cannot end before it starts"),
        (["--from", "1899-12-31", "--to", "2026-03-15"], "choose a date from 1901 on"),
    ],
)
def test_the_command_refuses_a_bad_period(runner, province, tmp_path, dates, message):
    result, output = _export(runner, tmp_path, "--province", "NA", *dates)

    assert result.exit_code == 2
    assert message in result.output
    assert not output.exists()
