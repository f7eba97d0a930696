"""The pass: each reminder once, closed when its condition clears, back when done too early."""

from datetime import date, timedelta

from reintegration import clock
from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.followups.models import FollowUp, FollowUpReason, RiskFlag
from reintegration.followups.services import resolve_flag
from reintegration.reminders import services
from reintegration.reminders.queries import inbox
from reintegration.reminders.services import run_pass
from reintegration.shelter import services as shelter
from reintegration.training import services as training
from reintegration.training.models import EnrolmentStatus
from tests.conftest import TODAY
from tests.reminders.helpers import every, live, on, setting, waiting
from tests.training import helpers as courses


def _overdue_stay(make, days_over: int = 2):
    """A resident whose stay ended ``days_over`` days before TODAY."""
    facility = make.facility(stay_days=30)
    received = TODAY - timedelta(days=30 + days_over)
    case = make.case(facility, received_on=received, consent_date=received)
    return make.stay(case, admitted_on=received)


def _overdue_for(user, day: date) -> list:
    return [r for r in inbox(user, day) if r.rule.code == "stay_overdue"]


def _planned_followup(make, planned_on: date) -> FollowUp:
    case = make.case(make.facility())
    followup = FollowUp(case_id=case.id, reason=FollowUpReason.OTHER, planned_on=planned_on)
    db.session.add(followup)
    db.session.flush()
    return followup


def test_a_second_pass_opens_nothing_new(make, frozen_clock):
    stay = _overdue_stay(make)
    first = on(frozen_clock, TODAY)
    assert first.opened["stay_overdue"] == 1
    second = on(frozen_clock, TODAY)
    assert second.opened == {}
    assert second.closed == {}
    assert len(every("stay_overdue")) == 1
    assert every("stay_overdue")[0].subject_id == stay.id


def test_a_reminder_is_keyed_by_rule_subject_and_due_date(make, frozen_clock):
    stay = _overdue_stay(make)
    on(frozen_clock, TODAY)
    (reminder,) = waiting("stay_overdue")
    assert (reminder.rule.code, reminder.subject_id, reminder.due_on) == (
        "stay_overdue",
        stay.id,
        stay.planned_end + timedelta(days=1),
    )
    assert reminder.case_id == stay.case_id
    assert reminder.facility_id == stay.facility_id


def test_an_extension_closes_the_overdue_reminder(make, frozen_clock):
    stay = _overdue_stay(make)
    on(frozen_clock, TODAY)
    shelter.extend(stay, TODAY + timedelta(days=20), "Chờ gia đình", "Giám đốc", make.user())
    result = on(frozen_clock, TODAY)
    assert result.closed == {"stay_overdue": 1}
    assert live("stay_overdue") == []


def test_done_by_hand_while_still_due_comes_back_for_that_role_after_the_repeat_days(
    make, frozen_clock
):
    stay = _overdue_stay(make)
    staff = make.user(Role.SHELTER_STAFF, facility=stay.facility)
    officer = make.user(Role.PROVINCIAL_OFFICER, province="NA")
    on(frozen_clock, TODAY)
    (reminder,) = waiting("stay_overdue")
    mark = services.mark_done(reminder, "Đã gọi gia đình", staff)
    db.session.flush()

    assert _overdue_for(staff, TODAY) == []
    assert _overdue_for(officer, TODAY) == [reminder]  # another team that must act still sees it
    on(frozen_clock, TODAY + timedelta(days=6))
    assert _overdue_for(staff, TODAY + timedelta(days=6)) == []
    on(frozen_clock, TODAY + timedelta(days=7))
    assert _overdue_for(staff, TODAY + timedelta(days=7)) == [reminder]  # still overdue: back
    assert len(every("stay_overdue")) == 1  # the same reminder, not a copy
    assert (mark.done, mark.note, mark.role) == (True, "Đã gọi gia đình", Role.SHELTER_STAFF)


def test_done_by_hand_and_then_settled_closes_and_does_not_come_back(make, frozen_clock):
    stay = _overdue_stay(make)
    staff = make.user(Role.SHELTER_STAFF, facility=stay.facility)
    on(frozen_clock, TODAY)
    services.mark_done(waiting("stay_overdue")[0], "", staff)
    frozen_clock.set(TODAY + timedelta(days=1))
    shelter.extend(stay, TODAY + timedelta(days=30), "Chờ gia đình", "Giám đốc", make.user())
    assert on(frozen_clock, TODAY + timedelta(days=1)).closed == {"stay_overdue": 1}
    assert on(frozen_clock, TODAY + timedelta(days=10)).opened == {}
    assert _overdue_for(staff, TODAY + timedelta(days=10)) == []


def test_the_repeat_delay_is_a_setting(make, frozen_clock):
    stay = _overdue_stay(make)
    staff = make.user(Role.SHELTER_STAFF, facility=stay.facility)
    setting("stay_overdue").repeat_days = 2
    on(frozen_clock, TODAY)
    services.mark_done(waiting("stay_overdue")[0], "", staff)
    db.session.flush()
    assert _overdue_for(staff, TODAY + timedelta(days=1)) == []
    assert len(_overdue_for(staff, TODAY + timedelta(days=2))) == 1


def test_a_rule_switched_off_and_on_keeps_what_each_role_marked(make, frozen_clock):
    stay = _overdue_stay(make)
    staff = make.user(Role.SHELTER_STAFF, facility=stay.facility)
    on(frozen_clock, TODAY)
    (reminder,) = waiting("stay_overdue")
    services.mark_done(reminder, "Đã gọi gia đình", staff)
    setting("stay_overdue").enabled = False
    on(frozen_clock, TODAY)
    setting("stay_overdue").enabled = True
    on(frozen_clock, TODAY + timedelta(days=1))
    assert waiting("stay_overdue") == [reminder]  # opened again under its key...
    assert _overdue_for(staff, TODAY + timedelta(days=1)) == []  # ...and still done for the staff


