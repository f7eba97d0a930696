"""Enrolment moves: enrol, attend, complete, drop out; every other move refused."""

from datetime import date

import pytest

from reintegration.cases.models import Stage
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.reference.models import IdentificationStatus
from reintegration.training import services
from reintegration.training.models import ENROLMENT_MOVES, EnrolmentStatus
from tests.helpers import field_errors, form_errors, in_english, reload, sign_in, text_of
from tests.training.helpers import course, enrolment

ACTIONS = {
    EnrolmentStatus.ENROLLED: ("enrol", {"enrolled_on": "15/03/2026"}),
    EnrolmentStatus.ATTENDING: ("attending", {}),
    EnrolmentStatus.COMPLETED: (
        "complete",
        {
            "completed_on": "15/03/2026",
            "certificate_number": "SĐT-2026/17",
            "certificate_on": "15/03/2026",
        },
    ),
    EnrolmentStatus.DROPPED_OUT: (
        "drop-out",
        {"dropped_out_on": "15/03/2026", "reason": "Đi làm ở Bình Dương"},
    ),
}
REFUSED = [
    (start, target)
    for start in EnrolmentStatus
    for target in ACTIONS
    if target not in ENROLMENT_MOVES[start]
]


@pytest.fixture
def trainer(auth, world):
    sign_in(auth, world.trainer)
    in_english(auth.client)
    return world.trainer


def _trainee(make, world, status=EnrolmentStatus.REFERRED, course_row=None):
    person = make.case(world.facilities["here"])
    row = enrolment(person, course_row or world.courses["ours"], status)
    db.session.commit()
    return row


def _post(client, row, target, **overrides):
    action, data = ACTIONS[target]
    return client.post(f"/enrolments/{row.id}/{action}", data={**data, **overrides})


def test_enrolling_a_referred_person_gives_a_place_and_puts_the_case_in_training(
    client, make, trainer, world
):
    row = world.enrolments["ours"]

    response = _post(client, row, EnrolmentStatus.ENROLLED, enrolled_on="10/03/2026")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/{row.course_id}")
    row = reload(row)
    assert row.status == EnrolmentStatus.ENROLLED
    assert row.enrolled_on == date(2026, 3, 10)
    assert row.case.stage == Stage.IN_TRAINING


def test_marking_attending_moves_an_enrolled_trainee(client, make, trainer, world):
    row = _trainee(make, world, EnrolmentStatus.ENROLLED)

    response = _post(client, row, EnrolmentStatus.ATTENDING)

    assert response.status_code == 302
    assert reload(row).status == EnrolmentStatus.ATTENDING


def test_completion_keeps_the_certificate_and_takes_the_case_out_of_training(
    client, make, trainer, world
):
    row = _trainee(make, world, EnrolmentStatus.ATTENDING)

    _post(client, row, EnrolmentStatus.COMPLETED, completed_on="14/03/2026")

    row = reload(row)
    assert row.status == EnrolmentStatus.COMPLETED
    assert row.completed_on == date(2026, 3, 14)
    assert row.certificate_number == "SĐT-2026/17"
    assert row.certificate_on == date(2026, 3, 15)
    assert row.case.stage == Stage.RECEIVED


def test_a_drop_out_keeps_its_date_and_reason(client, make, trainer, world):
    row = _trainee(make, world, EnrolmentStatus.ENROLLED)

    _post(client, row, EnrolmentStatus.DROPPED_OUT)

    row = reload(row)
    assert row.status == EnrolmentStatus.DROPPED_OUT
    assert row.dropped_out_on == date(2026, 3, 15)
    assert row.dropout_reason == "Đi làm ở Bình Dương"
    assert row.case.stage == Stage.RECEIVED


@pytest.mark.parametrize(
    ("start", "target"), REFUSED, ids=[f"{start}-to-{target}" for start, target in REFUSED]
)
def test_every_move_not_written_down_is_refused(client, make, trainer, world, start, target):
    row = _trainee(make, world, start)
    before = (row.enrolled_on, row.completed_on, row.dropped_out_on, row.certificate_number)

    response = _post(client, row, target)

    message = f"An enrolment that is “{start.label}” cannot become “{target.label}”."
    if target == EnrolmentStatus.ATTENDING:
        assert message in text_of(client.get(response.headers["Location"]))
    else:
        assert form_errors(response) == [message]
    row = reload(row)
    assert row.status == start
    assert (row.enrolled_on, row.completed_on, row.dropped_out_on, row.certificate_number) == (
        before
    )


def test_the_course_page_offers_only_the_allowed_moves(client, make, trainer, world):
    row = _trainee(make, world, EnrolmentStatus.ENROLLED)

    page = text_of(client.get(f"/courses/{row.course_id}"))

    assert f"/enrolments/{row.id}/attending" in page
    assert f"/enrolments/{row.id}/complete" in page
    assert f"/enrolments/{row.id}/drop-out" in page
    assert f"/enrolments/{row.id}/enrol" not in page


