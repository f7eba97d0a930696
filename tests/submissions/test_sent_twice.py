"""A form sent twice is saved once, and the second answer shows what was saved.

Each form that adds a record is read from its page as a browser shows it (its one-time key
included), given what a user types, and sent twice; one record is stored and the second sending
leads to the page of the first, with a message.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from reintegration import clock
from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.reference.models import IdentificationStatus
from reintegration.reminders.models import Reminder, ReminderMark
from reintegration.reminders.services import run_pass
from reintegration.shelter.models import Service
from reintegration.submissions import KEEP, Submission
from tests.conftest import TODAY
from tests.helpers import count, field_errors, form_errors, in_english, sign_in
from tests.submissions.helpers import ALREADY_SAVED, filled, flashed, sent_twice, text_of


@pytest.fixture
def facility(make):
    return make.facility(name="Trung tâm Công tác xã hội Nghệ An")


@pytest.fixture
def person(make, facility):
    case = make.case(facility, received_on=TODAY - timedelta(days=5))
    make.stay(case, admitted_on=TODAY - timedelta(days=5))
    db.session.commit()
    return case


@pytest.fixture
def staff(make, auth, client, facility):
    user = sign_in(auth, make.user(Role.SHELTER_STAFF, facility=facility))
    in_english(client)
    return user


def _service_form(client, make, case, **typed):
    typed = {
        "provider": "Chị Hoàng Thị Yến, cán bộ tâm lý",
        "cost": "350.000",
        **typed,
        "kind": str(make.service_kind(typed.get("kind", "needs_assessment")).id),
    }
    return filled(client, f"/cases/{case.id}/services/new", **typed)


def test_a_service_sent_twice_is_recorded_once_and_shown(client, make, staff, person):
    data = _service_form(client, make, person)

    first, second, shown = sent_twice(client, f"/cases/{person.id}/services/new", data)

    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"] == f"/cases/{person.id}"
    assert count(Service) == 1
    assert ALREADY_SAVED in flashed(shown)
    assert "Chị Hoàng Thị Yến, cán bộ tâm lý" in text_of(shown)


def test_the_key_is_the_same_when_the_form_comes_back_with_an_error(client, make, staff, person):
    data = _service_form(client, make, person, provider="")

    again = client.post(f"/cases/{person.id}/services/new", data=data)

    assert again.status_code == 200
    assert f'value="{data["submission"][0]}"' in again.get_data(as_text=True)
    assert count(Service) == 0


def test_two_pages_of_the_same_form_have_different_keys(client, make, staff, person):
    first = _service_form(client, make, person)
    second = _service_form(client, make, person)

    assert first["submission"] != second["submission"]
    for data in (first, second):
        assert client.post(f"/cases/{person.id}/services/new", data=data).status_code == 302
    assert count(Service) == 2


def test_a_key_refused_by_a_rule_is_sent_again_after_the_fix(client, make, staff, facility):
    abroad = make.case(
        facility, identification_status=IdentificationStatus.UNDER_IDENTIFICATION_ABROAD
    )
    data = _service_form(client, make, abroad, kind="vocational_training")

    refused = client.post(f"/cases/{abroad.id}/services/new", data=data)
    data["kind"] = [str(make.service_kind("legal_advice").id)]
    fixed = client.post(f"/cases/{abroad.id}/services/new", data=data)

    assert refused.status_code == 200
    assert "is not entitled to" in field_errors(refused, "kind")[0]
    assert fixed.status_code == 302
    assert ALREADY_SAVED not in flashed(client.get(fixed.headers["Location"]))
    assert count(Service) == 1


def test_a_form_without_a_key_is_saved_as_before(client, make, staff, person):
    data = _service_form(client, make, person)
    del data["submission"]

    for _ in range(2):
        assert client.post(f"/cases/{person.id}/services/new", data=data).status_code == 302

    assert count(Service) == 2


@pytest.mark.parametrize("key", ["short", "x" * 65, "a b c d e f g h i j", "\x00" * 20])
def test_a_key_that_cannot_be_one_is_refused_with_a_message(client, make, staff, person, key):
    data = _service_form(client, make, person, submission=key)

    response = client.post(f"/cases/{person.id}/services/new", data=data)

    assert response.status_code == 200
    assert form_errors(response) == [
        "This form could not be read. Open the page again and send it again."
    ]
    assert count(Service) == 0


def test_a_key_is_someone_elses_to_use_only_for_themselves(client, make, auth, staff, person):
    data = _service_form(client, make, person)
    client.post(f"/cases/{person.id}/services/new", data=data)
    colleague = make.user(Role.SHELTER_STAFF, facility=person.facility)
    auth.logout()
    sign_in(auth, colleague)

    response = client.post(f"/cases/{person.id}/services/new", data=data)

    assert response.status_code == 302
    assert count(Service) == 2


def test_keys_older_than_two_days_are_swept_when_the_user_saves_again(client, make, staff, person):
    now = clock.utcnow()
    for age, key in (
        (KEEP + timedelta(minutes=1), "o" * 32),
        (KEEP - timedelta(minutes=1), "y" * 32),
    ):
        db.session.add(Submission(user_id=staff.id, key=key, created_at=now - age))
    db.session.commit()

    client.post(f"/cases/{person.id}/services/new", data=_service_form(client, make, person))

    kept = db.session.scalars(select(Submission.created_at).order_by(Submission.created_at))
    assert list(kept) == [now - KEEP + timedelta(minutes=1), now]


def test_the_message_is_in_vietnamese(client, make, staff, person):
    client.post("/language", data={"language": "vi"})
    data = _service_form(client, make, person)

    *_, shown = sent_twice(client, f"/cases/{person.id}/services/new", data)

    assert "Biểu mẫu này đã được gửi và lưu; đây là những gì đã được lưu." in flashed(shown)


def test_a_key_saved_without_a_known_page_shows_the_form_again_with_the_message(
    client, make, staff, person
):
    data = _service_form(client, make, person)
    db.session.add(
        Submission(user_id=staff.id, key=data["submission"][0], created_at=clock.utcnow())
    )
    db.session.commit()

    response = client.post(f"/cases/{person.id}/services/new", data=data)

    assert response.status_code == 200
    assert form_errors(response) == [
        "This form was already sent and saved once; it was not saved again."
    ]
    assert count(Service) == 0


@pytest.mark.parametrize(
    ("move", "typed"),
    [
        ("done", {"note": "Đã hẹn đánh giá nhu cầu"}),
        ("snooze", {"until": "20/03/2026", "reason": "Chờ cán bộ tâm lý"}),
    ],
)
def test_a_reminder_marked_twice_is_marked_once(client, staff, person, move, typed):
    run_pass()
    [reminder] = db.session.scalars(select(Reminder).where(Reminder.case_id == person.id)).all()
    data = filled(client, f"/tasks/{reminder.id}/{move}", **typed)

    first, second, shown = sent_twice(client, f"/tasks/{reminder.id}/{move}", data)

    assert first.status_code == second.status_code == 302
    assert count(ReminderMark) == 1
    assert ALREADY_SAVED in flashed(shown)
