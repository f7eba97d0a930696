"""What the case page receives from training: the enrolments and the timeline events."""

from datetime import date

from flask import render_template_string
from flask_login import login_user
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.training.models import EnrolmentStatus
from reintegration.training.queries import enrolments_for_case, timeline_events
from tests.training.helpers import course, enrolment


def _render(app, user, case):
    with app.test_request_context():
        login_user(user)
        return render_template_string(
            '{% include "training/_case_section.html" %}',
            case=case,
            enrolments=enrolments_for_case(case.id),
        )


def test_a_persons_enrolments_load_with_their_courses_in_two_queries(make, world, count_queries):
    person = world.cases["here"]
    for title in ("Nấu ăn", "May công nghiệp", "Quản lý tài chính"):
        enrolment(person, course(make, world.trainer, title=title), EnrolmentStatus.ENROLLED)
    db.session.commit()
    person_id = person.id
    db.session.expire_all()
    db.session.execute(select(1))  # the transaction has begun before counting

    with count_queries() as counter:
        rows = enrolments_for_case(person_id)
        titles = {row.course.title for row in rows}
        rates = [row.attendance_rate for row in rows]

    assert counter.count == 2
    assert len(titles) == 4
    assert rates == [None] * 4


def test_the_timeline_has_the_referral_enrolment_and_completion(make, world):
    person = world.cases["here"]
    done = course(make, world.trainer, title="Tác phong nơi làm việc")
    enrolment(person, done, EnrolmentStatus.COMPLETED)
    db.session.commit()

    events = {(event.kind, event.on) for event in timeline_events(person.id)}

    assert ("referral", date(2026, 3, 2)) in events
    assert ("enrolment", date(2026, 3, 2)) in events
    assert ("completion", date(2026, 3, 2)) in events


def test_the_timeline_has_the_drop_out_with_its_reason(make, world):
    person = world.cases["here"]
    enrolment(person, course(make, world.trainer, title="Nấu ăn"), EnrolmentStatus.DROPPED_OUT)
    db.session.commit()

    [dropout] = [event for event in timeline_events(person.id) if event.kind == "dropout"]

    assert dropout.on == date(2026, 3, 2)
    assert dropout.detail == "Đi làm xa"


def test_the_case_section_lists_courses_with_status_and_certificate(app, make, world):
    person = world.cases["here"]
    enrolment(person, course(make, world.trainer, title="Nấu ăn"), EnrolmentStatus.COMPLETED)
    db.session.commit()

    page = _render(app, make.user(Role.PROVINCIAL_OFFICER, province="NA"), person)

    assert "Nấu ăn" in page
    assert "CC-001" in page
    assert f"/cases/{person.id}/enrolments/new" in page


def test_the_case_section_offers_no_referral_without_the_permission(app, make, world):
    page = _render(app, world.trainer, world.cases["here"])

    assert "/enrolments/new" not in page
