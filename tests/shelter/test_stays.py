"""Admission, extension and discharge: the rules of the shelter stay."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reintegration.auth.models import Role
from reintegration.cases.models import Stage
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.shelter.models import Stay, StayExtension
from tests.helpers import (
    count,
    field_errors,
    form_errors,
    in_english,
    reload,
    sign_in,
    text_of,
)


@pytest.fixture
def facility(make):
    return make.facility("NA", capacity=20, stay_days=60, name="Trung tâm Công tác xã hội Nghệ An")


@pytest.fixture
def case(make, facility):
    received = make.case(facility, received_on=date(2026, 3, 10), consent_date=date(2026, 3, 10))
    db.session.commit()
    return received


def _admit(client, case, facility, on="12/03/2026", **extra):
    return client.post(
        f"/cases/{case.id}/admit",
        data={"facility": facility.id, "admitted_on": on, **extra},
    )


def _stays(case) -> list[Stay]:
    db.session.expire_all()
    return db.session.scalars(
        select(Stay).where(Stay.case_id == case.id).order_by(Stay.admitted_on)
    ).all()


def _extend(client, stay, new_end, reason="Chờ xác minh nhân thân", approved_by="Giám đốc"):
    return client.post(
        f"/stays/{stay.id}/extend",
        data={"new_end": new_end, "reason": reason, "approved_by": approved_by},
    )


def _discharge(client, stay, make, on="15/03/2026", destination="HOME", address="Xã Tương Dương"):
    data = {"discharged_on": on, "destination_address": address}
    if destination:
        data["destination"] = make.item(ListKind.DESTINATION, destination).id
    return client.post(f"/stays/{stay.id}/discharge", data=data)


def test_admission_plans_the_end_by_the_facility_standard_stay(client, staff, case, facility):
    response = _admit(client, case, facility, on="12/03/2026")

    [stay] = _stays(case)
    assert response.status_code == 302
    assert stay.admitted_on == date(2026, 3, 12)
    assert stay.planned_end == date(2026, 5, 11)
    assert stay.facility_id == facility.id
    assert reload(case).stage == Stage.IN_SHELTER


def test_a_facility_with_a_45_day_stay_plans_45_days(client, make, auth):
    short = make.facility(stay_days=45)
    case = make.case(short, received_on=date(2026, 3, 1))
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=short))

    _admit(client, case, short, on="2026-03-01")

    [stay] = _stays(case)
    assert stay.planned_end == date(2026, 4, 15)
    assert stay.planned_days == 45


def test_a_standard_stay_longer_than_the_legal_limit_is_cut_to_it(client, make, auth):
    long_stay = make.facility(stay_days=150)
    case = make.case(long_stay, received_on=date(2026, 3, 1))
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=long_stay))

    _admit(client, case, long_stay, on="01/03/2026")

    [stay] = _stays(case)
    assert stay.planned_end == date(2026, 6, 29)


def test_the_admission_is_on_the_case_page(client, staff, case, facility):
    _admit(client, case, facility, on="12/03/2026")

    page = text_of(client.get(f"/cases/{case.id}"))

    assert "The person is admitted." in page
    assert "Day 4 of 60" in page


def test_a_second_open_stay_is_refused(client, make, staff, case, facility):
    make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    response = _admit(client, case, facility, on="14/03/2026")

    assert response.status_code == 200
    assert field_errors(response, "facility") == [
        "This person is already staying at Trung tâm Công tác xã hội Nghệ An."
    ]
    assert len(_stays(case)) == 1


def test_admission_before_reception_is_refused(client, staff, case, facility):
    response = _admit(client, case, facility, on="09/03/2026")

    assert field_errors(response, "admitted_on") == [
        "Admission cannot come before the person was received."
    ]
    assert _stays(case) == []


def test_admission_in_the_future_is_refused(client, staff, case, facility):
    response = _admit(client, case, facility, on="16/03/2026")

    assert field_errors(response, "admitted_on") == ["This date is in the future."]
    assert _stays(case) == []


def test_a_full_facility_warns_and_admits_nobody(client, make, auth):
    full = make.facility(capacity=1, name="Ngôi nhà Bình yên")
    make.stay(make.case(full))
    case = make.case(full)
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=full))
    in_english(client)

    response = _admit(client, case, full, on="15/03/2026")

    assert response.status_code == 200
    assert "Ngôi nhà Bình yên is full: all 1 places are taken." in " ".join(form_errors(response))
    assert 'name="confirm_full"' in response.get_data(as_text=True)
    assert _stays(case) == []


def test_a_full_facility_admits_when_the_user_confirms(client, make, auth):
    full = make.facility(capacity=1)
    make.stay(make.case(full))
    case = make.case(full)
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=full))
    in_english(client)

    response = _admit(client, case, full, on="15/03/2026", confirm_full="y")

    assert response.status_code == 302
    assert len(_stays(case)) == 1
    assert "The facility is over its capacity." in text_of(client.get(f"/cases/{case.id}"))


def test_extension_keeps_the_new_end_reason_and_approver(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    response = _extend(
        client, stay, "20/06/2026", reason="Chờ kết quả xác minh", approved_by="Sở Y tế Nghệ An"
    )

    assert response.status_code == 302
    assert reload(stay).planned_end == date(2026, 6, 20)
    [extension] = db.session.scalars(select(StayExtension)).all()
    assert extension.stay_id == stay.id
    assert extension.previous_end == date(2026, 5, 9)
    assert extension.new_end == date(2026, 6, 20)
    assert extension.reason == "Chờ kết quả xác minh"
    assert extension.approved_by == "Sở Y tế Nghệ An"
    assert extension.recorded_by_id == staff.id


def test_each_extension_is_kept(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    _extend(client, stay, "20/05/2026")
    _extend(client, stay, "30/05/2026")

    extensions = db.session.scalars(select(StayExtension).order_by(StayExtension.id)).all()
    assert [(e.previous_end, e.new_end) for e in extensions] == [
        (date(2026, 5, 9), date(2026, 5, 20)),
        (date(2026, 5, 20), date(2026, 5, 30)),
    ]
    page = text_of(client.get(f"/cases/{case.id}"))
    assert "Extended from 09/05/2026 to 20/05/2026, approved by Giám đốc" in page


def test_extension_up_to_the_legal_limit_is_accepted(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    response = _extend(client, stay, "08/07/2026")

    assert response.status_code == 302
    assert reload(stay).planned_end == date(2026, 7, 8)


def test_extension_past_the_legal_limit_is_refused(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    response = _extend(client, stay, "09/07/2026")

    [message] = field_errors(response, "new_end")
    assert "at most 120 days" in message
    assert "08/07/2026" in message
    assert reload(stay).planned_end == date(2026, 5, 9)
    assert count(StayExtension) == 0


def test_the_legal_limit_comes_from_the_configuration(client, make, staff, case, app, monkeypatch):
    monkeypatch.setitem(app.config, "ESSENTIAL_NEEDS_MAX_DAYS", 90)
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    response = _extend(client, stay, "09/06/2026")

    assert "at most 90 days" in field_errors(response, "new_end")[0]
    assert reload(stay).planned_end == date(2026, 5, 9)


def test_extension_page_names_the_last_possible_day(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    page = text_of(client.get(f"/stays/{stay.id}/extend"))

    assert "Essential-needs support can last until 08/07/2026 at the latest." in page


@pytest.mark.parametrize("new_end", ["09/05/2026", "01/05/2026"])
def test_extension_must_end_after_the_current_planned_end(client, make, staff, case, new_end):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    response = _extend(client, stay, new_end)

    assert field_errors(response, "new_end") == ["The new end must come after 09/05/2026."]
    assert reload(stay).planned_end == date(2026, 5, 9)
    assert count(StayExtension) == 0


def test_extension_needs_a_reason_and_an_approver(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    response = _extend(client, stay, "20/05/2026", reason="", approved_by="")

    assert field_errors(response, "reason")
    assert field_errors(response, "approved_by")
    assert count(StayExtension) == 0


def test_a_discharged_stay_cannot_be_extended(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()
    _discharge(client, stay, make, on="14/03/2026")

    response = _extend(client, stay, "20/05/2026")

    assert response.status_code == 200
    assert "This stay has ended." in form_errors(response)
    assert reload(stay).planned_end == date(2026, 5, 9)
    assert count(StayExtension) == 0


def test_discharge_records_date_destination_and_address(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()

    response = _discharge(client, stay, make, on="14/03/2026", address="Bản Xốp Mạt, Tương Dương")

    stay = reload(stay)
    assert response.status_code == 302
    assert stay.discharged_on == date(2026, 3, 14)
    assert stay.destination.code == "HOME"
    assert stay.destination_address == "Bản Xốp Mạt, Tương Dương"
    assert stay.discharged_by_id == staff.id
    assert reload(case).stage == Stage.DISCHARGED
    assert "Discharged" in text_of(client.get(f"/cases/{case.id}"))


def test_discharge_before_admission_is_refused(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 11))
    db.session.commit()

    response = _discharge(client, stay, make, on="10/03/2026")

    assert field_errors(response, "discharged_on") == [
        "Discharge cannot come before admission (11/03/2026)."
    ]
    assert reload(stay).discharged_on is None


def test_discharge_in_the_future_is_refused(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 11))
    db.session.commit()

    response = _discharge(client, stay, make, on="16/03/2026")

    assert field_errors(response, "discharged_on") == ["This date is in the future."]
    assert reload(stay).discharged_on is None
    assert reload(case).stage == Stage.IN_SHELTER


def test_discharge_needs_a_destination_and_an_address(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 11))
    db.session.commit()

    response = _discharge(client, stay, make, destination=None, address="")

    assert field_errors(response, "destination")
    assert field_errors(response, "destination_address")
    assert reload(stay).discharged_on is None


def test_a_discharged_stay_cannot_be_discharged_again(client, make, staff, case):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()
    _discharge(client, stay, make, on="12/03/2026")

    response = _discharge(client, stay, make, on="14/03/2026")

    assert "This stay has ended." in form_errors(response)
    assert reload(stay).discharged_on == date(2026, 3, 12)


def test_after_discharge_the_person_can_be_admitted_again(client, make, staff, case, facility):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()
    _discharge(client, stay, make, on="13/03/2026")

    response = _admit(client, case, facility, on="13/03/2026")

    assert response.status_code == 302
    first, second = _stays(case)
    assert first.discharged_on == date(2026, 3, 13)
    assert second.admitted_on == date(2026, 3, 13)
    assert second.discharged_on is None
    assert reload(case).stage == Stage.IN_SHELTER


def test_readmission_before_the_last_discharge_is_refused(client, make, staff, case, facility):
    stay = make.stay(case, admitted_on=date(2026, 3, 10))
    db.session.commit()
    _discharge(client, stay, make, on="13/03/2026")

    response = _admit(client, case, facility, on="12/03/2026")

    assert field_errors(response, "admitted_on") == ["The previous stay ended on 13/03/2026."]
    assert len(_stays(case)) == 1
    assert reload(case).stage == Stage.DISCHARGED


def test_the_database_itself_refuses_a_second_open_stay(make):
    facility = make.facility()
    case = make.case(facility)
    make.stay(case, facility)

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Stay(
                case=case,
                facility=facility,
                admitted_on=case.received_on,
                planned_end=case.received_on + timedelta(days=60),
            )
        )
