import pytest

from tests.training.helpers import with_courses


@pytest.fixture
def world_in_shelter() -> bool:
    """The trainees of the training tests are received but not admitted: an enrolment moves
    the stage of a case that is not in the shelter."""
    return False


@pytest.fixture
def world(world, make):
    """The shared world with a trainer and a course in each province (TrainingWorld)."""
    return with_courses(make, world)
