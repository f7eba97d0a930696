"""One person's journey with the clock moved day by day: which reminders open, and when they
close by themselves because the record changed."""

from datetime import date

from reintegration.allowances import services as allowances
from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.followups.models import ContactMethod, FollowUp
from reintegration.followups.services import record_followup
from reintegration.plans.services import save_plan
from reintegration.reference.models import ListKind
from reintegration.shelter import services as shelter
from reintegration.support.models import Holiday
from tests.allowances import helpers as money
from tests.reminders.helpers import codes_for_case, on, waiting


def _received(make, day: date, stay_days: int = 60):
    facility = make.facility("NA", stay_days=stay_days)
    case = make.case(facility, received_on=day, consent_date=day)
    stay = make.stay(case, admitted_on=day)
    return case, stay


def test_a_case_walks_from_admission_to_its_first_follow_up(make, frozen_clock):
    case, stay = _received(make, date(2026, 1, 20))  # planned end: 21/03/2026
    staff = make.user(Role.SHELTER_STAFF, facility=case.facility)

    assert on(frozen_clock, date(2026, 1, 22)).opened == {}
    on(frozen_clock, date(2026, 1, 23))  # three days after admission
    assert codes_for_case(case.id) == {"no_needs_assessment"}

    shelter.record_service(
        case, make.service_kind("needs_assessment"), date(2026, 1, 23), "CTXH", "", 0, staff
    )
    result = on(frozen_clock, date(2026, 1, 23))
    assert result.closed == {"no_needs_assessment": 1}
    assert codes_for_case(case.id) == set()

    # Thirty calendar days after return, Tet holidays included, there is still no plan.
    on(frozen_clock, date(2026, 2, 18))
    assert codes_for_case(case.id) == set()
    on(frozen_clock, date(2026, 2, 19))
    assert codes_for_case(case.id) == {"no_plan"}
    save_plan(case, None, date(2026, 2, 20), "", staff)
    assert on(frozen_clock, date(2026, 2, 20)).closed == {"no_plan": 1}

    # Ten days before the planned end, across the end of February.
    on(frozen_clock, date(2026, 3, 10))
    assert codes_for_case(case.id) == set()
    on(frozen_clock, date(2026, 3, 11))
    assert codes_for_case(case.id) == {"stay_ending"}
    stay.discharge_planned_on = date(2026, 3, 21)
    assert on(frozen_clock, date(2026, 3, 12)).closed == {"stay_ending": 1}

    on(frozen_clock, date(2026, 3, 21))
    assert codes_for_case(case.id) == set()
    on(frozen_clock, date(2026, 3, 22))
    assert codes_for_case(case.id) == {"stay_overdue"}

    frozen_clock.set(date(2026, 3, 23))
    shelter.discharge(
        stay, date(2026, 3, 23), make.item(ListKind.DESTINATION, "HOME"), "", "", staff
    )
    assert on(frozen_clock, date(2026, 3, 23)).closed == {"stay_overdue": 1}

    # The first follow-up, a month after discharge, is announced a week ahead.
    on(frozen_clock, date(2026, 4, 15))
    assert codes_for_case(case.id) == set()
    on(frozen_clock, date(2026, 4, 16))
    assert codes_for_case(case.id) == {"followup_due"}
    on(frozen_clock, date(2026, 4, 24))
    (reminder,) = waiting("followup_due")
    assert reminder.due_on == date(2026, 4, 23)
    assert reminder.days_late(date(2026, 4, 24)) == 1

    worker = make.user(Role.CASE_WORKER, province="NA")
    followup = db.session.get(FollowUp, reminder.subject_id)
    record_followup(
        followup,
        date(2026, 4, 24),
        risk_signs=[],
        user=worker,
        method=ContactMethod.HOME_VISIT,
        contact_made=True,
        still_in_job=None,
        wellbeing="",
    )
    assert on(frozen_clock, date(2026, 4, 24)).closed == {"followup_due": 1}
    assert codes_for_case(case.id) == set()


def test_a_follow_up_due_at_the_end_of_february_opens_a_week_ahead(make, frozen_clock):
    case, stay = _received(make, date(2025, 12, 20))
    staff = make.user(Role.SHELTER_STAFF, facility=case.facility)
    save_plan(case, None, date(2025, 12, 22), "", staff)
    shelter.record_service(
        case, make.service_kind("needs_assessment"), date(2025, 12, 21), "CTXH", "", 0, staff
    )
    frozen_clock.set(date(2026, 1, 31))
    shelter.discharge(
        stay, date(2026, 1, 31), make.item(ListKind.DESTINATION, "HOME"), "", "", staff
    )
    # One month after 31 January is 28 February.
    on(frozen_clock, date(2026, 2, 20))
    assert codes_for_case(case.id) == set()
    on(frozen_clock, date(2026, 2, 21))
    (reminder,) = waiting("followup_due")
    assert reminder.due_on == date(2026, 2, 28)
    on(frozen_clock, date(2026, 3, 1))
    assert waiting("followup_due")[0].days_late(date(2026, 3, 1)) == 1


