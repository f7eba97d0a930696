"""Placing a person in a job and ending it: follow-ups, stage, rules and the case section."""

from datetime import date

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.cases.models import Stage
from reintegration.employment import queries
from reintegration.employment.models import ContractType, EndReason, Placement
from reintegration.employment.queries import placements_for_case
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.followups.models import FollowUp, FollowUpReason
from reintegration.reference.models import ListKind
from reintegration.shelter import services as shelter
from reintegration.training.models import EnrolmentStatus
from tests.employers.helpers import checked_employer
from tests.helpers import (
    field_errors,
    form_errors,
    in_english,
    reload,
    sign_in,
    text_of,
)

from .helpers import course, enrol, place, placement_form


@pytest.fixture
def facility(make):
    return make.facility("NA", name="Trung tâm Công tác xã hội Nghệ An")


@pytest.fixture
def worker(make, auth, client):
    user = sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))
    in_english(client)
    return user


@pytest.fixture
def employer(make):
    return checked_employer(make, "NA", name="Công ty Chế biến Nông sản Yên Thành")


@pytest.fixture
def case(make, facility):
    """Received in January, stayed at the shelter, went home on 20 January."""
    received = make.case(facility, received_on=date(2026, 1, 5), consent_date=date(2026, 1, 5))
    stay = make.stay(received)
    shelter.discharge(
        stay,
        date(2026, 1, 20),
        make.item(ListKind.DESTINATION, "HOME"),
        "Xã Quỳnh Lưu",
        "",
        make._system_user(),
    )
    db.session.commit()
    return received


def _place(client, case, to, **overrides):
    return client.post(f"/cases/{case.id}/placements/new", data=placement_form(to, **overrides))


def _job_followups() -> int:
    return len(
        db.session.scalars(
            select(FollowUp).where(FollowUp.reason == FollowUpReason.PLACEMENT)
        ).all()
    )


def _placements(case) -> list[Placement]:
    db.session.expire_all()
    return db.session.scalars(
        select(Placement).where(Placement.case_id == case.id).order_by(Placement.id)
    ).all()


def test_a_placement_is_stored_with_what_the_form_says(client, worker, case, employer):
    response = _place(
        client, case, employer, start_on="31/01/2026", housing_support="yes", in_home_province="no"
    )

    [placement] = _placements(case)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert placement.employer_id == employer.id
    assert placement.position == "Công nhân chế biến"
    assert placement.start_on == date(2026, 1, 31)
    assert placement.monthly_wage == 5_500_000
    assert placement.in_home_province is False
    assert placement.housing_support is True
    assert placement.contract_type == ContractType.FIXED_TERM
    assert placement.course_id is None
    assert placement.created_by_id == worker.id
    assert placement.is_open


def test_a_placement_plans_four_follow_ups_after_the_start(client, worker, case, employer):
    _place(client, case, employer, start_on="31/01/2026")

    [placement] = _placements(case)
    followups = db.session.scalars(
        select(FollowUp).where(FollowUp.placement_id == placement.id).order_by(FollowUp.planned_on)
    ).all()
    assert [(f.mark_months, f.planned_on) for f in followups] == [
        (1, date(2026, 2, 28)),
        (3, date(2026, 4, 30)),
        (6, date(2026, 7, 31)),
        (12, date(2027, 1, 31)),
    ]
    assert {f.reason for f in followups} == {FollowUpReason.PLACEMENT}
    assert {f.case_id for f in followups} == {case.id}
    assert not any(f.is_done for f in followups)


def test_a_placement_moves_the_case_to_employed_and_its_end_moves_it_back(
    client, worker, case, employer
):
    assert reload(case).stage == Stage.DISCHARGED

    _place(client, case, employer, start_on="01/02/2026")
    assert reload(case).stage == Stage.EMPLOYED

    [placement] = _placements(case)
    response = client.post(
        f"/placements/{placement.id}/end",
        data={"end_on": "10/03/2026", "reason": "resigned", "note": "Về quê chăm mẹ"},
    )

    placement = reload(placement)
    assert response.status_code == 302
    assert (placement.end_on, placement.end_reason) == (date(2026, 3, 10), EndReason.RESIGNED)
    assert placement.end_note == "Về quê chăm mẹ"
    assert reload(case).stage == Stage.DISCHARGED


