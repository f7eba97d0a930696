import json

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from reintegration.audit.models import Action, AuditEntry
from reintegration.auth.models import Role, User
from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.keys.tokens import same_name
from reintegration.reference.models import ListKind
from reintegration.shelter.models import Facility
from tests.auth.pages import form_values
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase"


def _entries(action: Action, entity: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    return list(db.session.scalars(query))


def _edit_case(client, case: Case, **changes):
    form = form_values(client.get(f"/cases/{case.id}/edit").get_data(as_text=True))
    form.update(changes)
    return client.post(f"/cases/{case.id}/edit", data=form)


@pytest.fixture
def officer(logged_in):
    return logged_in(Role.PROVINCIAL_OFFICER, username="lan")


def test_viewing_a_case_writes_a_view_entry(client, officer, make, frozen_clock):
    case = make.case(province="NA")
    db.session.commit()

    assert client.get(f"/cases/{case.id}").status_code == 200

    [view] = _entries(Action.VIEW)
    assert (view.entity, view.entity_id, view.case_id) == ("cases", case.id, case.id)
    assert (view.user_id, view.username, view.at, view.ip) == (
        officer.id,
        "lan",
        frozen_clock.now,
        "127.0.0.1",
    )


def test_every_view_of_a_case_is_written(client, officer, make, frozen_clock):
    case = make.case(province="NA")
    db.session.commit()

    client.get(f"/cases/{case.id}")
    frozen_clock.advance(minutes=10)
    client.get(f"/cases/{case.id}")

    assert len(_entries(Action.VIEW)) == 2


def test_a_case_out_of_scope_answers_404_and_writes_no_view(client, officer, make):
    case = make.case(province="HT", home_province="HT")
    db.session.commit()

    assert client.get(f"/cases/{case.id}").status_code == 404
    assert _entries(Action.VIEW) == []


def test_editing_a_case_writes_old_and_new_values_of_the_changed_fields_only(client, officer, make):
    case = make.case(province="NA", receiving_agency="Công an tỉnh", phone="")
    db.session.commit()

    response = _edit_case(
        client, case, received_on="11/03/2026", receiving_agency="Bộ đội Biên phòng tỉnh"
    )

    assert response.status_code == 302
    [change] = _entries(Action.UPDATE, "cases")
    assert (change.entity_id, change.case_id, change.username) == (case.id, case.id, "lan")
    assert change.changes == {
        "received_on": ["2026-03-12", "2026-03-11"],
        "receiving_agency": ["Công an tỉnh", "Bộ đội Biên phòng tỉnh"],
        "version": [1, 2],  # what an edit form read at version 1 is told changed (versions.py)
    }


def test_identifying_and_narrative_fields_are_logged_as_changed_without_their_values(
    client, officer, make
):
    case = make.case(province="NA", full_name="Lò Thị Én", phone="")
    db.session.commit()

    _edit_case(
        client, case, full_name="Lò Thị Yến", phone="0912 345 678", trafficking_notes="Bị ép"
    )

    [change] = _entries(Action.UPDATE, "cases")
    assert change.changes == {
        "full_name": "changed",
        "phone": "changed",
        "trafficking_notes": "changed",
        "version": [1, 2],
    }
    written = json.dumps([e.changes for e in db.session.scalars(select(AuditEntry))])
    assert "Én" not in written
    assert "Yến" not in written
    assert "0912" not in written


def test_ticking_a_form_of_exploitation_writes_it_as_added(client, officer, make):
    case = make.case(province="NA")
    db.session.commit()
    forced_labour = make.item(ListKind.EXPLOITATION, "LABOUR")

    _edit_case(client, case, exploitation_forms=[str(forced_labour.id)])

    [change] = _entries(Action.UPDATE, "cases")
    assert change.changes == {
        "exploitation_forms": {"added": ["LABOUR"], "removed": []},
        "version": [1, 2],
    }


def test_saving_a_case_without_changes_writes_no_update(client, officer, make):
    case = make.case(province="NA")
    db.session.commit()

    assert _edit_case(client, case).status_code == 302

    assert _entries(Action.UPDATE) == []


def test_creating_a_case_through_the_page_writes_a_create_entry(client, logged_in, make):
    staff = logged_in(Role.SHELTER_STAFF, username="thu")
    form = form_values(client.get("/cases/new").get_data(as_text=True))
    form.update(
        full_name="Lò Thị Sinh",
        sex="female",
        date_of_birth="17/05/2004",
        home_province=str(make.province("NA").id),
        return_route=str(make.item(ListKind.RETURN_ROUTE, "HANDOVER").id),
        receiving_agency="Bộ đội Biên phòng",
        identification_status="identified",
        consent="given",
        consent_storage="y",
    )

    response = client.post("/cases/new", data=form)

    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.scalar(select(Case).where(same_name("Lò Thị Sinh")))
    [created] = _entries(Action.CREATE, "cases")
    assert (created.entity_id, created.case_id, created.user_id) == (case.id, case.id, staff.id)
    assert created.changes["code"] == case.code
    assert created.changes["facility_id"] == staff.facility_id


def test_creating_a_user_through_the_page_writes_a_create_entry(client, logged_in):
    admin = logged_in(Role.ADMIN)

    client.post(
        "/admin/users/new",
        data={"username": "hoa", "role": "trainer", "password": PASSWORD, "confirm": PASSWORD},
    )

    hoa = db.session.scalar(select(User).where(User.username == "hoa"))
    [created] = [e for e in _entries(Action.CREATE, "users") if e.entity_id == hoa.id]
    assert (created.user_id, created.username) == (admin.id, admin.username)
    assert (created.changes["username"], created.changes["role"]) == ("hoa", "trainer")


def test_creating_a_facility_through_the_page_writes_a_create_entry(client, logged_in, make):
    admin = logged_in(Role.ADMIN)

    client.post(
        "/admin/facilities/new",
        data={
            "code": "HT-SWC",
            "name": "Trung tâm Công tác xã hội Hà Tĩnh",
            "province": make.province("HT").id,
            "capacity": "40",
            "standard_stay_days": "60",
        },
    )

    facility = db.session.scalar(select(Facility).where(Facility.code == "HT-SWC"))
    [created] = _entries(Action.CREATE, "facilities")
    assert (created.entity_id, created.username) == (facility.id, admin.username)
    assert created.changes["capacity"] == 40


def test_admitting_a_person_writes_a_create_entry_for_the_stay_when_committed(make):
    case = make.case(facility=make.facility())

    stay = make.stay(case)
    db.session.commit()

    [created] = _entries(Action.CREATE, "stays")
    assert (created.entity_id, created.case_id) == (stay.id, case.id)


def test_password_hashes_never_reach_the_audit_log(app, client, logged_in, runner):
    admin = logged_in(Role.ADMIN)
    account = {"role": "trainer", "password": PASSWORD, "confirm": PASSWORD}
    client.post("/admin/users/new", data={"username": "hoa", **account})
    hoa = db.session.scalar(select(User).where(User.username == "hoa"))
    reset = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    client.post(f"/admin/users/{hoa.id}/password", data=reset)
    client.post("/account/password", data={"current": PASSWORD, **reset})
    runner.invoke(args=["users", "create", "root", "--role", "admin"], input=f"{PASSWORD}\n" * 2)
    hoa_client = app.test_client()
    hoa_client.post("/login", data={"username": "hoa", "password": NEW_PASSWORD})

    entries = list(db.session.scalars(select(AuditEntry)))
    written = json.dumps([entry.changes for entry in entries], ensure_ascii=False)
    hashes = db.session.scalars(select(User.password_hash)).all()
    assert len(hashes) == 3
    assert "$argon2" not in written
    assert not [h for h in [*hashes, admin.password_hash] if h in written]
    marks = [e.changes["password_hash"] for e in entries if "password_hash" in (e.changes or {})]
    # Three accounts created, one reset by the administrator, one changed by its owner.
    assert marks == ["changed"] * 5


@pytest.fixture
def entry(make) -> AuditEntry:
    make.case()
    db.session.commit()
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()


def _unchanged(entry: AuditEntry, username: str) -> bool:
    db.session.expire_all()
    stored = db.session.get(AuditEntry, entry.id)
    return stored is not None and stored.username == username


def test_audit_entry_cannot_be_updated(entry):
    username = entry.username
    statement = update(AuditEntry).where(AuditEntry.id == entry.id).values(username="someone")

    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(statement)

    assert _unchanged(entry, username)


def test_audit_entry_cannot_be_changed_through_the_model(entry):
    username = entry.username

    savepoint = db.session.begin_nested()
    entry.changes = {"full_name": "hidden"}
    entry.username = "someone"
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.flush()
    savepoint.rollback()

    assert _unchanged(entry, username)


def test_audit_entry_cannot_be_deleted(entry):
    username = entry.username

    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(delete(AuditEntry).where(AuditEntry.id == entry.id))

    assert _unchanged(entry, username)


def test_audit_log_cannot_be_emptied_with_plain_sql(entry):
    count = db.session.scalar(text("SELECT count(*) FROM audit_entries"))

    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("DELETE FROM audit_entries"))

    assert db.session.scalar(text("SELECT count(*) FROM audit_entries")) == count > 0


def test_changes_rolled_back_leave_no_audit_entry(make):
    case = make.case()
    db.session.commit()

    case.phone = "0900 000 000"
    db.session.flush()
    db.session.rollback()
    db.session.commit()

    assert _entries(Action.UPDATE, "cases") == []
