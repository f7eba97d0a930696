"""The shelter's tests share one facility, a shelter staff member of it, reading English, and a
stay admitted on 10 March 2026."""

from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.helpers import in_english, sign_in

ADMITTED = date(2026, 3, 10)


@pytest.fixture
def facility(make):
    return make.facility("NA", stay_days=60, name="Trung tâm Công tác xã hội Nghệ An")


@pytest.fixture
def staff(make, auth, client, facility):
    user = sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
    in_english(client)
    return user


@pytest.fixture
def stay(make, facility):
    case = make.case(facility, received_on=ADMITTED, consent_date=ADMITTED)
    admitted = make.stay(case, admitted_on=ADMITTED)
    db.session.commit()
    return admitted
