"""Each user's task inbox: the reminders for their role and scope, done and snooze."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.followups.models import FollowUp, FollowUpReason
from reintegration.reminders.models import Reminder, ReminderMark, RuleRole
from tests.conftest import TODAY
from tests.helpers import field_errors, in_english, sign_in, text_of
from tests.reminders.helpers import on, setting, waiting
from tests.training import helpers as courses


def _tell_everyone(code: str) -> None:
    rule = setting(code)
    rule.roles = [RuleRole(role=role) for role in Role]
    db.session.flush()


@pytest.fixture
def world(world):
    """The reminders' world (tests/reminders/conftest.py), its "no needs assessment" reminders
    told to every role."""
    _tell_everyone("no_needs_assessment")
    db.session.commit()
    return world


def _marks(reminder) -> list[ReminderMark]:
    db.session.expire_all()
    return db.session.scalars(
        select(ReminderMark).where(ReminderMark.reminder_id == reminder.id)
    ).all()


def _codes_on_inbox(client) -> set[str]:
    page = text_of(client.get("/tasks/"))
    return {code for code in ("here", "neighbour", "returning_home", "far") if code in page}


def _case_codes(world, response) -> set[str]:
    page = text_of(response)
    return {key for key, case in world.cases.items() if case.code in page}


# A reminder about a stay follows the case's scope and the facility's: the officer of Nghe An
# follows the Nghe An person staying in Ha Tinh, but does not manage that Ha Tinh stay.
SEEN = {
    Role.ADMIN: {"here", "neighbour", "returning_home", "far"},
    Role.SHELTER_STAFF: {"here"},
    Role.PROVINCIAL_OFFICER: {"here", "neighbour"},
    Role.CASE_WORKER: {"here", "neighbour"},
    Role.TRAINER: set(),
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_the_reminders_of_its_scope_only(auth, make, world, role):
    sign_in(auth, world.user(make, role))
    response = auth.client.get("/tasks/")
    assert response.status_code == 200
    assert _case_codes(world, response) == SEEN[role]


def test_a_role_the_rule_does_not_tell_sees_none_of_its_reminders(auth, make, world):
    setting("no_needs_assessment").roles = [RuleRole(role=Role.SHELTER_STAFF)]
    db.session.commit()
    sign_in(auth, world.user(make, Role.PROVINCIAL_OFFICER))
    assert _case_codes(world, auth.client.get("/tasks/")) == set()


def test_the_navigation_bar_counts_the_reminders_waiting(auth, make, world):
    sign_in(auth, world.user(make, Role.PROVINCIAL_OFFICER))
    page = auth.client.get("/cases/").get_data(as_text=True)
    assert '<span class="badge text-bg-warning" id="tasks-count">2</span>' in page


def test_the_inbox_shows_overdue_reminders_first_with_a_link_to_the_record(
    auth, make, world, frozen_clock
):
    later = make.case(world.facilities["here"], received_on=TODAY)
    make.stay(later, admitted_on=TODAY)
    on(frozen_clock, TODAY + timedelta(days=3))
    db.session.commit()
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    in_english(auth.client)
    page = text_of(auth.client.get("/tasks/"))
    first, second = page.index(world.cases["here"].code), page.index(later.code)
    assert first < second
    assert "3 days overdue" in page
    assert f'href="/cases/{later.id}#stays"' in page
    assert "No needs assessment since admission" in page


def test_a_trainer_sees_the_reminders_of_their_own_courses(auth, make, frozen_clock):
    ours, theirs = make.user(Role.TRAINER), make.user(Role.TRAINER)
    mine = courses.course(make, ours, title="Nấu ăn K1")
    courses.course(make, theirs, title="May mặc K2")
    on(frozen_clock, mine.start_on - timedelta(days=3))
    db.session.commit()
    sign_in(auth, ours)
    page = text_of(auth.client.get("/tasks/"))
    assert "Nấu ăn K1" in page
    assert "May mặc K2" not in page


def test_marking_done_with_a_note_takes_it_off_the_inbox(auth, make, world):
    user = sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    (reminder,) = [r for r in waiting() if r.case_id == world.cases["here"].id]
    response = auth.client.post(f"/tasks/{reminder.id}/done", data={"note": "Đã đánh giá"})
    assert response.status_code == 302
    (mark,) = _marks(reminder)
    assert (mark.done, mark.marked_by_id, mark.note) == (True, user.id, "Đã đánh giá")
    assert _case_codes(world, auth.client.get("/tasks/")) == set()


def test_a_note_too_long_is_refused_beside_the_field(auth, make, world):
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    in_english(auth.client)
    (reminder,) = [r for r in waiting() if r.case_id == world.cases["here"].id]
    response = auth.client.post(f"/tasks/{reminder.id}/done", data={"note": "x" * 2001})
    assert response.status_code == 200
    assert field_errors(response, "note")
    assert _marks(reminder) == []


def test_snoozing_hides_it_until_the_day_chosen(auth, make, world, frozen_clock):
    user = sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    (reminder,) = [r for r in waiting() if r.case_id == world.cases["here"].id]
    until = TODAY + timedelta(days=2)
    response = auth.client.post(
        f"/tasks/{reminder.id}/snooze",
        data={"until": until.strftime("%d/%m/%Y"), "reason": "Chờ chuyên gia tâm lý"},
    )
    assert response.status_code == 302
    page = text_of(auth.client.get("/tasks/"))
    assert page.index("Chờ chuyên gia tâm lý") > page.index('id="snoozed"')
    frozen_clock.set(until)
    auth.client.get("/tasks/")  # two days later, the session has expired...
    sign_in(auth, user)  # ...and the user logs in again
    page = text_of(auth.client.get("/tasks/"))
    assert 'id="snoozed"' not in page
    assert world.cases["here"].code in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"until": "", "reason": "Chờ"}, "until", "This field is required."),
        ({"until": "31/02/2026", "reason": "Chờ"}, "until", None),
        (
            {"until": TODAY.strftime("%d/%m/%Y"), "reason": "Chờ"},
            "until",
            "Choose a day after today.",
        ),
        ({"until": "20/03/2026", "reason": ""}, "reason", "This field is required."),
    ],
)
def test_a_bad_snooze_is_refused_beside_the_field(auth, make, world, data, field, message):
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    in_english(auth.client)
    (reminder,) = [r for r in waiting() if r.case_id == world.cases["here"].id]
    response = auth.client.post(f"/tasks/{reminder.id}/snooze", data=data)
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert errors
    assert message is None or message in errors
    assert _marks(reminder) == []


@pytest.mark.parametrize("action", ["done", "snooze"])
@pytest.mark.parametrize("role", [Role.SHELTER_STAFF, Role.TRAINER])
def test_a_reminder_out_of_scope_answers_404(auth, make, world, action, role):
    sign_in(auth, world.user(make, role))
    far = next(r for r in waiting() if r.case_id == world.cases["far"].id)
    assert auth.client.get(f"/tasks/{far.id}/{action}").status_code == 404
    response = auth.client.post(
        f"/tasks/{far.id}/{action}", data={"note": "x", "until": "20/03/2026", "reason": "x"}
    )
    assert response.status_code == 404
    assert _marks(far) == []


def test_a_reminder_closed_meanwhile_is_not_changed(auth, make, world, frozen_clock):
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    (reminder,) = [r for r in waiting() if r.case_id == world.cases["here"].id]
    setting("no_needs_assessment").enabled = False
    on(frozen_clock, TODAY)
    setting("no_needs_assessment").enabled = True
    db.session.commit()
    response = auth.client.post(f"/tasks/{reminder.id}/done", data={"note": "x"})
    assert response.status_code in (302, 404)
    assert _marks(reminder) == []


def test_the_daily_email_can_be_switched_off_and_on(auth, make, world):
    user = world.user(make, Role.CASE_WORKER)
    user.email = "canbo@example.org"
    sign_in(auth, user)
    auth.client.post("/tasks/digest", data={})
    db.session.refresh(user)
    assert user.wants_digest is False
    auth.client.post("/tasks/digest", data={"wants_digest": "y"})
    db.session.refresh(user)
    assert user.wants_digest is True


def test_the_inbox_asks_for_an_email_address_when_there_is_none(auth, make, world):
    sign_in(auth, world.user(make, Role.CASE_WORKER))
    in_english(auth.client)
    page = text_of(auth.client.get("/tasks/"))
    assert "ask an administrator to add your email address" in page


def test_the_inbox_lists_reminders_in_a_fixed_number_of_queries(
    auth, make, world, frozen_clock, count_queries
):
    sign_in(auth, world.user(make, Role.ADMIN))

    def queries() -> int:
        with count_queries() as counter:
            auth.client.get("/tasks/")
        return counter.count

    few = queries()
    for _ in range(5):
        case = make.case(world.facilities["here"], received_on=TODAY - timedelta(days=3))
        make.stay(case, admitted_on=TODAY - timedelta(days=3))
    on(frozen_clock, TODAY)
    db.session.commit()
    assert len(db.session.scalars(select(Reminder)).all()) > 4
    assert queries() == few


def test_recording_the_follow_up_on_its_page_closes_the_reminder_at_once(auth, make, frozen_clock):
    case = make.case(make.facility())
    followup = FollowUp(case_id=case.id, reason=FollowUpReason.OTHER, planned_on=TODAY)
    db.session.add(followup)
    db.session.commit()  # saved: its reminder opens without waiting for the hourly pass
    (reminder,) = waiting("followup_due")
    sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))
    assert f'href="/followups/{followup.id}/record"' in text_of(auth.client.get("/tasks/"))

    response = auth.client.post(
        f"/followups/{followup.id}/record",
        data={
            "done_on": TODAY.strftime("%d/%m/%Y"),
            "method": "phone",
            "contact_made": "yes",
            "still_in_job": "na",
            "wellbeing": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(reminder)
    assert reminder.closed_at is not None
    assert _marks(reminder) == []
    page = auth.client.get("/tasks/").get_data(as_text=True)
    assert 'id="tasks-count"' not in page


def test_an_absent_trainee_is_told_to_the_case_worker_who_follows_the_person(
    auth, make, frozen_clock
):
    from reintegration.training import services as training
    from reintegration.training.models import EnrolmentStatus

    course = courses.course(make, make.user(Role.TRAINER), province="NA")
    trainee = make.case(make.facility("HT"), province="HT", home_province="HT")
    enrolment = courses.enrolment(trainee, course, EnrolmentStatus.ENROLLED)
    other = courses.enrolment(make.case(make.facility("NA")), course, EnrolmentStatus.ENROLLED)
    for day in (TODAY - timedelta(days=2), TODAY - timedelta(days=1), TODAY):
        training.record_attendance(course, day, {other.id})
    on(frozen_clock, TODAY)
    db.session.commit()
    assert [r.subject_id for r in waiting("trainee_absent")] == [enrolment.id]

    sign_in(auth, make.user(Role.CASE_WORKER, province="NA"))  # the course's province
    assert trainee.code not in text_of(auth.client.get("/tasks/"))
    auth.logout()
    sign_in(auth, make.user(Role.CASE_WORKER, province="HT"))  # the person's own province
    assert trainee.code in text_of(auth.client.get("/tasks/"))


def test_a_snooze_reason_is_read_only_by_the_role_that_wrote_it(auth, make, world):
    _tell_everyone("no_needs_assessment")
    db.session.commit()
    sign_in(auth, world.user(make, Role.CASE_WORKER))
    (reminder,) = [r for r in waiting() if r.case_id == world.cases["here"].id]
    auth.client.post(
        f"/tasks/{reminder.id}/snooze",
        data={"until": "20/03/2026", "reason": "Đang điều trị tâm lý"},
    )
    assert "Đang điều trị tâm lý" in text_of(auth.client.get("/tasks/"))
    auth.logout()
    sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    page = text_of(auth.client.get("/tasks/"))
    assert "Đang điều trị tâm lý" not in page
    assert world.cases["here"].code in page  # snoozed by the case workers, not for the shelter
