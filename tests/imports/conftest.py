import pytest

from reintegration.auth.models import Role
from tests.helpers import sign_in


@pytest.fixture
def facility(make):
    return make.facility("NA", code="NA-SWC", name="Trung tâm Công tác xã hội Nghệ An")


@pytest.fixture
def commune(make):
    return make.commune(make.province("NA"), name="Xã Nghi Lộc")


@pytest.fixture
def staff(make, auth, facility):
    return sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
