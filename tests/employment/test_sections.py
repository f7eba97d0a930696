"""The job outcome, registered by employment on the facility page and the course page, whose
domains are below employment (web.Sections)."""

from datetime import date

import pytest

from reintegration.auth.models import Role
from reintegration.employment import views
from reintegration.extensions import db
from reintegration.shelter.views import facility_sections
from reintegration.training.views import course_sections
from tests.employers.helpers import checked_employer
from tests.helpers import in_english, sign_in
from tests.training.helpers import plain

from .helpers import course, enrol, place

RECEIVED = date(2026, 1, 5)


@pytest.fixture
def placed(make, frozen_clock):
    """Seen on 15 September 2026: two people of a facility completed a course; one found a job
    credited to it on 1 March."""
    frozen_clock.set(date(2026, 9, 15))
    facility = make.facility("NA", name="Trung tâm Công tác xã hội Nghệ An")
    food = course(make, "NA", title="Chế biến thực phẩm K1")
    trainees = [
        make.case(facility, full_name=name, received_on=RECEIVED, consent_date=RECEIVED)
        for name in ("Lô Thị Hoa", "Vi Thị Lan")
    ]
    for trainee in trainees:
        enrol(trainee, food)
    factory = checked_employer(make, "NA", name="Công ty Thực phẩm Vinh")
    place(make, trainees[0], factory, date(2026, 3, 1), course=food)
    db.session.commit()
    return {"facility": facility, "course": food}


def _between(page: str, before: str, after: str) -> str:
    start = page.index(before)
    return page[start : page.index(after, start)]


def test_employment_registers_its_outcome_on_the_facility_and_course_pages():
    assert views.facility_outcome_section in facility_sections.makers.values()
    assert views.course_outcome_section in course_sections.makers.values()


def test_the_facility_page_shows_the_outcome_after_its_counts(client, make, auth, placed):
    sign_in(auth, make.user(Role.ADMIN))
    in_english(client)

    page = plain(client.get(f"/facilities/{placed['facility'].id}"))

    shown = _between(page, "Discharges this month", "Current residents")
    assert "Placement rate: 50%" in shown
    assert "(1/2, people placed in at least one job" in shown
    assert "Still in the job after 6 months: 100% (1/1)" in shown


def test_the_course_page_shows_the_outcome_after_the_completion_rate(client, make, auth, placed):
    sign_in(auth, make.user(Role.ADMIN))
    in_english(client)

    page = plain(client.get(f"/courses/{placed['course'].id}"))

    shown = _between(page, "Completion rate", "Trainees")
    assert "Placement rate: 50%" in shown
    assert "Still in the job after 6 months: 100% (1/1)" in shown


def test_a_course_without_a_completed_trainee_shows_no_outcome(client, make, auth, placed):
    empty = course(make, "NA", title="Trồng nấm")
    db.session.commit()
    sign_in(auth, make.user(Role.ADMIN))
    in_english(client)

    page = plain(client.get(f"/courses/{empty.id}"))

    assert "Completion rate" in page
    assert "Placement rate" not in page