def test_an_allowance_decision_is_announced_two_working_days_ahead_across_tet(make, frozen_clock):
    frozen_clock.set(date(2026, 2, 12))
    case, _stay = _received(make, date(2026, 2, 10))
    allowance = money.request(make, case, "HARDSHIP", applied_on=date(2026, 2, 12))
    # Nine working days after Thursday 12 February, with Tet off: Wednesday 4 March.
    assert allowance.decision_due_on == date(2026, 3, 4)

    on(frozen_clock, date(2026, 2, 27))  # Friday: Mon 2 and Tue 3 are still ahead
    assert waiting("decision_due") == []
    on(frozen_clock, date(2026, 2, 28))  # Saturday
    assert waiting("decision_due") == []
    on(frozen_clock, date(2026, 3, 2))  # Monday: two working days before the due date
    (reminder,) = waiting("decision_due")
    assert reminder.subject_id == allowance.id
    assert reminder.due_on == date(2026, 3, 4)

    on(frozen_clock, date(2026, 3, 5))
    assert waiting("decision_due")[0].days_late(date(2026, 3, 5)) == 1
    allowances.decide(allowance, True, "", money.officer(make))
    assert on(frozen_clock, date(2026, 3, 5)).closed == {"decision_due": 1}


def test_an_approved_allowance_unpaid_for_ten_days_is_reminded_until_paid(make, frozen_clock):
    frozen_clock.set(date(2026, 3, 2))
    case, _stay = _received(make, date(2026, 2, 25))
    allowance = money.approved(make, case, "CLOTHING", applied_on=date(2026, 3, 2))

    on(frozen_clock, date(2026, 3, 11))
    assert waiting("allowance_unpaid") == []
    on(frozen_clock, date(2026, 3, 12))
    (reminder,) = waiting("allowance_unpaid")
    assert reminder.subject_id == allowance.id
    assert reminder.facility_id == case.facility_id

    payer = make.user(Role.SHELTER_STAFF, facility=case.facility)
    allowances.pay(allowance, date(2026, 3, 12), money.PaymentMethod.CASH, "PC-9", payer)
    assert on(frozen_clock, date(2026, 3, 12)).closed == {"allowance_unpaid": 1}


def test_consent_older_than_a_year_is_reminded_until_it_is_renewed(make, frozen_clock):
    case, _stay = _received(make, date(2025, 3, 1))
    on(frozen_clock, date(2026, 3, 1))  # a year to the day: not older yet
    assert "consent_old" not in codes_for_case(case.id)
    on(frozen_clock, date(2026, 3, 2))
    assert "consent_old" in codes_for_case(case.id)

    case.consent_date = date(2026, 3, 3)
    assert on(frozen_clock, date(2026, 3, 3)).closed["consent_old"] == 1


def test_a_closed_case_has_no_case_reminders(make, frozen_clock):
    from reintegration.casefile.services import close_case
    from reintegration.cases.models import Outcome

    case = make.case(make.facility(), received_on=date(2025, 1, 1), consent_date=date(2025, 1, 1))
    on(frozen_clock, date(2026, 3, 15))
    assert codes_for_case(case.id) == {"no_plan", "consent_old"}
    close_case(case, Outcome.MOVED_AWAY, date(2026, 3, 15), "", True, make.user(Role.ADMIN))
    result = on(frozen_clock, date(2026, 3, 15))
    assert result.closed == {"no_plan": 1, "consent_old": 1}


def test_a_holiday_added_during_the_day_moves_the_decision_reminder_at_the_next_pass(
    make, frozen_clock
):
    """The working days are counted again at each pass, with the holidays as they stand: the
    day's other rules keep their statement, this one may not."""
    frozen_clock.set(date(2026, 2, 12))
    case, _stay = _received(make, date(2026, 2, 10))
    money.request(make, case, "HARDSHIP", applied_on=date(2026, 2, 12))  # due Wednesday 4 March
    on(frozen_clock, date(2026, 2, 27))  # Friday: Mon 2 and Tue 3 are still ahead
    assert waiting("decision_due") == []

    # Monday 2 March is made a day off: two working days from Friday now reach Wednesday.
    db.session.add(Holiday(day=date(2026, 3, 2), name_vi="Nghỉ bù", name_en="Day off in lieu"))
    db.session.flush()
    on(frozen_clock, date(2026, 2, 27))
    (reminder,) = waiting("decision_due")
    assert reminder.due_on == date(2026, 3, 4)
