"""Working days for decision deadlines: weekends, public holidays, and holidays added later."""

from datetime import date

from reintegration.extensions import db
from reintegration.support.models import Holiday
from reintegration.support.policy import add_working_days, working_days_between
from tests.allowances.helpers import request
from tests.helpers import reload

TET_THURSDAY = date(2026, 2, 12)  # the last working day before Tet 2026 (16–20/02)
AFTER_TET_DUE = date(2026, 3, 4)


def add_holiday(day: date) -> None:
    db.session.add(Holiday(day=day, name_vi="Nghỉ bù", name_en="Day off in lieu"))
    db.session.flush()


def test_one_working_day_after_a_friday_is_the_monday():
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)


def test_one_working_day_after_a_saturday_is_the_monday():
    assert add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)


def test_a_weekend_between_friday_and_monday_counts_as_no_working_day():
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1


def test_five_working_days_after_a_monday_are_the_next_monday():
    assert add_working_days(date(2026, 3, 2), 5) == date(2026, 3, 9)


def test_nine_working_days_after_thursday_12_02_2026_skip_tet_to_wednesday_04_03():
    # Fri 13/02 is day 1; Tet 16–20/02 and the weekends around it are off; Mon 23/02 is day 2,
    # Fri 27/02 day 6, Mon 02/03 day 7, Tue 03/03 day 8, Wed 04/03 day 9.
    assert add_working_days(TET_THURSDAY, 9) == AFTER_TET_DUE


def test_tet_2026_holds_nine_days_off_between_two_working_days():
    assert working_days_between(TET_THURSDAY, date(2026, 2, 23)) == 2
    assert working_days_between(TET_THURSDAY, AFTER_TET_DUE) == 9


def test_the_first_working_day_after_reunification_day_2025_is_monday_05_05():
    # 30/04, 01/05 and the day off in lieu 02/05 are holidays, then a weekend.
    assert add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)


def test_no_working_day_lies_between_a_day_and_itself_or_an_earlier_day():
    assert working_days_between(AFTER_TET_DUE, AFTER_TET_DUE) == 0
    assert working_days_between(AFTER_TET_DUE, TET_THURSDAY) == 0


def test_a_holiday_an_administrator_adds_moves_the_due_date_a_day_later():
    add_holiday(date(2026, 3, 3))

    assert add_working_days(TET_THURSDAY, 9) == date(2026, 3, 5)
    assert working_days_between(TET_THURSDAY, AFTER_TET_DUE) == 8


def test_a_holiday_on_a_weekend_changes_nothing():
    add_holiday(date(2026, 2, 28))

    assert add_working_days(TET_THURSDAY, 9) == AFTER_TET_DUE


def received_before_tet(make, world):
    on = date(2026, 2, 2)
    return make.case(world.facilities["here"], received_on=on, consent_date=on)


def test_a_hardship_request_of_12_02_2026_must_be_decided_by_04_03_2026(make, world):
    allowance = request(make, received_before_tet(make, world), "HARDSHIP", applied_on=TET_THURSDAY)

    assert reload(allowance).decision_due_on == AFTER_TET_DUE


def test_a_vocational_request_has_the_same_nine_working_days(make, world):
    allowance = request(
        make, received_before_tet(make, world), "VOCATIONAL", applied_on=TET_THURSDAY
    )

    assert reload(allowance).decision_due_on == AFTER_TET_DUE


def test_a_request_after_a_holiday_is_added_is_due_a_day_later(make, world):
    add_holiday(date(2026, 3, 3))

    allowance = request(make, received_before_tet(make, world), "HARDSHIP", applied_on=TET_THURSDAY)

    assert reload(allowance).decision_due_on == date(2026, 3, 5)


def test_a_kind_with_no_decision_days_has_no_due_date(make, world):
    allowance = request(make, received_before_tet(make, world), "CLOTHING", applied_on=TET_THURSDAY)

    assert reload(allowance).decision_due_on is None
