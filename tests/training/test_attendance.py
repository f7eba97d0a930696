"""Attendance for the whole class on one page, and the rate it gives each trainee."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from reintegration.extensions import db
from reintegration.training.models import Attendance, EnrolmentStatus, TrainingSession
from tests.helpers import count, field_errors, form_errors, in_english, sign_in, text_of
from tests.training.helpers import enrolment, plain


@pytest.fixture
def trainer(auth, world):
    sign_in(auth, world.trainer)
    in_english(auth.client)
    return world.trainer


@pytest.fixture
def trainees(make, world):
    """Three in class (two enrolled, one attending), one only referred, one dropped out."""
    statuses = [
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.ATTENDING,
        EnrolmentStatus.DROPPED_OUT,
    ]
    names = ["Vi Thị Nhung", "Lương Văn Tùng", "Đinh Thị Hoa", "Mạc Văn Sơn"]
    rows = [
        enrolment(make.case(world.facilities["here"], full_name=name), world.courses["ours"], s)
        for name, s in zip(names, statuses, strict=True)
    ]
    db.session.commit()
    return rows


def _save(client, course, held_on, present, topic=""):
    return client.post(
        f"/courses/{course.id}/attendance",
        data={"held_on": held_on, "topic": topic, "present": [row.id for row in present]},
    )


def _ticked(page: str) -> set[int]:
    boxes = re.findall(r"<input ([^>]*)>", page)
    return {
        int(re.search(r'value="(\d+)"', box).group(1))
        for box in boxes
        if 'name="present"' in box and box.startswith("checked ")
    }


def _attendance(on: date) -> dict[int, bool]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Attendance).join(Attendance.session).where(TrainingSession.held_on == on)
    )
    return {row.enrolment_id: row.present for row in rows}


def test_the_page_lists_every_enrolled_or_attending_trainee(client, trainer, world, trainees):
    page = text_of(client.get(f"/courses/{world.courses['ours'].id}/attendance"))

    for row in trainees[:3]:
        assert f'name="present" type="checkbox" value="{row.id}"' in page
    assert _ticked(page) == {row.id for row in trainees[:3]}  # a new day starts all present
    assert "Mạc Văn Sơn" not in page  # dropped out
    assert world.cases["here"].full_name not in page  # only referred


def test_the_whole_class_is_saved_at_once(client, trainer, world, trainees):
    first, second, third, _gone = trainees

    response = _save(client, world.courses["ours"], "13/03/2026", [first, third], "Trang điểm")

    assert response.status_code == 302
    [session] = db.session.scalars(select(TrainingSession)).all()
    assert (session.held_on, session.topic) == (date(2026, 3, 13), "Trang điểm")
    assert _attendance(date(2026, 3, 13)) == {first.id: True, second.id: False, third.id: True}


def test_saving_a_day_again_corrects_it_without_a_second_session(client, trainer, world, trainees):
    first, second, third, _gone = trainees
    _save(client, world.courses["ours"], "13/03/2026", [first, third])

    _save(client, world.courses["ours"], "13/03/2026", [second])

    assert count(TrainingSession) == 1
    assert _attendance(date(2026, 3, 13)) == {first.id: False, second.id: True, third.id: False}


def test_a_recorded_day_opens_as_it_was_saved(client, trainer, world, trainees):
    second = trainees[1]
    _save(client, world.courses["ours"], "13/03/2026", [second], "Chăm sóc da")

    page = text_of(client.get(f"/courses/{world.courses['ours'].id}/attendance?on=13/03/2026"))

    assert 'value="13/03/2026"' in page
    assert 'value="Chăm sóc da"' in page
    assert _ticked(page) == {second.id}


def test_the_attendance_rate_of_each_trainee_shows_on_the_course_page(
    client, trainer, world, trainees
):
    first, second, third, _gone = trainees
    course = world.courses["ours"]
    _save(client, course, "11/03/2026", [first, second, third])
    _save(client, course, "12/03/2026", [first, third])
    _save(client, course, "13/03/2026", [first])

    page = plain(client.get(f"/courses/{course.id}"))

    assert "100% (3 of 3 sessions)" in page
    assert "33% (1 of 3 sessions)" in page
    assert "67% (2 of 3 sessions)" in page
    assert "1 of 3 present" in page


@pytest.mark.parametrize(
    ("held_on", "message"),
    [
        ("", "This field is required."),
        ("13-13-2026", "Write the date as dd/mm/yyyy."),
        ("16/03/2026", "This date is in the future."),
        ("27/02/2026", "The course runs from 02/03/2026 to 29/05/2026."),
    ],
)
def test_a_bad_day_is_shown_beside_its_field_and_nothing_is_saved(
    client, trainer, world, trainees, held_on, message
):
    response = _save(client, world.courses["ours"], held_on, trainees[:3])

    assert field_errors(response, "held_on") == [message]
    assert count(TrainingSession) == 0
    assert count(Attendance) == 0


def test_a_trainee_outside_the_class_cannot_be_ticked(client, trainer, world, trainees):
    response = _save(client, world.courses["ours"], "13/03/2026", [trainees[3]])

    assert field_errors(response, "present")
    assert count(Attendance) == 0


def test_a_course_with_no_one_in_class_has_nothing_to_record(client, trainer, world):
    response = _save(client, world.courses["ours"], "13/03/2026", [])

    assert form_errors(response) == [
        "No one is enrolled or attending: there is no class to record."
    ]
    assert count(TrainingSession) == 0


def test_a_course_cannot_be_moved_away_from_its_recorded_sessions(
    client, make, trainer, world, trainees
):
    course = world.courses["ours"]
    _save(client, course, "13/03/2026", trainees[:3])

    response = client.post(
        f"/courses/{course.id}/edit",
        data={
            "title": course.title,
            "kind": "trade",
            "topic": course.topic_id,
            "provider": course.provider,
            "province": course.province_id,
            "start_on": "14/03/2026",
            "end_on": "29/05/2026",
            "capacity": "10",
            "cost_per_trainee": "0",
        },
    )

    assert field_errors(response, "start_on") == [
        "Attendance is recorded on 13/03/2026, before this start."
    ]


def test_a_day_before_a_trainee_enrolled_is_not_counted_for_them(client, trainer, world, trainees):
    late = trainees[0]
    late.enrolled_on = date(2026, 3, 10)
    db.session.commit()
    course = world.courses["ours"]

    _save(client, course, "05/03/2026", trainees[:3])

    recorded = _attendance(date(2026, 3, 5))
    assert late.id not in recorded
    assert recorded == {trainees[1].id: True, trainees[2].id: True}
