"""What a copy of the database holds: no name, birth date, phone, address or note in clear."""

from datetime import date

from sqlalchemy import select, text

from reintegration.audit.models import AuditEntry
from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.keys.fields import Encrypted, Unreadable, decrypt, encrypt
from reintegration.keys.models import SearchToken
from reintegration.keys.rotation import encrypted_columns

NAME = "Phạm Thị Bích Ngọc"
PERSONAL = {
    "full_name": NAME,
    "phone": "0987 654 321",
    "home_address": "Xóm 4, thôn Đồng Tâm",
    "family_contacts": "Mẹ: Lò Thị Sáu, 0912 000 111",
    "trafficking_notes": "Bị lừa sang biên giới, giữ giấy tờ",
}


def _stored(case_id: int) -> dict:
    columns = [*PERSONAL, "date_of_birth"]
    row = db.session.execute(
        text(f"SELECT {', '.join(columns)} FROM cases WHERE id = :id"),  # noqa: S608
        {"id": case_id},
    ).one()
    return dict(zip(columns, row, strict=True))


def test_a_case_s_personal_fields_are_stored_encrypted_and_read_back_in_clear(make):
    case = make.case(date_of_birth=date(1999, 8, 2), **PERSONAL)
    db.session.flush()
    db.session.expire_all()

    stored = _stored(case.id)
    for name, value in stored.items():
        assert value.startswith("test:"), name  # the key's id, then the ciphertext
        assert "Ngọc" not in value
        assert "0987" not in value
        assert "1999" not in value
    case = db.session.get(Case, case.id)
    assert {name: getattr(case, name) for name in PERSONAL} == PERSONAL
    assert case.date_of_birth == date(1999, 8, 2)


def test_the_same_name_is_stored_differently_each_time(make):
    first, second = make.case(full_name=NAME), make.case(full_name=NAME)
    db.session.flush()

    assert _stored(first.id)["full_name"] != _stored(second.id)["full_name"]


def test_an_empty_field_stays_empty_and_a_missing_birth_date_null(make):
    case = make.case(phone="", date_of_birth=None, estimated_birth_year=1990)
    db.session.flush()

    stored = _stored(case.id)
    assert stored["phone"] == ""
    assert stored["date_of_birth"] is None


def test_a_value_copied_into_another_column_does_not_open(app):
    with app.app_context():
        sealed = encrypt("cases.trafficking_notes", "ghi chú")

        assert decrypt("cases.trafficking_notes", sealed) == "ghi chú"
        try:
            decrypt("cases.full_name", sealed)
        except Unreadable:
            pass
        else:
            raise AssertionError("a note opened as a name")


def test_the_tokens_and_the_audit_log_hold_no_name_either(make):
    case = make.case(**PERSONAL)
    case.full_name = "Phạm Thị Bích Hà"
    db.session.flush()
    db.session.commit()

    tokens = db.session.scalars(select(SearchToken.token).where(SearchToken.case_id == case.id))
    assert all(len(token) == 32 and "ngoc" not in token for token in tokens)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id)).all()
    logged = repr([entry.changes for entry in entries])
    assert entries
    assert "Ngọc" not in logged
    assert "0987" not in logged
    assert "Hà" not in logged
    assert any((entry.changes or {}).get("full_name") == "changed" for entry in entries)


def test_every_field_that_names_or_locates_a_person_is_encrypted():
    encrypted = {(table, column) for table, column, _purpose in encrypted_columns()}

    assert {
        ("cases", "full_name"),
        ("cases", "date_of_birth"),
        ("cases", "phone"),
        ("cases", "home_address"),
        ("cases", "family_contacts"),
        ("cases", "trafficking_notes"),
        ("stays", "destination_address"),
        ("stays", "discharge_note"),
        ("services", "notes"),
        ("followups", "wellbeing"),
        ("case_closures", "note"),
        ("plans", "note"),
    } <= encrypted
    # Each is authenticated with its own column's name.
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Encrypted):
                assert column.type.purpose == f"{table.name}.{column.name}"
