"""What an allowance comes to under the dated policy, and the requests the policy refuses."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from reintegration.allowances import services
from reintegration.allowances.models import Allowance, AllowanceStatus
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.reference.models import IdentificationStatus
from reintegration.support import policy
from reintegration.support.models import AllowanceRule, AssistanceLevel, Method
from tests.allowances.helpers import kind, new_kind, officer, request, rule
from tests.conftest import TODAY
from tests.helpers import count, reload

RECEIVED = TODAY - timedelta(days=3)  # 12/03/2026, the day the world's cases were received


def case_received(make, world, on: date, **fields):
    """A person at the Nghe An facility ``here``, received (and consenting) on ``on``."""
    return make.case(world.facilities["here"], received_on=on, consent_date=on, **fields)


def national_rule(code: str) -> AllowanceRule:
    """The national rule of the starting policy, in force since 01/07/2025."""
    return db.session.scalar(
        select(AllowanceRule).where(
            AllowanceRule.kind_id == kind(code).id, AllowanceRule.province_id.is_(None)
        )
    )


def refusal(make, case, code: str = "HARDSHIP", **kw) -> DomainError:
    """The error a request is refused with."""
    with pytest.raises(DomainError) as refused:
        request(make, case, code, **kw)
    return refused.value


def allowances_of(case) -> list[Allowance]:
    db.session.expire_all()
    return db.session.scalars(
        select(Allowance).where(Allowance.case_id == case.id).order_by(Allowance.id)
    ).all()


# --- fixed, per day, coefficient ----------------------------------------------------------------


def test_a_fixed_allowance_is_the_rule_amount_3_000_000(make, world):
    allowance = request(make, world.cases["here"], "HARDSHIP")

    stored = reload(allowance)
    assert stored.amount == 3_000_000
    assert stored.computation == [{"fixed": 3_000_000}]
    assert stored.rule_id == national_rule("HARDSHIP").id
    assert policy.explain(stored.computation) == ["Fixed amount: 3,000,000 ₫"]


def test_a_fixed_allowance_keeps_no_period_end_nor_days(make, world):
    allowance = request(
        make, world.cases["here"], "CLOTHING", start=RECEIVED, end=RECEIVED + timedelta(days=2)
    )

    stored = reload(allowance)
    assert (stored.amount, stored.period_to, stored.days) == (500_000, None, None)


def test_meals_for_3_days_are_60_000_times_3_equals_180_000(make, world):
    allowance = request(
        make, world.cases["here"], "MEALS", start=date(2026, 3, 12), end=date(2026, 3, 14)
    )

    stored = reload(allowance)
    assert (stored.amount, stored.days) == (180_000, 3)
    assert stored.computation == [
        {"days": 3, "rate": 60_000, "from": "2026-03-12", "to": "2026-03-14"}
    ]
    assert policy.explain(stored.computation) == ["3 days × 60,000 ₫ (12/03/2026 – 14/03/2026)"]


def test_meals_without_the_last_day_of_the_period_are_refused_on_period_to(make, world):
    error = refusal(make, world.cases["here"], "MEALS", start=RECEIVED, end=None)

    assert error.field == "period_to"
    assert allowances_of(world.cases["here"]) == []


def test_meals_across_a_change_of_rule_sum_5x60_000_and_5x65_000_to_625_000(make, world):
    # The administrator ends the 60,000 rule on 09/03 and sets 65,000 from 10/03.
    national_rule("MEALS").valid_to = date(2026, 3, 9)
    rule(kind("MEALS"), Method.PER_DAY, date(2026, 3, 10), amount=65_000, max_days=120)
    case = case_received(make, world, date(2026, 3, 1))

    allowance = request(make, case, "MEALS", start=date(2026, 3, 5), end=date(2026, 3, 14))

    stored = reload(allowance)
    # 05–09/03: 5 × 60,000 = 300,000; 10–14/03: 5 × 65,000 = 325,000; 300,000 + 325,000.
    assert (stored.amount, stored.days) == (625_000, 10)
    assert policy.explain(stored.computation) == [
        "5 days × 60,000 ₫ (05/03/2026 – 09/03/2026)",
        "5 days × 65,000 ₫ (10/03/2026 – 14/03/2026)",
    ]


@pytest.fixture
def from_2024(make, world):
    """A kind paying 1.5 × the standard level from 01/01/2024, and a person received then."""
    made = new_kind("SETTLING", "a")
    rule(made, Method.COEFFICIENT, date(2024, 1, 1), coefficient="1.5")
    return made, case_received(make, world, date(2024, 1, 1))


def request_kind(make, case, made, on: date) -> Allowance:
    user = make.user(facility=case.facility)
    return services.request_allowance(case, made, on, None, date(2024, 7, 5), "", user)


def test_a_coefficient_on_30_06_2024_is_1_5_times_360_000_equals_540_000(make, from_2024):
    made, case = from_2024

    allowance = request_kind(make, case, made, date(2024, 6, 30))

    stored = reload(allowance)
    assert stored.amount == 540_000
    [part] = stored.computation
    assert (Decimal(part["coefficient"]), part["level"], part["level_from"]) == (
        Decimal("1.5"),
        360_000,
        "2021-07-01",
    )
    assert policy.explain(stored.computation) == [
        "1.5 × standard level 360,000 ₫ (in force from 01/07/2021)"
    ]


def test_a_coefficient_on_01_07_2024_is_1_5_times_500_000_equals_750_000(make, from_2024):
    made, case = from_2024

    allowance = request_kind(make, case, made, date(2024, 7, 1))

    stored = reload(allowance)
    assert stored.amount == 750_000
    assert policy.explain(stored.computation) == [
        "1.5 × standard level 500,000 ₫ (in force from 01/07/2024)"
    ]


def test_a_coefficient_of_0_33_times_500_000_is_165_000(make, world):
    made = new_kind("SMALL", "a")
    rule(made, Method.COEFFICIENT, date(2025, 7, 1), coefficient="0.33")

    allowance = request_kind_today(make, world.cases["here"], made)

    assert reload(allowance).amount == 165_000


def test_half_a_dong_rounds_up_0_5_times_500_001_is_250_001(make, world):
    db.session.add(AssistanceLevel(valid_from=date(2026, 1, 1), amount=500_001))
    made = new_kind("HALF", "a")
    rule(made, Method.COEFFICIENT, date(2025, 7, 1), coefficient="0.5")

    allowance = request_kind_today(make, world.cases["here"], made)

    # 0.5 × 500,001 = 250,000.5: half up gives 250,001 (half to even would give 250,000).
    assert reload(allowance).amount == 250_001


def test_less_than_half_a_dong_rounds_down_0_33_times_500_001_is_165_000(make, world):
    db.session.add(AssistanceLevel(valid_from=date(2026, 1, 1), amount=500_001))
    made = new_kind("THIRD", "a")
    rule(made, Method.COEFFICIENT, date(2025, 7, 1), coefficient="0.33")

    allowance = request_kind_today(make, world.cases["here"], made)

    # 0.33 × 500,001 = 165,000.33
    assert reload(allowance).amount == 165_000


def request_kind_today(make, case, made) -> Allowance:
    user = make.user(facility=case.facility)
    return services.request_allowance(case, made, RECEIVED, None, RECEIVED, "", user)


def test_the_vocational_allowance_is_3_times_500_000_equals_1_500_000(make, world):
    allowance = request(make, world.cases["here"], "VOCATIONAL")

    assert reload(allowance).amount == 1_500_000


# --- provinces ----------------------------------------------------------------------------------


def test_a_provinces_own_rule_wins_over_the_national_one(make, world):
    own = rule(
        kind("CLOTHING"),
        Method.FIXED,
        date(2025, 7, 1),
        amount=700_000,
        max_times=1,
        province=make.province("NA"),
    )

    allowance = request(make, world.cases["here"], "CLOTHING")

    stored = reload(allowance)
    assert (stored.amount, stored.rule_id) == (700_000, own.id)


def test_another_province_still_gets_the_national_amount(make, world):
    rule(
        kind("CLOTHING"),
        Method.FIXED,
        date(2025, 7, 1),
        amount=700_000,
        max_times=1,
        province=make.province("NA"),
    )

    allowance = request(make, world.cases["far"], "CLOTHING")

    stored = reload(allowance)
    assert (stored.amount, stored.rule_id) == (500_000, national_rule("CLOTHING").id)


def test_a_provinces_rule_not_yet_in_force_leaves_the_national_amount(make, world):
    rule(
        kind("CLOTHING"),
        Method.FIXED,
        TODAY + timedelta(days=30),
        amount=700_000,
        province=make.province("NA"),
    )

    allowance = request(make, world.cases["here"], "CLOTHING")

    assert reload(allowance).amount == 500_000


# --- kept as computed ---------------------------------------------------------------------------


def test_a_past_allowance_keeps_its_amount_when_a_new_rule_is_added(make, world):
    earlier = request(make, world.cases["here"], "HARDSHIP")
    db.session.commit()

    newer = rule(
        kind("HARDSHIP"),
        Method.FIXED,
        date(2025, 7, 1),
        amount=4_000_000,
        max_times=1,
        province=make.province("NA"),
    )
    db.session.commit()

    stored = reload(earlier)
    assert stored.amount == 3_000_000
    assert stored.computation == [{"fixed": 3_000_000}]
    assert stored.rule_id == national_rule("HARDSHIP").id
    later = request(make, world.cases["neighbour"], "HARDSHIP")
    assert (later.amount, later.rule_id) == (4_000_000, newer.id)


def test_a_past_allowance_keeps_its_amount_when_a_new_level_is_added(make, world):
    earlier = request(make, world.cases["here"], "VOCATIONAL")
    db.session.commit()

    db.session.add(AssistanceLevel(valid_from=date(2026, 1, 1), amount=600_000))
    db.session.commit()

    stored = reload(earlier)
    assert stored.amount == 1_500_000
    assert stored.computation == [
        {"coefficient": "3.00", "level": 500_000, "level_from": "2024-07-01"}
    ]
    assert policy.explain(stored.computation) == [
        "3 × standard level 500,000 ₫ (in force from 01/07/2024)"
    ]
    # 3 × 600,000 for a request made now.
    assert request(make, world.cases["neighbour"], "VOCATIONAL").amount == 1_800_000


# --- no rule ------------------------------------------------------------------------------------


def test_a_day_with_no_rule_in_force_is_refused_naming_the_kind_and_the_day(make, world):
    case = case_received(make, world, date(2024, 1, 1))

    error = refusal(make, case, "HARDSHIP", start=date(2025, 6, 30), applied_on=date(2025, 6, 30))

    assert error.field == "period_from"
    assert "“Initial-hardship allowance”" in str(error)
    assert "30/06/2025" in str(error)
    assert allowances_of(case) == []


def test_a_period_running_past_the_end_of_the_rule_is_refused_on_its_first_uncovered_day(
    make, world
):
    national_rule("MEALS").valid_to = date(2026, 3, 13)

    error = refusal(make, world.cases["here"], "MEALS", start=RECEIVED, end=date(2026, 3, 14))

    assert error.field == "period_to"
    assert "“Meals during the support”" in str(error)
    assert "14/03/2026" in str(error)
    assert allowances_of(world.cases["here"]) == []


def test_a_coefficient_before_any_standard_level_is_refused(make, world):
    made = new_kind("OLD", "a")
    rule(made, Method.COEFFICIENT, date(2020, 1, 1), coefficient="1")
    case = case_received(make, world, date(2021, 1, 1))
    user = make.user(facility=case.facility)

    with pytest.raises(DomainError) as refused:
        services.request_allowance(case, made, date(2021, 6, 30), None, date(2021, 7, 5), "", user)

    assert refused.value.field == "period_from"
    assert "30/06/2021" in str(refused.value)
    assert allowances_of(case) == []


# --- limits -------------------------------------------------------------------------------------


def test_a_second_clothing_allowance_is_refused_naming_the_rule(make, world):
    case = world.cases["here"]
    request(make, case, "CLOTHING")

    error = refusal(make, case, "CLOTHING")

    assert error.field == "kind"
    assert str(error) == (
        "“Clothing and personal items” may be given at most 1 time to one person, "
        "and this person already has 1."
    )
    assert len(allowances_of(case)) == 1


def test_a_refused_clothing_allowance_gives_the_time_back(make, world):
    case = world.cases["here"]
    first = request(make, case, "CLOTHING")
    services.decide(first, False, "Đã nhận quần áo từ Hội Phụ nữ", officer(make))

    second = request(make, case, "CLOTHING")

    assert [(a.id, a.status) for a in allowances_of(case)] == [
        (first.id, AllowanceStatus.REFUSED),
        (second.id, AllowanceStatus.REQUESTED),
    ]


def test_a_cancelled_clothing_allowance_gives_the_time_back(make, world):
    case = world.cases["here"]
    first = request(make, case, "CLOTHING")
    services.cancel(first, "Nhập trùng", make.user(facility=case.facility))

    second = request(make, case, "CLOTHING")

    assert [(a.id, a.status) for a in allowances_of(case)] == [
        (first.id, AllowanceStatus.CANCELLED),
        (second.id, AllowanceStatus.REQUESTED),
    ]


@pytest.fixture
def fed_100_days(make, world):
    """A person received on 01/08/2025 whose meals of 01/08 to 08/11/2025 (100 days) are asked."""
    case = case_received(make, world, date(2025, 8, 1))
    request(make, case, "MEALS", start=date(2025, 8, 1), end=date(2025, 11, 8))
    return case


def test_meals_beyond_120_days_are_refused_saying_20_remain(make, fed_100_days):
    # 09/11 to 08/12/2025 is 30 days; 100 + 30 > 120.
    error = refusal(make, fed_100_days, "MEALS", start=date(2025, 11, 9), end=date(2025, 12, 8))

    assert error.field == "period_to"
    assert str(error) == (
        "“Meals during the support” covers at most 120 days for one person: 100 are already "
        "requested or paid, so at most 20 remain."
    )
    assert [a.days for a in allowances_of(fed_100_days)] == [100]


def test_meals_up_to_the_120th_day_are_accepted(make, fed_100_days):
    allowance = request(
        make, fed_100_days, "MEALS", start=date(2025, 11, 9), end=date(2025, 11, 28)
    )

    # 20 days × 60,000
    assert (allowance.days, allowance.amount) == (20, 1_200_000)
    assert sum(a.days for a in allowances_of(fed_100_days)) == 120


def test_a_person_under_identification_abroad_is_refused_the_hardship_allowance(make, world):
    case = make.case(
        world.facilities["here"],
        identification_status=IdentificationStatus.UNDER_IDENTIFICATION_ABROAD,
    )

    error = refusal(make, case, "HARDSHIP")

    assert error.field == "kind"
    assert "k)" in str(error)
    assert "Law 53/2024, Article 37" in str(error)
    assert allowances_of(case) == []


def test_a_person_under_identification_abroad_still_gets_clothing(make, world):
    case = make.case(
        world.facilities["here"],
        identification_status=IdentificationStatus.UNDER_IDENTIFICATION_ABROAD,
    )

    assert request(make, case, "CLOTHING").amount == 500_000


# --- dates --------------------------------------------------------------------------------------


def test_an_application_dated_tomorrow_is_refused_on_applied_on(make, world):
    error = refusal(make, world.cases["here"], applied_on=TODAY + timedelta(days=1))

    assert error.field == "applied_on"
    assert allowances_of(world.cases["here"]) == []


def test_an_application_before_the_reception_is_refused_on_applied_on(make, world):
    error = refusal(make, world.cases["here"], applied_on=RECEIVED - timedelta(days=1))

    assert error.field == "applied_on"
    assert "12/03/2026" in str(error)
    assert allowances_of(world.cases["here"]) == []


def test_an_allowance_for_a_day_before_the_reception_is_refused_on_period_from(make, world):
    error = refusal(make, world.cases["here"], start=RECEIVED - timedelta(days=1))

    assert error.field == "period_from"
    assert allowances_of(world.cases["here"]) == []


def test_a_period_ending_before_it_starts_is_refused_on_period_to(make, world):
    error = refusal(
        make, world.cases["here"], "MEALS", start=date(2026, 3, 14), end=date(2026, 3, 13)
    )

    assert error.field == "period_to"
    assert allowances_of(world.cases["here"]) == []


def test_a_case_managed_by_no_facility_cannot_request(make, world):
    case = make.case(None)
    user = make.user()

    with pytest.raises(DomainError):
        services.request_allowance(case, kind("CLOTHING"), RECEIVED, None, RECEIVED, "", user)

    assert count(Allowance) == 0
