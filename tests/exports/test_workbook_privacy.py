"""Pseudonymous unless a permitted user gives a reason; every export audited; safe cells."""

import tempfile
from datetime import date

import pytest
from openpyxl.worksheet import _writer as sheet_files
from sqlalchemy import select, true

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.exports import queries, services
from reintegration.exports.filters import Filters
from reintegration.extensions import db
from reintegration.training.models import EnrolmentStatus
from tests.exports.workbook_helpers import (
    NAMES,
    PHONE,
    build_province,
    course,
    download,
    enrolment,
    every_text,
    followup_done,
    job,
    place_value,
    rows,
    service,
    values,
    workbook_of,
)
from tests.helpers import field_errors, in_english, sign_in, text_of

SERVICE_NOTE = "Khám phụ khoa, cần tái khám"
WELLBEING = "Ngủ kém, hay lo âu"
DROPOUT = "Có thai, nghỉ học"


@pytest.fixture
def province(make):
    made = build_province(make)
    service(make, made.cases["mai"], date(2026, 2, 2), 1_500_000, notes=SERVICE_NOTE)
    enrolment(
        made.cases["tung"],
        course(make),
        date(2026, 3, 2),
        status=EnrolmentStatus.DROPPED_OUT,
        dropped_out_on=date(2026, 3, 9),
        dropout_reason=DROPOUT,
    )
    followup_done(
        make, job(make, made.cases["old"], date(2026, 1, 5)), date(2026, 2, 6), wellbeing=WELLBEING
    )
    made.cases["mai"].trafficking_notes = "Bị bán sang Hà Khẩu"
    made.cases["mai"].home_address = "Bản Pủng, xã Châu Khê"
    db.session.commit()
    return made


def _nghe_an(province) -> str:
    return place_value(province.cases["mai"].province)


def _exports() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == Action.EXPORT)))


SECRETS = (
    *NAMES.values(),
    PHONE,
    "0987 654 321",
    "Lò Thị Vân",
    SERVICE_NOTE,
    WELLBEING,
    DROPOUT,
    "Hà Khẩu",
    "Bản Pủng",
)


def test_the_workbook_is_pseudonymous_by_default(client, auth, make, province):
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))

    response = download(client, _nghe_an(province))

    texts = " | ".join(every_text(workbook_of(response)))
    for secret in SECRETS:
        assert secret not in texts
    assert province.cases["mai"].code in texts
    assert "2011-06-01" not in texts
    assert "01/06/2011" not in texts


def test_the_file_name_and_the_address_carry_codes_and_dates_only(client, auth, make, province):
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))

    response = download(client, _nghe_an(province), with_names="y", reason="Báo cáo quý I")

    assert response.headers["Content-Disposition"] == (
        "attachment; filename=support-NA-2026-01-01-2026-03-15.xlsx"
    )
    assert response.request.path == "/exports/support"
    assert response.request.query_string == b""


def test_an_officer_gets_names_and_contacts_after_giving_a_reason(client, auth, make, province):
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))
    in_english(client)

    book = workbook_of(
        download(client, _nghe_an(province), with_names="y", reason="Danh sách chi trả Sở Y tế")
    )

    cases = {row["Case code"]: row for row in values(book["Cases"])}
    mai = cases[province.cases["mai"].code]
    assert (mai["Full name"], mai["Phone"]) == (NAMES["mai"], PHONE)
    assert mai["Home address"] == "Bản Pủng, xã Châu Khê"
    assert rows(book["Services"])[0]["Notes"].value == SERVICE_NOTE
    assert values(book["Follow-ups"])[0]["Wellbeing"] == WELLBEING
    assert values(book["Training"])[0]["Reason"] == DROPOUT
    # The history of the trafficking never leaves the app.
    assert "Hà Khẩu" not in " ".join(every_text(book))


def test_the_names_export_is_audited_with_the_reason_and_the_filters(
    client, auth, make, frozen_clock, province
):
    officer = sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))

    download(client, _nghe_an(province), with_names="y", reason="Danh sách chi trả Sở Y tế")

    [entry] = _exports()
    na = province.cases["mai"].province
    assert (entry.user_id, entry.at, entry.entity, entry.entity_id) == (
        officer.id,
        frozen_clock.now,
        "provinces",
        na.id,
    )
    assert entry.changes == {
        "workbook": "support",
        "province": "NA",
        "from": "2026-01-01",
        "to": "2026-03-15",
        "names": True,
        "language": "vi",
        "rows": entry.changes["rows"],
        "reason": "Danh sách chi trả Sở Y tế",
    }
    assert entry.changes["rows"] > 6


