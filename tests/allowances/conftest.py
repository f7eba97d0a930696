import pytest

from tests.cases.helpers import build_world


@pytest.fixture
def world(make):
    return build_world(make)