def test_enrolling_past_the_capacity_is_refused(client, make, trainer, world):
    small = course(make, world.trainer, title="Lớp nhỏ", capacity=2)
    _trainee(make, world, EnrolmentStatus.ENROLLED, small)
    waiting = _trainee(make, world, EnrolmentStatus.REFERRED, small)
    small.capacity = 1  # the provider lost a room after the referrals
    db.session.commit()

    response = _post(client, waiting, EnrolmentStatus.ENROLLED)

    assert form_errors(response) == ["This course is full: all its 1 places are taken."]
    assert reload(waiting).status == EnrolmentStatus.REFERRED


def test_completion_requires_the_certificate_number(client, make, trainer, world):
    row = _trainee(make, world, EnrolmentStatus.ATTENDING)

    response = _post(client, row, EnrolmentStatus.COMPLETED, certificate_number="  ")

    assert field_errors(response, "certificate_number")
    assert reload(row).status == EnrolmentStatus.ATTENDING


def test_completion_requires_the_certificate_date(client, make, trainer, world):
    row = _trainee(make, world, EnrolmentStatus.ATTENDING)

    response = _post(client, row, EnrolmentStatus.COMPLETED, certificate_on="")

    assert field_errors(response, "certificate_on") == ["This field is required."]
    assert reload(row).status == EnrolmentStatus.ATTENDING


def test_a_drop_out_requires_a_reason(client, make, trainer, world):
    row = _trainee(make, world, EnrolmentStatus.ENROLLED)

    response = _post(client, row, EnrolmentStatus.DROPPED_OUT, reason="")

    assert field_errors(response, "reason")
    assert reload(row).status == EnrolmentStatus.ENROLLED


@pytest.mark.parametrize(
    ("target", "field", "value", "message"),
    [
        (EnrolmentStatus.ENROLLED, "enrolled_on", "", "This field is required."),
        (EnrolmentStatus.ENROLLED, "enrolled_on", "32/03/2026", "Write the date as dd/mm/yyyy."),
        (EnrolmentStatus.ENROLLED, "enrolled_on", "16/03/2026", "This date is in the future."),
        (
            EnrolmentStatus.ENROLLED,
            "enrolled_on",
            "01/03/2026",
            "The person was referred on 02/03/2026.",
        ),
        (EnrolmentStatus.COMPLETED, "completed_on", "hôm qua", "Write the date as dd/mm/yyyy."),
        (
            EnrolmentStatus.COMPLETED,
            "completed_on",
            "01/03/2026",
            "The person was enrolled on 02/03/2026.",
        ),
        (EnrolmentStatus.COMPLETED, "certificate_on", "16/03/2026", "This date is in the future."),
        (
            EnrolmentStatus.COMPLETED,
            "certificate_on",
            "10/03/2026",
            "A certificate cannot be dated before the completion.",
        ),
        (EnrolmentStatus.COMPLETED, "certificate_number", "x" * 101, None),
        (EnrolmentStatus.DROPPED_OUT, "dropped_out_on", "", "This field is required."),
        (
            EnrolmentStatus.DROPPED_OUT,
            "dropped_out_on",
            "20/03/2026",
            "This date is in the future.",
        ),
        (
            EnrolmentStatus.DROPPED_OUT,
            "dropped_out_on",
            "01/01/2026",
            "The person was referred on 02/03/2026.",
        ),
    ],
)
def test_bad_input_on_a_move_is_shown_beside_its_field_and_nothing_changes(
    client, make, trainer, world, target, field, value, message
):
    start = (
        EnrolmentStatus.REFERRED
        if target == EnrolmentStatus.ENROLLED
        else (EnrolmentStatus.ENROLLED)
    )
    row = _trainee(make, world, start)

    response = _post(client, row, target, **{field: value})

    errors = field_errors(response, field)
    assert errors == [message] if message else errors
    assert reload(row).status == start


def test_a_person_no_longer_entitled_to_vocational_support_cannot_be_enrolled(
    client, make, trainer, world
):
    waiting = _trainee(make, world, EnrolmentStatus.REFERRED)
    waiting.case.identification_status = IdentificationStatus.UNDER_IDENTIFICATION_ABROAD
    db.session.commit()

    response = _post(client, waiting, EnrolmentStatus.ENROLLED)

    assert reload(waiting).status == EnrolmentStatus.REFERRED
    assert response.status_code == 200


def test_the_capacity_cannot_fall_below_the_places_taken(make, world):
    small = course(make, world.trainer, title="Lớp nhỏ", capacity=2)
    _trainee(make, world, EnrolmentStatus.ENROLLED, small)
    _trainee(make, world, EnrolmentStatus.ENROLLED, small)
    fields = dict(
        kind=small.kind,
        topic=small.topic,
        start_on=small.start_on,
        end_on=small.end_on,
        employer_ids=[],
        title=small.title,
        provider=small.provider,
        province_id=small.province_id,
        schedule="",
        capacity=1,
        cost_per_trainee=0,
        market_demand="",
    )

    with pytest.raises(DomainError) as refusal:
        services.save_course(small, world.trainer, **fields)

    assert refusal.value.field == "capacity"