def test_a_job_cannot_start_before_the_person_was_received(client, worker, case, employer):
    response = _place(client, case, employer, start_on="04/01/2026")

    assert field_errors(response, "start_on") == [
        "A job cannot start before the person was received (05/01/2026)."
    ]
    assert _placements(case) == []
    assert _job_followups() == 0


def test_a_second_open_placement_at_the_same_employer_is_refused(
    client, make, worker, case, employer
):
    _place(client, case, employer, start_on="01/02/2026")
    other = checked_employer(make, "NA", name="Hợp tác xã May Diễn Châu")
    db.session.commit()

    again = _place(client, case, employer, start_on="01/03/2026")
    elsewhere = _place(client, case, other, start_on="01/03/2026")

    assert "already has an open placement" in field_errors(again, "employer")[0]
    assert elsewhere.status_code == 302
    assert len(_placements(case)) == 2


def test_the_same_employer_again_after_the_first_job_ended(client, make, worker, case, employer):
    first = place(make, case, employer, date(2026, 1, 20))
    first.end_on, first.end_reason = date(2026, 2, 10), EndReason.CONTRACT_ENDED
    db.session.commit()

    assert _place(client, case, employer, start_on="01/03/2026").status_code == 302


def test_only_completed_courses_are_offered_and_accepted(client, make, worker, case, employer):
    completed = course(make, title="Chế biến thực phẩm khóa 3")
    dropped = course(make, title="Thương mại điện tử khóa 1")
    enrol(case, completed)
    enrol(case, dropped, EnrolmentStatus.DROPPED_OUT)
    db.session.commit()

    form = text_of(client.get(f"/cases/{case.id}/placements/new"))
    refused = _place(client, case, employer, course=str(dropped.id))
    accepted = _place(client, case, employer, course=str(completed.id))

    assert "Chế biến thực phẩm khóa 3" in form
    assert "Thương mại điện tử khóa 1" not in form
    assert field_errors(refused, "course") == ["Not a valid choice."]
    assert accepted.status_code == 302
    [placement] = _placements(case)
    assert placement.course_id == completed.id


def test_a_course_the_person_did_not_complete_is_refused_by_the_service(make, case, employer):
    other = course(make, title="Chăm sóc sắc đẹp")
    with pytest.raises(DomainError) as refused:
        place(make, case, employer, date(2026, 2, 1), course=other)
    assert refused.value.field == "course"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"employer": ""}, "employer", "This field is required."),
        ({"employer": "999999"}, "employer", "Not a valid choice."),
        ({"position": ""}, "position", "This field is required."),
        ({"position": "x" * 201}, "position", "Field cannot be longer than 200 characters."),
        ({"start_on": ""}, "start_on", "This field is required."),
        ({"start_on": "2026/13/01"}, "start_on", "Write the date as dd/mm/yyyy."),
        ({"start_on": "16/03/2026"}, "start_on", "This date is in the future."),
        ({"monthly_wage": ""}, "monthly_wage", "This field is required."),
        (
            {"monthly_wage": "năm triệu"},
            "monthly_wage",
            "Write a whole amount in dong, for example 1.500.000.",
        ),
        (
            {"monthly_wage": "-100"},
            "monthly_wage",
            "Write a whole amount in dong, for example 1.500.000.",
        ),
        ({"in_home_province": ""}, "in_home_province", "This field is required."),
        ({"housing_support": "perhaps"}, "housing_support", "Not a valid choice."),
        ({"contract_type": "forever"}, "contract_type", "Not a valid choice."),
    ],
)
def test_bad_placement_input_is_shown_beside_the_field_and_nothing_is_saved(
    client, worker, case, employer, overrides, field, message
):
    response = _place(client, case, employer, **overrides)

    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert form_errors(response)
    assert _placements(case) == []
    assert _job_followups() == 0
    assert reload(case).stage == Stage.DISCHARGED


