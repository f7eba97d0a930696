"""Referral from the case page: entitlement, duplicates, capacity and ended courses."""

from datetime import date

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.reference.models import IdentificationStatus
from reintegration.training.models import Enrolment, EnrolmentStatus
from tests.conftest import TODAY
from tests.helpers import field_errors, in_english, sign_in, text_of
from tests.training.helpers import course, enrolment


@pytest.fixture
def staff(make, auth, world):
    user = sign_in(auth, make.user(Role.SHELTER_STAFF, facility=world.facilities["here"]))
    in_english(auth.client)
    return user


def _person(make, world, **fields) -> Case:
    person = make.case(world.facilities["here"], **fields)
    db.session.commit()
    return person


def _refer(client, case, course_row):
    return client.post(f"/cases/{case.id}/enrolments/new", data={"course": course_row.id})


def _enrolments(case) -> list[Enrolment]:
    db.session.expire_all()
    return db.session.scalars(select(Enrolment).where(Enrolment.case_id == case.id)).all()


def test_a_referral_creates_a_referred_enrolment_and_returns_to_the_case(
    client, make, staff, world
):
    person = _person(make, world)

    response = _refer(client, person, world.courses["ours"])

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{person.id}")
    [row] = _enrolments(person)
    assert row.course_id == world.courses["ours"].id
    assert row.status == EnrolmentStatus.REFERRED
    assert row.referred_on == TODAY
    assert row.created_by_id == staff.id


def test_the_referral_offers_the_open_courses_of_the_users_province_with_places_left(
    client, make, staff, world, frozen_clock
):
    ended = course(
        make,
        world.trainer,
        title="Khoá đã kết thúc",
        start_on=date(2026, 1, 5),
        end_on=date(2026, 2, 27),
    )
    db.session.commit()
    person = _person(make, world)

    page = text_of(client.get(f"/cases/{person.id}/enrolments/new"))

    assert "Chăm sóc sắc đẹp cơ bản" in page
    assert "9 of 10 places left" in page
    assert "Nấu ăn" not in page  # a Ha Tinh course
    assert ended.title not in page


def test_a_status_not_entitled_to_vocational_training_is_refused_with_the_reason(
    client, make, staff, world
):
    person = _person(
        make, world, identification_status=IdentificationStatus.UNDER_IDENTIFICATION_ABROAD
    )

    response = _refer(client, person, world.courses["ours"])

    assert response.status_code == 200
    assert field_errors(response, "course") == [
        "A person with the status “Under identification, still abroad” is not entitled to "
        "i) Vocational training, career counselling and job finding (Law 53/2024, Article 37)."
    ]
    assert _enrolments(person) == []


def test_a_second_referral_to_the_same_course_is_refused(client, make, staff, world):
    person = world.cases["here"]  # already referred to "ours" by the world

    response = _refer(client, person, world.courses["ours"])

    assert field_errors(response, "course") == ["This person is already enrolled in this course."]
    assert len(_enrolments(person)) == 1


def test_a_full_course_refuses_the_referral(client, make, staff, world):
    small = course(make, world.trainer, title="Lớp nhỏ", capacity=1)
    enrolment(_person(make, world), small)
    db.session.commit()
    person = _person(make, world)

    response = _refer(client, person, small)

    assert field_errors(response, "course") == ["This course is full: all its 1 places are taken."]
    assert _enrolments(person) == []


def test_a_dropped_out_trainee_frees_the_place(client, make, staff, world):
    small = course(make, world.trainer, title="Lớp nhỏ", capacity=1)
    enrolment(_person(make, world), small, EnrolmentStatus.DROPPED_OUT)
    db.session.commit()
    person = _person(make, world)

    response = _refer(client, person, small)

    assert response.status_code == 302
    assert len(_enrolments(person)) == 1


def test_choosing_no_course_is_shown_beside_the_field_and_saves_nothing(client, make, staff, world):
    person = _person(make, world)

    response = client.post(f"/cases/{person.id}/enrolments/new", data={"course": ""})

    assert field_errors(response, "course")
    assert _enrolments(person) == []


def test_a_course_out_of_the_users_scope_cannot_be_chosen(client, make, staff, world):
    person = _person(make, world)

    response = _refer(client, person, world.courses["theirs"])

    assert field_errors(response, "course") == ["Not a valid choice."]
    assert _enrolments(person) == []


def test_the_case_page_section_offers_the_referral_to_those_who_may_refer(app, make, world):
    from flask import render_template_string
    from flask_login import login_user

    from reintegration.training.queries import enrolments_for_case

    person = world.cases["here"]
    with app.test_request_context():
        login_user(make.user(Role.CASE_WORKER, province="NA"))
        page = render_template_string(
            '{% include "training/_case_section.html" %}',
            case=person,
            enrolments=enrolments_for_case(person.id),
        )

    assert f"/cases/{person.id}/enrolments/new" in page
    assert "Chăm sóc sắc đẹp cơ bản" in page
