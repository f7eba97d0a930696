"""Confirming a preview: all rows go in at once, through the intake and shelter services."""

from datetime import date

import pytest
from sqlalchemy import func, select, text

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role
from reintegration.cases.models import Case, Stage
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.followups.models import FollowUp
from reintegration.imports import services
from reintegration.imports.models import ImportPreview
from reintegration.keys.tokens import same_name
from reintegration.shelter.models import Stay
from tests.helpers import count, in_english, sign_in, text_of
from tests.imports.helpers import people, person, token_of, upload, workbook

# The three wrong rows of test_preview, corrected.
FIXED = {
    "row21": {"Date received": "21/01/2025"},
    "row76": {"Sex": "Female"},
    "row152": {"Date of discharge": date(2025, 7, 1)},
}


def _codes() -> list[str]:
    return list(db.session.scalars(select(Case.code).order_by(Case.id)))


def test_the_corrected_file_imports_all_200_cases_at_once(client, staff, facility):
    in_english(client)
    token = token_of(upload(client, workbook(people(200, **FIXED)), facility))
    response = client.post(f"/imports/{token}")

    assert response.status_code == 302
    assert response.location.endswith("/cases/")
    assert (count(Case), count(Stay)) == (200, 134)
    codes = _codes()
    assert codes[0] == "NA-2025-0001"
    assert codes[-1] == "NA-2025-0200"
    assert "200 cases are imported." in text_of(client.get("/cases/"))


def test_imported_rows_are_stored_as_the_intake_and_the_shelter_store_them(
    client, make, staff, facility
):
    commune = make.commune(make.province("NA"), name="Xã Nghi Lộc")
    rows = people(3)
    rows[1].update({"Home commune or ward": "xa nghi loc", "Planned end": date(2025, 3, 1)})
    db.session.commit()

    client.post(f"/imports/{token_of(upload(client, workbook(rows), facility))}")

    case = db.session.scalar(select(Case).where(Case.code == "NA-2025-0002"))
    assert (case.full_name, case.date_of_birth, case.home_commune) == (
        "Nguyễn Thị Thử 002",
        date(1987, 3, 3),
        commune,
    )
    assert (case.return_route.code, case.exploitation_country.code) == ("SELF", "KH")
    assert {item.code for item in case.exploitation_forms} == {"LABOUR", "SEXUAL"}
    assert (case.consent_given, case.consent_storage, case.consent_contact) == (True, True, True)
    assert (case.facility, case.created_by, case.stage) == (facility, staff, Stage.DISCHARGED)
    stay = case.stays[0]
    assert (stay.admitted_on, stay.planned_end, stay.discharged_on, stay.destination.code) == (
        date(2025, 1, 4),
        date(2025, 3, 1),
        date(2025, 2, 12),
        "HOME",
    )
    # Discharged over a year ago: its follow-up marks are all past, and none is planned.
    assert not db.session.scalar(select(func.count(FollowUp.id)).where(FollowUp.case_id == case.id))


def test_a_recent_discharge_plans_only_the_follow_ups_still_ahead(client, staff, facility):
    row = person(
        1,
        **{
            "Date received": date(2025, 12, 1),
            "Date of consent": "01/12/2025",
            "Date of admission": date(2025, 12, 2),
            "Date of discharge": date(2026, 1, 10),
        },
    )
    client.post(f"/imports/{token_of(upload(client, workbook([row]), facility))}")
    case = db.session.scalar(select(Case).where(same_name(row["Full name"])))
    planned = db.session.scalars(
        select(FollowUp.planned_on).where(FollowUp.case_id == case.id).order_by(FollowUp.planned_on)
    ).all()
    # 1 month after 10/01/2026 is past on 15/03/2026; 3, 6 and 12 months are ahead.
    assert planned == [date(2026, 4, 10), date(2026, 7, 10), date(2027, 1, 10)]


def test_every_imported_record_is_in_the_audit_log_under_the_importer(client, staff, facility):
    client.post(f"/imports/{token_of(upload(client, workbook(people(3)), facility))}")

    created = db.session.execute(
        select(AuditEntry.entity, AuditEntry.username).where(AuditEntry.action == Action.CREATE)
    ).all()
    assert created.count(("cases", staff.username)) == 3
    assert created.count(("stays", staff.username)) == 2


def test_a_refusal_in_the_middle_of_the_import_saves_nothing(client, staff, facility, monkeypatch):
    token = token_of(upload(client, workbook(people(20)), facility))
    real = services.import_row
    imported = []

    def refuse_the_twelfth(row, *args):
        imported.append(row.number)
        if len(imported) == 12:
            raise DomainError("The person was admitted elsewhere meanwhile.", "admitted_on")
        return real(row, *args)

    monkeypatch.setattr(services, "import_row", refuse_the_twelfth)
    in_english(client)

    response = client.post(f"/imports/{token}")

    assert response.status_code == 400
    assert "Row 13: The person was admitted elsewhere meanwhile." in text_of(response)
    assert (count(Case), count(Stay), count(FollowUp)) == (0, 0, 0)
    assert not db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.entity == "cases")
    )


def test_a_refused_import_can_be_tried_again(client, staff, facility, monkeypatch):
    token = token_of(upload(client, workbook(people(5)), facility))
    real = services.import_row

    def refuse(row, *args):
        raise DomainError("Refused.")

    monkeypatch.setattr(services, "import_row", refuse)
    client.post(f"/imports/{token}")
    monkeypatch.setattr(services, "import_row", real)

    response = client.post(f"/imports/{token}")

    assert response.status_code == 302
    assert count(Case) == 5