@pytest.fixture
def job(make, case, employer):
    made = place(make, case, employer, date(2026, 2, 1))
    db.session.commit()
    return made


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"end_on": ""}, "end_on", "This field is required."),
        ({"end_on": "31/01/2026"}, "end_on", "The job cannot end before it started (01/02/2026)."),
        ({"end_on": "16/03/2026"}, "end_on", "This date is in the future."),
        ({"end_on": "tomorrow"}, "end_on", "Write the date as dd/mm/yyyy."),
        ({"reason": ""}, "reason", "This field is required."),
        ({"reason": "bored"}, "reason", "Not a valid choice."),
        ({"note": "x" * 2001}, "note", "Field cannot be longer than 2000 characters."),
    ],
)
def test_bad_end_input_is_shown_beside_the_field_and_nothing_is_saved(
    client, worker, case, job, overrides, field, message
):
    data = {"end_on": "10/03/2026", "reason": "dismissed", "note": "", **overrides}

    response = client.post(f"/placements/{job.id}/end", data=data)

    assert response.status_code == 200
    assert message in field_errors(response, field)
    job = reload(job)
    assert (job.end_on, job.end_reason) == (None, None)
    assert reload(case).stage == Stage.EMPLOYED


def test_a_placement_that_ended_cannot_end_again(client, worker, case, job):
    client.post(f"/placements/{job.id}/end", data={"end_on": "01/03/2026", "reason": "moved"})

    again = client.post(
        f"/placements/{job.id}/end", data={"end_on": "10/03/2026", "reason": "other"}
    )

    assert form_errors(again) == ["This placement has already ended."]
    assert reload(job).end_on == date(2026, 3, 1)


def test_placements_for_case_loads_the_employers_up_front(make, case, employer, job, count_queries):
    case_id = case.id

    def read() -> tuple[list[str], int]:
        db.session.commit()
        db.session.expire_all()
        with count_queries() as counter:
            names = [placement.employer.name for placement in queries.placements_for_case(case_id)]
        return names, counter.count

    one = read()
    place(make, case, checked_employer(make, "NA", name="Cơ sở Mộc Nghi Lộc"), date(2026, 3, 1))
    two = read()

    assert one[0] == ["Công ty Chế biến Nông sản Yên Thành"]
    assert two[0] == ["Cơ sở Mộc Nghi Lộc", "Công ty Chế biến Nông sản Yên Thành"]
    assert one[1] == two[1]


def test_timeline_events_tell_the_start_and_the_end(app, make, case, employer, job):
    job.end_on, job.end_reason = date(2026, 3, 1), EndReason.DISMISSED
    db.session.commit()

    with app.test_request_context():
        events = queries.timeline_events(case.id)

    assert [(e.on, e.kind) for e in events] == [
        (date(2026, 2, 1), "placement"),
        (date(2026, 3, 1), "placement_end"),
    ]
    assert "Công ty Chế biến Nông sản Yên Thành" in events[0].title


def _section(app, user, case) -> str:
    with app.test_request_context():
        login_user(user)
        return render_template(
            "employment/_case_section.html", case=case, placements=placements_for_case(case.id)
        )


def test_case_section_lists_jobs_with_buttons_for_those_allowed(app, make, case, employer, job):
    worker = make.user(Role.CASE_WORKER, province="NA", language="en")
    trainer = make.user(Role.TRAINER, language="en")

    allowed, refused = _section(app, worker, case), _section(app, trainer, case)

    assert "Công ty Chế biến Nông sản Yên Thành" in allowed
    assert "01/02/2026" in allowed
    assert "5,500,000 ₫" in allowed
    assert f"/placements/{job.id}/end" in allowed
    assert f"/cases/{case.id}/placements/new" in allowed
    assert f"/placements/{job.id}/end" not in refused
    assert f"/cases/{case.id}/placements/new" not in refused


def test_case_section_shows_the_end_and_its_reason(app, make, case, employer, job):
    job.end_on, job.end_reason = date(2026, 3, 1), EndReason.CONTRACT_ENDED
    db.session.commit()
    worker = make.user(Role.CASE_WORKER, province="NA", language="en")

    section = _section(app, worker, case)

    assert "01/03/2026 · Contract ended" in section
    assert f"/placements/{job.id}/end" not in section
