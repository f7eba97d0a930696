import pytest

from tests.helpers import build_world


@pytest.fixture
def world(make):
    return build_world(make)