def test_every_pseudonymous_export_is_audited_too(client, auth, make, province):
    worker = sign_in(auth, province.user(make, Role.SHELTER_STAFF))
    here = province.facilities["here"]

    download(client, place_value(here))

    [entry] = _exports()
    assert (entry.username, entry.entity, entry.entity_id) == (
        worker.username,
        "facilities",
        here.id,
    )
    assert entry.changes["facility"] == "NA-SWC"
    assert entry.changes["names"] is False
    assert "reason" not in entry.changes


def test_names_without_a_reason_are_refused_beside_the_field(client, auth, make, province):
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))
    in_english(client)

    response = download(client, _nghe_an(province), with_names="y", reason="   ")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert field_errors(response, "reason") == [
        "Say why the names are needed: the reason goes into the audit log."
    ]
    assert _exports() == []


def test_a_shelter_worker_is_not_offered_names_and_cannot_ask_for_them(
    client, auth, make, province
):
    sign_in(auth, province.user(make, Role.SHELTER_STAFF))

    page = client.get("/exports/support")
    response = download(
        client, place_value(province.facilities["here"]), with_names="y", reason="Cần tên"
    )

    assert 'name="with_names"' not in text_of(page)
    assert 'name="reason"' not in text_of(page)
    texts = " ".join(every_text(workbook_of(response)))
    assert NAMES["mai"] not in texts
    assert _exports()[0].changes["names"] is False


def test_an_officer_is_offered_names_with_a_reason(client, auth, make, province):
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))

    page = text_of(client.get("/exports/support"))

    assert 'name="with_names"' in page
    assert 'name="reason"' in page
    assert '<form method="post"' in page


UNSAFE = ['=HYPERLINK("http://x")', "+1", "@SUM(1)", "-2+3", "=1+1"]


@pytest.mark.parametrize("text", UNSAFE)
def test_text_that_looks_like_a_formula_is_written_as_text(client, auth, make, province, text):
    service(make, province.cases["tung"], date(2026, 3, 3), 0, provider=text, notes=text)
    province.cases["tung"].receiving_agency = text
    db.session.commit()
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))
    in_english(client)

    book = workbook_of(download(client, _nghe_an(province), with_names="y", reason="Kiểm tra"))

    [tung] = [row for row in rows(book["Cases"]) if row["Full name"].value == NAMES["tung"]]
    [provided] = [row for row in rows(book["Services"]) if row["Date"].value.day == 3]
    for cell in (tung["Receiving agency"], provided["Provided by"], provided["Notes"]):
        assert (cell.value, cell.data_type) == (text, "s")
        assert cell.quotePrefix  # Excel's own mark of "this is text"


def test_control_characters_are_removed_from_text(client, auth, make, province):
    service(make, province.cases["tung"], date(2026, 3, 3), 0, provider="Trung\x07 tâm\x1b\x0b")
    db.session.commit()
    sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))

    book = workbook_of(download(client, _nghe_an(province)))

    providers = [row[4] for row in book.worksheets[3].iter_rows(min_row=2, values_only=True)]
    assert "Trung tâm" in providers


def test_a_failed_export_leaves_no_rows_on_disk_and_nothing_in_the_audit_log(
    make, province, monkeypatch
):
    def broken(*_args):
        raise RuntimeError("the database went away")

    # The sheets before the payments are written (names included) when it fails.
    monkeypatch.setattr(queries, "payments", broken)
    left_before = list(sheet_files.ALL_TEMP_FILES)
    filters = Filters(date(2026, 1, 1), date(2026, 3, 15), province=make.province("NA"), names=True)

    with pytest.raises(RuntimeError), tempfile.TemporaryFile() as target:
        services.export_support(filters, true(), target, "Kiểm tra")

    left_after = list(sheet_files.ALL_TEMP_FILES)
    assert left_after == left_before
    assert _exports() == []
