"""Follow-ups planned by themselves at the configured marks after discharge."""

from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.dates import add_months
from reintegration.extensions import db
from reintegration.followups.models import FollowUpReason
from reintegration.reference.models import ListKind
from tests.followups.conftest import planned_followups
from tests.helpers import sign_in


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 3, 15), 12, date(2027, 3, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


@pytest.fixture
def facility(make):
    return make.facility()


@pytest.fixture
def stay(make, facility):
    case = make.case(facility, received_on=date(2025, 12, 1), consent_date=date(2025, 12, 1))
    stay = make.stay(case, admitted_on=date(2025, 12, 1))
    db.session.commit()
    return stay


def _discharge(client, make, stay, destination, on="31/01/2026"):
    return client.post(
        f"/stays/{stay.id}/discharge",
        data={
            "discharged_on": on,
            "destination": make.item(ListKind.DESTINATION, destination).id,
            "destination_address": "Xã Tương Dương, Nghệ An",
        },
    )


def test_discharge_home_plans_four_follow_ups_at_1_3_6_and_12_months(
    client, make, auth, facility, stay
):
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))

    assert _discharge(client, make, stay, "HOME").status_code == 302

    followups = planned_followups(stay.case)
    assert [(f.mark_months, f.planned_on) for f in followups] == [
        (1, date(2026, 2, 28)),
        (3, date(2026, 4, 30)),
        (6, date(2026, 7, 31)),
        (12, date(2027, 1, 31)),
    ]
    assert {(f.reason, f.stay_id, f.done_on) for f in followups} == {
        (FollowUpReason.DISCHARGE, stay.id, None)
    }


def test_transfer_to_another_facility_plans_no_follow_up(client, make, auth, facility, stay):
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))

    assert _discharge(client, make, stay, "FACILITY").status_code == 302

    assert planned_followups(stay.case) == []


def test_the_marks_are_a_setting(app, client, make, auth, facility, stay, monkeypatch):
    monkeypatch.setitem(app.config, "FOLLOW_UP_MONTHS", (2, 24))
    sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))

    _discharge(client, make, stay, "HOME")

    assert [f.planned_on for f in planned_followups(stay.case)] == [
        date(2026, 3, 31),
        date(2028, 1, 31),
    ]
