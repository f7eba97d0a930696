"""The edges of the support policy: a rule's last day, long deadlines, the amount shown."""

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from reintegration.allowances import services
from reintegration.auth.models import Role
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.support import policy
from reintegration.support.models import AllowanceRule, AssistanceLevel, Holiday, Method
from reintegration.support.policy import add_working_days
from tests.allowances.helpers import kind, new_kind, request, rule
from tests.conftest import TODAY
from tests.helpers import in_english, reload, sign_in

RECEIVED = TODAY - timedelta(days=3)  # 12/03/2026, the day the world's cases were received


def add_holiday(day: date) -> None:
    db.session.add(Holiday(day=day, name_vi="Nghỉ bù", name_en="Day off in lieu"))
    db.session.flush()


# --- a rule's last day --------------------------------------------------------------------------


def test_a_provinces_rule_still_applies_on_its_last_day(make, world):
    own = rule(
        kind("CLOTHING"),
        Method.FIXED,
        date(2025, 7, 1),
        valid_to=RECEIVED,
        amount=700_000,
        max_times=1,
        province=make.province("NA"),
    )

    allowance = request(make, world.cases["here"], "CLOTHING", start=RECEIVED)

    stored = reload(allowance)
    assert (stored.amount, stored.rule_id) == (700_000, own.id)


def test_the_day_after_a_provinces_rule_ends_the_national_amount_applies(make, world):
    rule(
        kind("CLOTHING"),
        Method.FIXED,
        date(2025, 7, 1),
        valid_to=RECEIVED - timedelta(days=1),
        amount=700_000,
        max_times=1,
        province=make.province("NA"),
    )

    allowance = request(make, world.cases["here"], "CLOTHING", start=RECEIVED)

    assert reload(allowance).amount == 500_000


def test_a_period_starting_on_the_last_day_of_a_provinces_daily_rate_pays_it_that_day(make, world):
    rule(
        kind("MEALS"),
        Method.PER_DAY,
        date(2025, 7, 1),
        valid_to=RECEIVED,
        amount=80_000,
        max_days=120,
        province=make.province("NA"),
    )

    allowance = request(
        make, world.cases["here"], "MEALS", start=RECEIVED, end=RECEIVED + timedelta(days=2)
    )

    stored = reload(allowance)
    # 12/03 at the province's 80,000, then 13/03 and 14/03 at the national 60,000.
    assert stored.amount == 80_000 + 2 * 60_000
    assert [(part["days"], part["rate"]) for part in stored.computation] == [
        (1, 80_000),
        (2, 60_000),
    ]
    assert policy.explain(stored.computation) == [
        "1 day × 80,000 ₫ (12/03/2026 – 12/03/2026)",
        "2 days × 60,000 ₫ (13/03/2026 – 14/03/2026)",
    ]


# --- long deadlines -----------------------------------------------------------------------------


def test_a_holiday_more_than_60_days_ahead_still_moves_a_50_working_day_count():
    # From Monday 01/06/2026, 50 working days end on Monday 10/08 (no public holiday between);
    # a day off added on Monday 03/08, the 63rd day, pushes the end to Tuesday 11/08.
    add_holiday(date(2026, 8, 3))

    assert add_working_days(date(2026, 6, 1), 50) == date(2026, 8, 11)


def test_a_60_working_day_decision_is_due_after_a_holiday_added_in_june(make, world):
    # Applied on Friday 13/03/2026: 27/04, 30/04 and 01/05 are off, and an administrator adds
    # Wednesday 03/06, the 82nd calendar day after: the decision is due on Thursday 11/06.
    new_kind("LONG", decision_days=60)
    rule(kind("LONG"), Method.FIXED, date(2025, 7, 1), amount=1_000_000)
    add_holiday(date(2026, 6, 3))

    allowance = request(make, world.cases["here"], "LONG", applied_on=RECEIVED + timedelta(days=1))

    assert reload(allowance).decision_due_on == date(2026, 6, 11)


# --- the amount shown in the limits table -------------------------------------------------------


@pytest.fixture
def staff(client, auth, make, world):
    user = sign_in(auth, world.user(make, Role.SHELTER_STAFF))
    in_english(client)
    return user


def limits_row(page: str, kind_name: str) -> str:
    table = page.split('id="limits"', 1)[1].split("</table>", 1)[0]
    rows = [row for row in table.split("<tr>") if kind_name in row]
    assert len(rows) == 1, kind_name
    return " ".join(rows[0].split())


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("HARDSHIP", "<td>3,000,000 ₫</td>"),
        ("CLOTHING", "<td>500,000 ₫</td>"),
        ("VOCATIONAL", "<td>3 × the standard level = 1,500,000 ₫</td>"),
        ("MEALS", "<td>60,000 ₫ a day</td>"),
    ],
)
def test_the_limits_table_shows_each_kinds_amount_today(client, staff, world, code, shown):
    page = client.get(f"/cases/{world.cases['here'].id}").get_data(as_text=True)

    row = limits_row(page, kind(code).name_en)
    assert shown in row
    assert "None" not in row


def test_with_no_standard_level_the_limits_table_shows_the_coefficient_alone(client, staff, world):
    db.session.execute(delete(AssistanceLevel))
    db.session.commit()

    page = client.get(f"/cases/{world.cases['here'].id}").get_data(as_text=True)

    assert "<td>3 × the standard level</td>" in limits_row(page, kind("VOCATIONAL").name_en)


# --- what a refusal says ------------------------------------------------------------------------


def test_a_coefficient_with_no_standard_level_says_who_sets_it(make, world):
    made = new_kind("OLD", "a")
    rule(made, Method.COEFFICIENT, date(2020, 1, 1), coefficient="1")
    case = make.case(world.facilities["here"], received_on=date(2021, 1, 1))
    user = make.user(facility=case.facility)

    with pytest.raises(DomainError) as refused:
        services.request_allowance(case, made, date(2021, 6, 30), None, date(2021, 7, 5), "", user)

    assert refused.value.field == "period_from"
    assert str(refused.value) == (
        "No standard social-assistance level is set for 30/06/2021: an administrator adds it in "
        "the support policy."
    )


def test_a_daily_allowance_without_its_last_day_asks_for_it(make, world):
    with pytest.raises(DomainError) as refused:
        request(make, world.cases["here"], "MEALS", start=RECEIVED, end=None)

    assert (refused.value.field, str(refused.value)) == (
        "period_to",
        "Give the last day of the period.",
    )


def test_a_day_with_no_rule_says_who_sets_it(make, world):
    national_rule = db.session.scalar(
        select(AllowanceRule).where(
            AllowanceRule.kind_id == kind("MEALS").id, AllowanceRule.province_id.is_(None)
        )
    )
    national_rule.valid_to = date(2026, 3, 13)
    with pytest.raises(DomainError) as refused:
        request(make, world.cases["here"], "MEALS", start=RECEIVED, end=date(2026, 3, 14))

    assert refused.value.field == "period_to"
    assert str(refused.value) == (
        "No rule of “Meals during the support” is in force on 14/03/2026: an administrator sets "
        "its amount in the support policy."
    )
