"""Intake at /cases/new: codes, required fields, consent rules, duplicates; editing a case."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.cases.models import Case, Sex, Stage
from reintegration.cases.queries import matching
from reintegration.extensions import db
from reintegration.reference.models import IdentificationStatus, ListKind
from tests.helpers import count, field_errors, in_english, reload, sign_in, text_of


@pytest.fixture
def facility(make):
    return make.facility("NA", name="Trung tâm Công tác xã hội Nghệ An")


@pytest.fixture
def staff(make, auth, client, facility):
    user = sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
    in_english(client)
    return user


def _case(code: str) -> Case:
    return db.session.scalar(select(Case).where(Case.code == code))


def test_complete_form_creates_a_case_coded_by_province_and_year(client, staff, facility, intake):
    response = client.post("/cases/new", data=intake(facility))

    case = _case("NA-2026-0001")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert case.full_name == "Trần Thị Lan"
    assert case.sex == Sex.FEMALE
    assert case.date_of_birth == date(2001, 5, 17)
    assert case.received_on == date(2026, 3, 12)
    assert case.facility_id == facility.id
    assert case.province.code == "NA"
    assert case.stage == Stage.RECEIVED
    assert case.consent_given
    assert case.consent_storage
    assert "NA-2026-0001" in text_of(client.get(response.headers["Location"]))


def test_case_numbers_count_up_per_province(client, staff, facility, intake):
    client.post("/cases/new", data=intake(facility, full_name="Trần Thị Lan"))
    client.post("/cases/new", data=intake(facility, full_name="Lê Thị Thu"))

    assert _case("NA-2026-0001").full_name == "Trần Thị Lan"
    assert _case("NA-2026-0002").full_name == "Lê Thị Thu"


def test_another_province_starts_at_0001(client, make, auth, facility, intake):
    make.case(facility)
    make.case(facility)
    ha_tinh = make.facility("HT")
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=ha_tinh))

    client.post("/cases/new", data=intake(ha_tinh, full_name="Phan Thị Hồng"))

    assert _case("HT-2026-0001").full_name == "Phan Thị Hồng"
    assert _case("NA-2026-0003") is None


def test_the_year_of_the_code_is_the_year_of_reception(client, staff, facility, intake):
    client.post("/cases/new", data=intake(facility, full_name="Trần Thị Lan"))

    client.post(
        "/cases/new",
        data=intake(
            facility, full_name="Lê Thị Thu", received_on="28/12/2025", consent_date="28/12/2025"
        ),
    )

    assert _case("NA-2025-0001").full_name == "Lê Thị Thu"
    assert _case("NA-2026-0001").full_name == "Trần Thị Lan"


def test_a_case_number_is_never_given_twice(client, make, staff, facility, intake):
    first = make.case(facility)
    second = make.case(facility)

    client.post("/cases/new", data=intake(facility))

    assert (first.code, second.code) == ("NA-2026-0001", "NA-2026-0002")
    assert _case("NA-2026-0003").full_name == "Trần Thị Lan"
    assert count(Case) == 3


def test_officer_without_facility_files_the_case_under_their_province(client, make, auth, intake):
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="TH"))

    client.post("/cases/new", data=intake(None))

    case = _case("TH-2026-0001")
    assert case.facility_id is None
    assert case.full_name == "Trần Thị Lan"


REQUIRED = (
    "full_name",
    "sex",
    "home_province",
    "return_route",
    "receiving_agency",
    "received_on",
    "identification_status",
    "consent",
    "consent_date",
)


def test_missing_required_fields_are_each_marked_and_nothing_is_saved(client, staff, facility):
    response = client.post("/cases/new", data={"facility": facility.id})

    assert response.status_code == 200
    for name in REQUIRED:
        assert field_errors(response, name), f"no message beside {name}"
    assert "Nothing was saved" in text_of(response)
    assert count(Case) == 0


@pytest.mark.parametrize("name", REQUIRED)
def test_each_required_field_is_required_on_its_own(client, staff, facility, intake, name):
    response = client.post("/cases/new", data=intake(facility, **{name: ""}))

    assert field_errors(response, name)
    assert count(Case) == 0


@pytest.mark.parametrize("name", ["received_on", "consent_date", "date_of_birth"])
def test_a_date_in_the_future_is_refused(client, staff, facility, intake, name):
    response = client.post("/cases/new", data=intake(facility, **{name: "16/03/2026"}))

    assert field_errors(response, name) == ["This date is in the future."]
    assert count(Case) == 0


def test_today_is_not_in_the_future(client, staff, facility, intake):
    client.post(
        "/cases/new", data=intake(facility, received_on="2026-03-15", consent_date="15/03/2026")
    )

    assert _case("NA-2026-0001").received_on == date(2026, 3, 15)


def test_a_garbled_date_is_refused(client, staff, facility, intake):
    response = client.post("/cases/new", data=intake(facility, received_on="31/02/2026"))

    assert field_errors(response, "received_on")
    assert count(Case) == 0


def test_a_garbled_date_asks_for_dd_mm_yyyy(client, staff, facility, intake):
    response = client.post("/cases/new", data=intake(facility, received_on="31/02/2026"))

    assert field_errors(response, "received_on") == ["Write the date as dd/mm/yyyy."]


def test_neither_birth_date_nor_estimated_age_is_refused(client, staff, facility, intake):
    response = client.post("/cases/new", data=intake(facility, date_of_birth=""))

    assert field_errors(response, "estimated_age") == [
        "Give the date of birth or an estimated age."
    ]
    assert count(Case) == 0


def test_both_birth_date_and_estimated_age_are_refused(client, staff, facility, intake):
    response = client.post("/cases/new", data=intake(facility, estimated_age="24"))

    assert field_errors(response, "estimated_age") == [
        "Give either the date of birth or an estimated age, not both."
    ]
    assert count(Case) == 0


def test_an_estimated_age_is_kept_as_a_birth_year(client, staff, facility, intake):
    client.post("/cases/new", data=intake(facility, date_of_birth="", estimated_age="24"))

    case = _case("NA-2026-0001")
    assert case.date_of_birth is None
    assert case.estimated_birth_year == 2002


def test_commune_outside_the_home_province_is_refused(client, make, staff, facility, intake):
    elsewhere = make.commune(make.province("HT"), name="Xã Hương Khê")

    response = client.post("/cases/new", data=intake(facility, home_commune=elsewhere.id))

    assert field_errors(response, "home_commune") == ["This commune is not in the home province."]
    assert count(Case) == 0


def test_commune_inside_the_home_province_is_kept(client, make, staff, facility, intake):
    commune = make.commune(make.province("NA"), name="Xã Mường Xén")
    db.session.commit()

    client.post("/cases/new", data=intake(facility, home_commune=commune.id))

    assert _case("NA-2026-0001").home_commune_id == commune.id


def test_consent_given_must_say_what_it_covers(client, staff, facility, intake):
    response = client.post("/cases/new", data=intake(facility, consent_storage=None))

    assert field_errors(response, "consent_storage") == ["Tick what the consent covers."]
    assert count(Case) == 0


def test_refused_consent_cannot_cover_anything(client, staff, facility, intake):
    response = client.post(
        "/cases/new", data=intake(facility, consent="refused", consent_contact="y")
    )

    assert field_errors(response, "consent_storage") == [
        "Consent was refused: it cannot cover anything."
    ]
    assert count(Case) == 0


def test_refused_consent_with_nothing_ticked_is_recorded(client, staff, facility, intake):
    client.post("/cases/new", data=intake(facility, consent="refused", consent_storage=None))

    case = _case("NA-2026-0001")
    assert not case.consent_given
    assert case.consent_date == date(2026, 3, 12)


def test_sharing_needs_the_agencies_named(client, staff, facility, intake):
    response = client.post("/cases/new", data=intake(facility, consent_sharing="y"))

    assert field_errors(response, "consent_agencies") == [
        "Name the agencies the data may be shared with."
    ]
    assert count(Case) == 0


def test_sharing_with_named_agencies_is_kept(client, staff, facility, intake):
    client.post(
        "/cases/new",
        data=intake(facility, consent_sharing="y", consent_agencies="Công an tỉnh Nghệ An"),
    )

    case = _case("NA-2026-0001")
    assert case.consent_sharing
    assert case.consent_agencies == "Công an tỉnh Nghệ An"


def test_trafficking_profile_is_stored(client, make, staff, facility, intake):
    forced_labour = make.item(ListKind.EXPLOITATION, "LABOUR")
    scams = make.item(ListKind.EXPLOITATION, "CRIMINALITY")
    debt = make.item(ListKind.CONTROL, "DEBT")
    cambodia = make.item(ListKind.COUNTRY, "KH")

    client.post(
        "/cases/new",
        data=intake(
            facility,
            exploitation_country=cambodia.id,
            exploitation_forms=[forced_labour.id, scams.id],
            control_means=[debt.id],
            identification_status="under_identification_vietnam",
        ),
    )

    case = _case("NA-2026-0001")
    assert case.exploitation_country_id == cambodia.id
    assert {item.code for item in case.exploitation_forms} == {"LABOUR", "CRIMINALITY"}
    assert [item.code for item in case.control_means] == ["DEBT"]
    assert case.identification_status == IdentificationStatus.UNDER_IDENTIFICATION_VIETNAM


def test_same_name_and_birth_date_shows_a_warning_and_saves_nothing(
    client, make, staff, facility, intake
):
    existing = make.case(facility, full_name="Trần Thị Lan", date_of_birth=date(2001, 5, 17))
    db.session.commit()

    response = client.post("/cases/new", data=intake(facility, full_name="Tran Thi Lan"))

    page = text_of(response)
    assert response.status_code == 200
    assert "This person may already have a case" in page
    assert existing.code in page
    assert count(Case) == 1


def test_confirming_a_possible_duplicate_saves_the_case(client, make, staff, facility, intake):
    make.case(facility, full_name="Trần Thị Lan", date_of_birth=date(2001, 5, 17))
    db.session.commit()
    warned = client.post("/cases/new", data=intake(facility))
    token = re.search(r'name="confirm_duplicate" type="hidden" value="(\w+)"', text_of(warned))

    response = client.post("/cases/new", data=intake(facility, confirm_duplicate=token.group(1)))

    assert response.status_code == 302
    assert _case("NA-2026-0002").full_name == "Trần Thị Lan"


def test_a_confirmation_does_not_cover_a_different_possible_duplicate(
    client, make, staff, facility, intake
):
    make.case(facility, full_name="Trần Thị Lan", date_of_birth=date(2001, 5, 17))
    other = make.case(facility, full_name="Lê Thị Hoa", date_of_birth=date(2001, 5, 17))
    db.session.commit()
    warned = client.post("/cases/new", data=intake(facility))
    token = re.search(r'name="confirm_duplicate" type="hidden" value="(\w+)"', text_of(warned))

    response = client.post(
        "/cases/new",
        data=intake(facility, full_name="Lê Thị Hoa", confirm_duplicate=token.group(1)),
    )

    assert response.status_code == 200
    assert other.code in text_of(response)
    assert count(Case) == 2


def test_same_name_and_home_commune_is_a_possible_duplicate(client, make, staff, facility, intake):
    commune = make.commune(make.province("NA"), name="Xã Kỳ Sơn")
    existing = make.case(
        facility,
        full_name="Trần Thị Lan",
        date_of_birth=None,
        estimated_birth_year=1999,
        home_commune=commune,
    )
    db.session.commit()

    response = client.post(
        "/cases/new",
        data=intake(facility, date_of_birth="", estimated_age="27", home_commune=commune.id),
    )

    assert existing.code in text_of(response)
    assert count(Case) == 1


def test_same_name_alone_is_not_a_duplicate(client, make, staff, facility, intake):
    make.case(facility, full_name="Trần Thị Lan", date_of_birth=date(1990, 1, 1))
    db.session.commit()

    response = client.post("/cases/new", data=intake(facility))

    assert response.status_code == 302
    assert count(Case) == 2


def test_a_duplicate_the_user_cannot_see_is_only_counted(client, make, staff, facility, intake):
    hidden = make.case(
        make.facility("HT"), full_name="Trần Thị Lan", date_of_birth=date(2001, 5, 17)
    )
    db.session.commit()

    response = client.post("/cases/new", data=intake(facility, full_name="Tran Thi Lan"))

    page = text_of(response)
    assert "1 more possible match is in a case you cannot see" in page
    assert hidden.code not in page
    assert "Trần Thị Lan" not in page
    assert "HT-2026" not in page
    assert count(Case) == 1


def test_editing_a_case_changes_the_stored_values(client, make, staff, facility, intake):
    case = make.case(facility, full_name="Trần Thị Lan")
    db.session.commit()

    response = client.post(
        f"/cases/{case.id}/edit",
        data=intake(
            facility,
            full_name="Trần Thị Lan Anh",
            phone="0912 345 678",
            identification_status="under_identification_abroad",
            consent_contact="y",
        ),
    )

    assert response.status_code == 302
    case = reload(case)
    assert case.full_name == "Trần Thị Lan Anh"
    # The search finds the new name, by its keyed tokens (names are stored encrypted).
    assert db.session.scalars(select(Case.id).where(matching("anh tran"))).all() == [case.id]
    assert case.phone == "0912 345 678"
    assert case.identification_status == IdentificationStatus.UNDER_IDENTIFICATION_ABROAD
    assert case.consent_contact
    assert case.code == "NA-2026-0001"


def test_edit_page_shows_the_stored_values(client, make, staff, facility):
    case = make.case(facility, full_name="Trần Thị Lan", phone="0912 345 678")
    db.session.commit()

    page = text_of(client.get(f"/cases/{case.id}/edit"))

    assert 'value="Trần Thị Lan"' in page
    assert 'value="0912 345 678"' in page


def test_editing_applies_the_same_rules_as_intake(client, make, staff, facility, intake):
    case = make.case(facility, full_name="Trần Thị Lan")
    db.session.commit()

    response = client.post(
        f"/cases/{case.id}/edit", data=intake(facility, full_name="", consent_storage=None)
    )

    assert field_errors(response, "full_name")
    assert reload(case).full_name == "Trần Thị Lan"


def test_shelter_staff_intake_without_a_facility_stays_at_their_facility(
    client, staff, facility, intake
):
    response = client.post("/cases/new", data=intake(None))

    case = _case("NA-2026-0001")
    assert case.facility_id == facility.id
    assert client.get(response.headers["Location"]).status_code == 200


def test_intake_by_a_user_of_no_province_asks_for_the_facility(client, make, auth, intake):
    sign_in(auth, make.user(Role.ADMIN))
    in_english(client)

    response = client.post("/cases/new", data=intake(None))

    assert field_errors(response, "facility") == ["Choose the facility that receives the person."]
    assert count(Case) == 0


def test_many_visible_duplicates_are_not_counted_as_hidden(client, make, staff, facility, intake):
    for _ in range(11):
        make.case(facility, full_name="Trần Thị Lan", date_of_birth=date(2001, 5, 17))
    db.session.commit()

    response = client.post("/cases/new", data=intake(facility))

    page = text_of(response)
    assert "This person may already have a case" in page
    assert "cannot see" not in page
    assert count(Case) == 11


def test_an_administrator_sees_every_possible_duplicate(client, make, auth, intake):
    elsewhere = make.case(
        make.facility("HT"), full_name="Trần Thị Lan", date_of_birth=date(2001, 5, 17)
    )
    sign_in(auth, make.user(Role.ADMIN))
    in_english(client)

    response = client.post("/cases/new", data=intake(make.facility("NA")))

    page = text_of(response)
    assert elsewhere.code in page
    assert "cannot see" not in page
    assert count(Case) == 1


def test_a_resident_cannot_be_moved_to_another_facility_by_editing_the_case(
    client, make, auth, facility, intake
):
    sign_in(auth, make.user(Role.PROVINCIAL_OFFICER, province="NA"))
    case = make.case(facility, full_name="Trần Thị Lan")
    make.stay(case, facility)
    other = make.facility(province="NA")
    db.session.commit()

    response = client.post(f"/cases/{case.id}/edit", data=intake(other))

    assert facility.name in " ".join(field_errors(response, "facility"))
    assert reload(case).facility_id == facility.id