def test_a_second_click_on_import_imports_nothing_more(client, staff, facility):
    token = token_of(upload(client, workbook(people(5)), facility))
    client.post(f"/imports/{token}")

    again = client.post(f"/imports/{token}")

    assert again.status_code == 404
    assert count(Case) == 5


def test_a_file_with_problems_cannot_be_imported(client, staff, facility):
    token = token_of(upload(client, workbook(people(5, row3={"Sex": "?"})), facility))

    response = client.post(f"/imports/{token}")

    assert response.status_code == 400
    assert count(Case) == 0


def test_possible_duplicates_must_be_confirmed_before_the_import(client, make, staff, facility):
    make.case(facility, full_name="Nguyễn Thị Thử 002", date_of_birth=date(1987, 3, 3))
    db.session.commit()
    token = token_of(upload(client, workbook(people(3)), facility))
    in_english(client)

    refused = client.post(f"/imports/{token}")
    confirmed = client.post(f"/imports/{token}", data={"different_people": "y"})

    assert refused.status_code == 400
    assert "tick this box to import all the rows" in text_of(refused)
    assert confirmed.status_code == 302
    assert count(Case) == 4


def test_the_preview_of_one_user_is_not_found_by_another(client, make, auth, staff, facility):
    token = token_of(upload(client, workbook(people(3)), facility))
    auth.logout()
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))

    assert client.get(f"/imports/{token}").status_code == 404
    assert client.post(f"/imports/{token}").status_code == 404
    assert count(Case) == 0


def _previews() -> list[str]:
    return list(db.session.scalars(select(ImportPreview.token)))


def test_a_preview_is_forgotten_after_an_hour(
    app, client, staff, facility, frozen_clock, monkeypatch
):
    monkeypatch.setitem(app.config, "SESSION_MINUTES", 120)
    token = token_of(upload(client, workbook(people(3)), facility))
    frozen_clock.advance(minutes=59)
    assert client.get(f"/imports/{token}").status_code == 200
    frozen_clock.advance(minutes=2)

    assert client.get(f"/imports/{token}").status_code == 404
    assert client.post(f"/imports/{token}").status_code == 404
    assert _previews() == []  # its row deleted, with the names it held
    assert count(Case) == 0


def test_each_upload_deletes_the_previews_older_than_an_hour(
    app, client, staff, facility, frozen_clock, monkeypatch
):
    monkeypatch.setitem(app.config, "SESSION_MINUTES", 120)
    old = token_of(upload(client, workbook(people(3)), facility))
    frozen_clock.advance(minutes=30)
    recent = token_of(upload(client, workbook(people(2)), facility))
    frozen_clock.advance(minutes=31)

    new = token_of(upload(client, workbook(people(1)), facility))

    assert sorted(_previews()) == sorted([recent, new])
    assert old not in _previews()


def test_the_preview_is_deleted_once_imported(client, staff, facility):
    token = token_of(upload(client, workbook(people(3)), facility))
    assert _previews() == [token]

    client.post(f"/imports/{token}")

    assert _previews() == []


def test_a_preview_crashing_its_import_is_there_to_try_again(client, staff, facility, monkeypatch):
    """A request that dies midway (here, an error no rule expected) rolls its claim back: the
    preview is not stuck until it expires."""
    token = token_of(upload(client, workbook(people(4)), facility))
    real = services.import_row
    monkeypatch.setattr(services, "import_row", lambda *_args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        client.post(f"/imports/{token}")
    monkeypatch.setattr(services, "import_row", real)

    assert client.get(f"/imports/{token}").status_code == 200
    assert client.post(f"/imports/{token}").status_code == 302
    assert count(Case) == 4


def test_the_stored_preview_holds_no_name_in_clear(client, staff, facility):
    token = token_of(upload(client, workbook(people(3)), facility))

    raw = db.session.execute(
        text("SELECT sealed FROM import_previews WHERE token = :token"), {"token": token}
    ).scalar_one()

    stored = bytes(raw)
    assert len(stored) > 500
    for name in ("Nguyễn Thị Thử 001", "Nguyễn Thị Thử 003"):
        assert name.encode("utf-8") not in stored
        assert name.encode("utf-16-le") not in stored
    assert b"Nguy" not in stored


def test_names_stay_out_of_the_address_and_the_session(client, staff, facility):
    response = upload(client, workbook(people(3)), facility)

    assert "Nguy" not in response.location
    with client.session_transaction() as session:
        assert "Nguy" not in str(dict(session))


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.ADMIN])
def test_an_officer_or_admin_chooses_the_facility(client, make, auth, role):
    chosen = make.facility("NA", code="NA-PH")
    sign_in(auth, make.user(role, province="NA" if role == Role.PROVINCIAL_OFFICER else None))

    client.post(f"/imports/{token_of(upload(client, workbook(people(2)), chosen))}")

    assert {case.facility for case in db.session.scalars(select(Case))} == {chosen}


def test_an_officer_cannot_import_into_another_province(client, make, auth):
    elsewhere = make.facility("HT")
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))
    in_english(client)

    response = upload(client, workbook(people(2)), elsewhere)

    assert response.status_code == 200
    assert "Not a valid choice." in text_of(response)
    assert count(Case) == 0


def test_an_import_that_fails_unexpectedly_keeps_the_preview_to_try_again(
    client, staff, facility, monkeypatch
):
    token = token_of(upload(client, workbook(people(3)), facility))

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "import_rows", broken)
    with pytest.raises(RuntimeError):
        client.post(f"/imports/{token}")
    assert count(Case) == 0
    assert client.get(f"/imports/{token}").status_code == 200