def test_a_snoozed_reminder_stays_open_and_is_not_reopened(make, frozen_clock):
    _overdue_stay(make)
    on(frozen_clock, TODAY)
    (reminder,) = waiting("stay_overdue")
    services.snooze(reminder, TODAY + timedelta(days=3), "Chờ quyết định", make.user())
    result = on(frozen_clock, TODAY + timedelta(days=1))
    assert result.opened == {}
    assert result.closed == {}
    assert live("stay_overdue") == [reminder]


def test_a_rule_switched_off_closes_its_reminders_and_opens_none(make, frozen_clock):
    _overdue_stay(make)
    on(frozen_clock, TODAY)
    setting("stay_overdue").enabled = False
    assert on(frozen_clock, TODAY).closed == {"stay_overdue": 1}
    _overdue_stay(make)
    assert on(frozen_clock, TODAY).opened.get("stay_overdue", 0) == 0


def test_a_longer_lead_time_opens_earlier(make, frozen_clock):
    followup = _planned_followup(make, TODAY + timedelta(days=10))
    on(frozen_clock, TODAY)
    assert waiting("followup_due") == []
    setting("followup_due").value = 14
    on(frozen_clock, TODAY)
    assert [r.subject_id for r in waiting("followup_due")] == [followup.id]


def test_a_rescheduled_follow_up_moves_its_reminder(make, frozen_clock):
    followup = _planned_followup(make, TODAY + timedelta(days=3))
    on(frozen_clock, TODAY)
    followup.planned_on = TODAY + timedelta(days=5)
    result = on(frozen_clock, TODAY)
    assert result.opened == {"followup_due": 1}
    assert result.closed == {"followup_due": 1}
    assert [r.due_on for r in waiting("followup_due")] == [TODAY + timedelta(days=5)]
    # Moved back: the first reminder opens again rather than a copy of it.
    followup.planned_on = TODAY + timedelta(days=3)
    on(frozen_clock, TODAY)
    assert [r.due_on for r in waiting("followup_due")] == [TODAY + timedelta(days=3)]
    assert len(every("followup_due")) == 2


def test_a_risk_flag_open_a_week_is_reminded_until_resolved(make, frozen_clock):
    case = make.case(make.facility())
    flag = RiskFlag(case_id=case.id, raised_on=TODAY)
    db.session.add(flag)
    db.session.flush()
    # Open more than seven days: from the eighth.
    assert on(frozen_clock, TODAY + timedelta(days=7)).opened.get("risk_flag_open", 0) == 0
    assert on(frozen_clock, TODAY + timedelta(days=8)).opened["risk_flag_open"] == 1
    resolve_flag(flag, clock.today(), "Đã gặp gia đình", make.user())
    assert on(frozen_clock, TODAY + timedelta(days=8)).closed["risk_flag_open"] == 1


def test_a_course_start_and_end_are_announced_a_week_ahead_and_then_lapse(make, frozen_clock):
    trainer = make.user(Role.TRAINER)
    course = courses.course(make, trainer)  # 02/03/2026 to 29/05/2026
    frozen_clock.set(date(2026, 2, 20))
    on(frozen_clock, date(2026, 2, 22))
    assert waiting("course_starting") == []
    on(frozen_clock, date(2026, 2, 23))
    (starting,) = waiting("course_starting")
    assert (starting.course_id, starting.case_id) == (course.id, None)
    assert on(frozen_clock, date(2026, 3, 3)).closed == {"course_starting": 1}
    on(frozen_clock, date(2026, 5, 22))
    assert [r.due_on for r in waiting("course_ending")] == [date(2026, 5, 29)]
    assert on(frozen_clock, date(2026, 5, 30)).closed == {"course_ending": 1}


def test_a_trainee_absent_from_the_last_three_sessions_is_reminded(make, frozen_clock):
    trainer = make.user(Role.TRAINER)
    course = courses.course(make, trainer)
    facility = make.facility()
    absent = courses.enrolment(make.case(facility), course, EnrolmentStatus.ENROLLED)
    present = courses.enrolment(make.case(facility), course, EnrolmentStatus.ENROLLED)
    for day in (date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)):
        frozen_clock.set(day)
        training.record_attendance(course, day, {present.id})
        if day < date(2026, 3, 4):
            assert on(frozen_clock, day).opened.get("trainee_absent", 0) == 0
    on(frozen_clock, date(2026, 3, 4))
    (reminder,) = waiting("trainee_absent")
    assert (reminder.subject_id, reminder.course_id) == (absent.id, course.id)
    assert reminder.case_id == absent.case_id

    frozen_clock.set(date(2026, 3, 5))
    training.record_attendance(course, date(2026, 3, 5), {present.id, absent.id})
    assert on(frozen_clock, date(2026, 3, 5)).closed == {"trainee_absent": 1}


def test_the_pass_runs_the_same_number_of_queries_for_few_or_many_cases(
    make, frozen_clock, count_queries
):
    def build(number):
        for _ in range(number):
            stay = _overdue_stay(make)
            _planned_followup(make, TODAY)
            db.session.add(RiskFlag(case_id=stay.case_id, raised_on=TODAY - timedelta(days=9)))
        db.session.flush()

    def queries_of_a_pass() -> int:
        with count_queries() as counter:
            run_pass(TODAY)
            db.session.flush()
        return counter.count

    build(2)
    few = queries_of_a_pass()
    build(20)
    many = queries_of_a_pass()
    assert few == many
    # ...and a pass with nothing to change reads and writes nothing more.
    assert queries_of_a_pass() <= many
