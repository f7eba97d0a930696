import pytest

from tests.cases.conftest import intake  # noqa: F401  (the case form as a browser posts it)


@pytest.fixture
def facility(make):
    return make.facility(name="Trung tâm Công tác xã hội Nghệ An")
