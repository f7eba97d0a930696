"""The edges of a stay: its first and last days, a move to another facility, a lost race."""

from datetime import date

import pytest
from sqlalchemy import insert, select

from reintegration.auth.models import Role
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.reference.models import ListKind
from reintegration.shelter import services
from reintegration.shelter.models import Service, Stay
from tests.helpers import count, reload, sign_in

ADMITTED = date(2026, 3, 10)  # the day the shelter's `stay` fixture admits (conftest.py)


def _discharge(client, make, stay, on: str):
    return client.post(
        f"/stays/{stay.id}/discharge",
        data={
            "discharged_on": on,
            "destination": make.item(ListKind.DESTINATION, "HOME").id,
            "destination_address": "Xã Tương Dương",
        },
    )


def _record_service(client, make, case, on: str):
    return client.post(
        f"/cases/{case.id}/services/new",
        data={
            "provided_on": on,
            "kind": make.service_kind("needs_assessment").id,
            "provider": "Chị Hoàng Thị Yến",
            "cost": "0",
            "notes": "",
        },
    )


def _service_stays() -> list[int | None]:
    db.session.expire_all()
    return list(db.session.scalars(select(Service.stay_id).order_by(Service.id)))


# --- the day of admission -----------------------------------------------------------------------


def test_a_discharge_on_the_day_of_admission_is_accepted(client, make, staff, stay):
    response = _discharge(client, make, stay, "10/03/2026")

    assert response.status_code == 302
    assert reload(stay).discharged_on == ADMITTED


def test_a_discharge_planned_for_the_day_of_admission_is_accepted(client, make, staff, stay):
    response = client.post(
        f"/stays/{stay.id}/discharge-plan",
        data={
            "discharge_planned_on": "10/03/2026",
            "planned_destination": make.item(ListKind.DESTINATION, "HOME").id,
        },
    )

    assert response.status_code == 302
    assert reload(stay).discharge_planned_on == ADMITTED


# --- services on the first and last day of a stay -----------------------------------------------


def test_a_service_on_the_day_of_admission_counts_to_the_stay(client, make, staff, stay):
    _record_service(client, make, stay.case, "10/03/2026")

    assert _service_stays() == [stay.id]


def test_a_service_on_the_day_of_discharge_counts_to_the_stay_and_not_the_day_after(
    client, make, staff, stay
):
    _discharge(client, make, stay, "13/03/2026")

    _record_service(client, make, stay.case, "13/03/2026")
    _record_service(client, make, stay.case, "14/03/2026")

    assert _service_stays() == [stay.id, None]


# --- readmission at another facility ------------------------------------------------------------


def test_readmission_at_another_facility_moves_the_case_there(client, make, auth, staff, stay):
    elsewhere = make.facility("NA", name="Làng Hy Vọng")
    officer = make.user(Role.PROVINCIAL_OFFICER, province="NA")
    case = stay.case
    _discharge(client, make, stay, "13/03/2026")
    auth.logout()
    sign_in(auth, officer)

    response = client.post(
        f"/cases/{case.id}/admit", data={"facility": elsewhere.id, "admitted_on": "14/03/2026"}
    )

    assert response.status_code == 302
    assert reload(case).facility_id == elsewhere.id
    auth.logout()
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=elsewhere))
    assert client.get(f"/cases/{case.id}").status_code == 200
    auth.logout()
    sign_in(auth, staff)
    assert client.get(f"/cases/{case.id}").status_code == 404


# --- two admissions at once ---------------------------------------------------------------------


def test_the_admission_that_loses_a_race_is_told_and_stores_nothing(make, facility):
    case = make.case(facility, received_on=ADMITTED, consent_date=ADMITTED)
    db.session.commit()
    assert case.open_stay is None  # what the slower request read before saving
    # Meanwhile another request admitted the person.
    db.session.execute(
        insert(Stay).values(
            case_id=case.id,
            facility_id=facility.id,
            admitted_on=ADMITTED,
            planned_end=date(2026, 5, 9),
        )
    )

    with pytest.raises(DomainError) as lost:
        services.admit(case, facility, ADMITTED, make.user(Role.SHELTER_STAFF, facility=facility))

    assert (lost.value.field, str(lost.value)) == (
        "facility",
        "This person has just been admitted by someone else.",
    )
    assert count(Stay) == 1


# --- the rules behind the forms -----------------------------------------------------------------


def test_the_extension_past_the_legal_limit_names_the_limit_and_the_last_day(make, stay):
    with pytest.raises(DomainError) as refused:
        services.extend(stay, date(2026, 7, 9), "Chờ xác minh", "Giám đốc", make.user())

    assert (refused.value.field, str(refused.value)) == (
        "new_end",
        "Essential-needs support lasts at most 120 days from admission: the stay cannot end "
        "after 08/07/2026.",
    )


def test_a_negative_cost_is_refused_by_the_rule_itself(make, stay):
    kind = make.service_kind("needs_assessment")

    with pytest.raises(DomainError) as refused:
        services.record_service(stay.case, kind, ADMITTED, "Chị Yến", "", -1, make.user())

    assert (refused.value.field, str(refused.value)) == ("cost", "A cost cannot be negative.")
    assert count(Service) == 0
