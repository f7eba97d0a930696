"""Recording services: what is kept, money in both languages, entitlements and bad input."""

from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reference.models import IdentificationStatus
from reintegration.shelter.models import Service
from tests.helpers import count, field_errors, in_english, section, sign_in, text_of


@pytest.fixture
def facility(make):
    return make.facility(name="Trung tâm Công tác xã hội Nghệ An")


@pytest.fixture
def case(make, facility):
    person = make.case(facility, received_on=date(2026, 3, 10))
    make.stay(person, admitted_on=date(2026, 3, 10))
    db.session.commit()
    return person


@pytest.fixture
def staff(make, auth, facility):
    return sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))


def _record(client, make, case, kind="needs_assessment", **fields):
    data = {
        "provided_on": "14/03/2026",
        "kind": make.service_kind(kind).id if kind else "",
        "provider": "Chị Hoàng Thị Yến, cán bộ tâm lý",
        "cost": "0",
        "notes": "",
        **fields,
    }
    return client.post(f"/cases/{case.id}/services/new", data=data)


def _services() -> list[Service]:
    db.session.expire_all()
    return db.session.scalars(select(Service).order_by(Service.id)).all()


def test_a_service_is_recorded_with_date_kind_provider_notes_and_cost(client, make, staff, case):
    response = _record(
        client,
        make,
        case,
        kind="counselling",
        provided_on="14/03/2026",
        provider="Chị Hoàng Thị Yến",
        notes="Buổi tư vấn đầu tiên, ngủ kém",
        cost="1.500.000",
    )

    [service] = _services()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert service.case_id == case.id
    assert service.provided_on == date(2026, 3, 14)
    assert service.kind.code == "counselling"
    assert service.support_type.letter == "g"
    assert service.provider == "Chị Hoàng Thị Yến"
    assert service.notes == "Buổi tư vấn đầu tiên, ngủ kém"
    assert service.cost == 1_500_000
    assert service.recorded_by_id == staff.id


def test_a_service_during_the_stay_is_linked_to_it(client, make, staff, case):
    _record(client, make, case, provided_on="12/03/2026")

    [service] = _services()
    assert service.stay_id == case.stays[0].id


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1.500.000", 1_500_000), ("1,500,000", 1_500_000), ("1500000", 1_500_000), ("0", 0)],
)
def test_cost_is_read_in_the_usual_ways(client, make, staff, case, typed, stored):
    _record(client, make, case, cost=typed)

    assert [service.cost for service in _services()] == [stored]


def test_cost_is_shown_in_vietnamese_dong(client, make, staff, case):
    _record(client, make, case, cost="1.500.000")

    response = client.get(f"/cases/{case.id}")

    assert '<td class="text-end">1.500.000 ₫</td>' in text_of(response)


def test_cost_is_shown_in_english_grouping(client, make, staff, case):
    _record(client, make, case, cost="1.500.000")
    in_english(client)

    page = text_of(client.get(f"/cases/{case.id}"))

    assert '<td class="text-end">1,500,000 ₫</td>' in page
    assert "1.500.000" not in page


def test_the_case_page_totals_the_costs(client, make, staff, case):
    _record(client, make, case, cost="1.500.000")
    _record(client, make, case, kind="meals", cost="60.000")
    in_english(client)

    response = client.get(f"/cases/{case.id}")

    services = section(response, '<section class="mb-4" id="services">', "</section>")
    assert "1,560,000 ₫" in services[services.index("<tfoot>") :]


def test_a_service_the_status_is_not_entitled_to_is_refused(client, make, auth, facility):
    abroad = make.case(
        facility, identification_status=IdentificationStatus.UNDER_IDENTIFICATION_ABROAD
    )
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
    in_english(client)

    response = _record(client, make, abroad, kind="vocational_training")

    assert response.status_code == 200
    [message] = field_errors(response, "kind")
    assert "Under identification, still abroad" in message
    assert "is not entitled to i) Vocational training" in message
    assert "Law 53/2024, Article 37" in message
    assert count(Service) == 0


def test_a_service_within_the_entitlement_is_accepted(client, make, auth, facility):
    abroad = make.case(
        facility, identification_status=IdentificationStatus.UNDER_IDENTIFICATION_ABROAD
    )
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))

    response = _record(client, make, abroad, kind="legal_advice")

    assert response.status_code == 302
    assert [service.support_type.letter for service in _services()] == ["d"]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (IdentificationStatus.ACCOMPANYING_CHILD, "hardship_allowance"),
        (IdentificationStatus.UNDER_IDENTIFICATION_VIETNAM, "schooling"),
        (IdentificationStatus.FOREIGN_VICTIM, "travel"),
    ],
)
def test_each_status_is_held_to_its_entitlements(client, make, auth, facility, status, kind):
    person = make.case(facility, identification_status=status)
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))

    response = _record(client, make, person, kind=kind)

    assert response.status_code == 200
    assert field_errors(response, "kind")
    assert count(Service) == 0


def test_a_service_without_a_date_is_refused(client, make, staff, case):
    in_english(client)

    response = _record(client, make, case, provided_on="")

    assert field_errors(response, "provided_on") == ["This field is required."]
    assert count(Service) == 0


def test_a_service_in_the_future_is_refused(client, make, staff, case):
    in_english(client)

    response = _record(client, make, case, provided_on="16/03/2026")

    assert field_errors(response, "provided_on") == ["This date is in the future."]
    assert count(Service) == 0


@pytest.mark.parametrize("cost", ["-50000", "-1", "abc", "1.5", "1.50.000", "12,34"])
def test_a_negative_or_garbled_cost_is_refused(client, make, staff, case, cost):
    in_english(client)

    response = _record(client, make, case, cost=cost)

    assert "Write a whole amount in dong, for example 1.500.000." in field_errors(response, "cost")
    assert count(Service) == 0


def test_a_service_without_a_provider_is_refused(client, make, staff, case):
    in_english(client)

    response = _record(client, make, case, provider="   ")

    assert field_errors(response, "provider") == ["This field is required."]
    assert count(Service) == 0


def test_a_service_without_a_kind_is_refused(client, make, staff, case):
    response = _record(client, make, case, kind="")

    assert field_errors(response, "kind")
    assert count(Service) == 0


def test_a_case_worker_records_a_service(client, make, auth, case):
    sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))

    response = _record(client, make, case, kind="travel", cost="250.000")

    assert response.status_code == 302
    assert [service.cost for service in _services()] == [250_000]


def test_the_service_form_groups_kinds_by_support_type(client, make, staff, case):
    in_english(client)

    page = text_of(client.get(f"/cases/{case.id}/services/new"))

    assert '<optgroup label="g) Psychological support">' in page
    assert "Needs assessment" in page
