"""Decisions, cancellations, payments and corrections, and what the database itself refuses."""

from datetime import date, timedelta
from itertools import count as numbers

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from reintegration.allowances import queries, services
from reintegration.allowances.models import (
    ALLOWANCE_MOVES,
    Allowance,
    AllowanceStatus,
    Payment,
    PaymentMethod,
)
from reintegration.auth.models import Role
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.keys.fields import encrypt
from tests.allowances.helpers import approved, officer, paid, request
from tests.conftest import TODAY
from tests.helpers import count

Status = AllowanceStatus
CASH = PaymentMethod.CASH
receipts = numbers(1)


def staff(make, case):
    return make.user(Role.SHELTER_STAFF, facility=case.facility)


def stored_row(allowance: Allowance) -> dict:
    """The allowance as the database holds it, read past the session's identity map."""
    columns = (
        Allowance.status,
        Allowance.amount,
        Allowance.decided_by_id,
        Allowance.decided_at,
        Allowance.reason,
        Allowance.cancelled_by_id,
    )
    row = db.session.execute(select(*columns).where(Allowance.id == allowance.id)).one()
    return dict(row._mapping)


def payments_of(allowance: Allowance) -> list[tuple]:
    return db.session.execute(
        select(Payment.amount, Payment.corrects_id, Payment.receipt_number)
        .where(Payment.allowance_id == allowance.id)
        .order_by(Payment.id)
    ).all()


def in_status(make, case, status: Status) -> Allowance:
    """A hardship allowance of ``case`` brought to ``status`` by the services."""
    allowance = request(make, case)
    if status == Status.APPROVED or status == Status.PAID:
        services.decide(allowance, True, "", officer(make))
    if status == Status.REFUSED:
        services.decide(allowance, False, "Thiếu giấy xác nhận nạn nhân", officer(make))
    if status == Status.CANCELLED:
        services.cancel(allowance, "Người được hỗ trợ đã chuyển đi", staff(make, case))
    if status == Status.PAID:
        services.pay(allowance, TODAY, CASH, "PC-0", staff(make, case))
    return allowance


def move(make, allowance: Allowance, target: Status) -> None:
    """Ask the service that makes the move to ``target``."""
    if target == Status.APPROVED:
        services.decide(allowance, True, "", officer(make))
    elif target == Status.REFUSED:
        services.decide(allowance, False, "Không đủ điều kiện", officer(make))
    elif target == Status.CANCELLED:
        services.cancel(allowance, "Nhập trùng", staff(make, allowance.case))
    else:
        services.pay(allowance, TODAY, CASH, f"PC-{next(receipts)}", staff(make, allowance.case))


TARGETS = (Status.APPROVED, Status.REFUSED, Status.CANCELLED, Status.PAID)
PAIRS = [(status, target) for status in Status for target in TARGETS]
ALLOWED = [pair for pair in PAIRS if pair[1] in ALLOWANCE_MOVES[pair[0]]]
OTHERS = [pair for pair in PAIRS if pair[1] not in ALLOWANCE_MOVES[pair[0]]]


def pair_id(pair) -> str:
    return f"{pair[0].value}-to-{pair[1].value}"


def test_the_written_moves_are_those_a_request_makes_to_its_payment():
    assert ALLOWED == [
        (Status.REQUESTED, Status.APPROVED),
        (Status.REQUESTED, Status.REFUSED),
        (Status.REQUESTED, Status.CANCELLED),
        (Status.APPROVED, Status.CANCELLED),
        (Status.APPROVED, Status.PAID),
    ]


@pytest.mark.parametrize("pair", ALLOWED, ids=pair_id)
def test_an_allowed_move_is_stored(make, world, pair):
    status, target = pair
    allowance = in_status(make, world.cases["here"], status)
    before = len(payments_of(allowance))

    move(make, allowance, target)

    stored = stored_row(allowance)
    assert stored["status"] == target
    if target in (Status.APPROVED, Status.REFUSED):
        assert stored["decided_by_id"] not in (None, allowance.requested_by_id)
        assert stored["decided_at"] is not None
    if target == Status.CANCELLED:
        assert stored["cancelled_by_id"] is not None
        assert stored["reason"] == "Nhập trùng"
    assert len(payments_of(allowance)) == before + (target == Status.PAID)


@pytest.mark.parametrize("pair", OTHERS, ids=pair_id)
def test_any_other_move_is_refused_and_stores_nothing(make, world, pair):
    status, target = pair
    allowance = in_status(make, world.cases["here"], status)
    before, payments = stored_row(allowance), payments_of(allowance)

    with pytest.raises(DomainError) as refused:
        move(make, allowance, target)

    assert str(refused.value) == (
        f"This allowance is “{status.label}”: it cannot become “{target.label}”."
    )
    assert stored_row(allowance) == before
    assert payments_of(allowance) == payments


# --- who decides --------------------------------------------------------------------------------


def test_the_requester_cannot_decide_even_as_a_provincial_officer(make, world):
    requester = officer(make)
    allowance = request(make, world.cases["here"], by=requester)

    with pytest.raises(DomainError, match="four eyes"):
        services.decide(allowance, True, "", requester)

    assert stored_row(allowance)["status"] == Status.REQUESTED
    assert stored_row(allowance)["decided_by_id"] is None


def test_the_database_refuses_a_decision_by_the_requester(make, world):
    allowance = request(make, world.cases["here"], by=officer(make))

    with pytest.raises(IntegrityError, match="four_eyes"), db.session.begin_nested():
        db.session.execute(
            text(
                "UPDATE allowances SET status = 'approved', decided_by_id = requested_by_id "
                "WHERE id = :id"
            ),
            {"id": allowance.id},
        )

    assert stored_row(allowance)["status"] == Status.REQUESTED
    assert stored_row(allowance)["decided_by_id"] is None


def test_an_officer_of_another_province_cannot_decide(make, world):
    allowance = request(make, world.cases["here"])

    with pytest.raises(DomainError, match="province of the paying facility"):
        services.decide(allowance, True, "", officer(make, "HT"))

    assert stored_row(allowance)["status"] == Status.REQUESTED


def test_the_province_of_the_paying_facility_decides_not_the_home_province(make, world):
    # returning_home comes from Nghe An but stays at, and is paid by, the Ha Tinh facility.
    allowance = request(make, world.cases["returning_home"])

    with pytest.raises(DomainError):
        services.decide(allowance, True, "", officer(make, "NA"))
    services.decide(allowance, True, "", officer(make, "HT"))

    assert stored_row(allowance)["status"] == Status.APPROVED


def test_refusing_needs_a_reason(make, world):
    allowance = request(make, world.cases["here"])

    with pytest.raises(DomainError) as refused:
        services.decide(allowance, False, "   ", officer(make))

    assert refused.value.field == "reason"
    assert stored_row(allowance)["status"] == Status.REQUESTED


def test_a_refusal_keeps_its_reason_and_the_officer(make, world):
    allowance = request(make, world.cases["here"])
    deciding = officer(make)

    services.decide(allowance, False, "  Đã nhận hỗ trợ ở tỉnh khác  ", deciding)

    stored = stored_row(allowance)
    assert (stored["status"], stored["decided_by_id"], stored["reason"]) == (
        Status.REFUSED,
        deciding.id,
        "Đã nhận hỗ trợ ở tỉnh khác",
    )


def test_cancelling_needs_a_reason(make, world):
    allowance = request(make, world.cases["here"])

    with pytest.raises(DomainError) as refused:
        services.cancel(allowance, "", staff(make, world.cases["here"]))

    assert refused.value.field == "reason"
    assert stored_row(allowance)["status"] == Status.REQUESTED


# --- paying -------------------------------------------------------------------------------------


def test_paying_stores_one_payment_of_the_allowance_amount(make, world):
    allowance = paid(make, world.cases["here"], receipt="PC-001")

    assert stored_row(allowance)["status"] == Status.PAID
    assert payments_of(allowance) == [(3_000_000, None, "PC-001")]


def test_paying_twice_is_refused(make, world):
    case = world.cases["here"]
    allowance = paid(make, case, receipt="PC-001")

    with pytest.raises(DomainError):
        services.pay(allowance, TODAY, CASH, "PC-002", staff(make, case))

    assert payments_of(allowance) == [(3_000_000, None, "PC-001")]


def test_paying_before_the_approval_day_is_refused(make, world):
    case = world.cases["here"]
    allowance = approved(make, case)

    with pytest.raises(DomainError) as refused:
        services.pay(allowance, TODAY - timedelta(days=1), CASH, "PC-001", staff(make, case))

    assert refused.value.field == "paid_on"
    assert stored_row(allowance)["status"] == Status.APPROVED
    assert payments_of(allowance) == []


def test_paying_on_a_future_day_is_refused(make, world):
    case = world.cases["here"]
    allowance = approved(make, case)

    with pytest.raises(DomainError) as refused:
        services.pay(allowance, TODAY + timedelta(days=1), CASH, "PC-001", staff(make, case))

    assert refused.value.field == "paid_on"
    assert payments_of(allowance) == []


def test_a_receipt_number_is_used_once_per_facility(make, world):
    paid(make, world.cases["here"], receipt="PC-7")
    other = approved(make, world.cases["here"], "CLOTHING")

    with pytest.raises(DomainError) as refused:
        services.pay(other, TODAY, CASH, " PC-7 ", staff(make, world.cases["here"]))

    assert refused.value.field == "receipt_number"
    assert str(refused.value) == "The receipt number PC-7 is already used."
    assert stored_row(other)["status"] == Status.APPROVED
    assert payments_of(other) == []


def test_another_facility_may_use_the_same_receipt_number(make, world):
    paid(make, world.cases["here"], receipt="PC-7")

    elsewhere = paid(make, world.cases["far"], receipt="PC-7")

    assert payments_of(elsewhere) == [(3_000_000, None, "PC-7")]


def test_the_database_refuses_a_receipt_number_twice_in_one_facility(make, world):
    first = paid(make, world.cases["here"], receipt="PC-7")
    other = approved(make, world.cases["here"], "CLOTHING")

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            text(
                "INSERT INTO payments (allowance_id, facility_id, amount, paid_on, method, "
                "receipt_number, reason, paid_by_id, created_at) "
                "SELECT :other, facility_id, 500000, paid_on, method, receipt_number, '', "
                "paid_by_id, created_at FROM payments WHERE allowance_id = :first"
            ),
            {"other": other.id, "first": first.id},
        )

    assert payments_of(other) == []


@pytest.fixture
def two_approved(make, world):
    """Two approved allowances of ``here``, and a receipt PC-1 already used at its facility."""
    case = world.cases["here"]
    paid(make, case, "CLOTHING", receipt="PC-1")
    allowances = [approved(make, case, "HARDSHIP"), approved(make, case, "VOCATIONAL")]
    db.session.commit()
    return allowances


def test_pay_many_pays_each_allowance_with_its_own_receipt(make, world, two_approved):
    hardship, vocational = two_approved
    receipts_given = {hardship.id: "PC-2", vocational.id: "PC-3"}

    services.pay_many(two_approved, receipts_given, TODAY, CASH, staff(make, world.cases["here"]))

    assert [stored_row(a)["status"] for a in two_approved] == [Status.PAID, Status.PAID]
    assert payments_of(hardship) == [(3_000_000, None, "PC-2")]
    assert payments_of(vocational) == [(1_500_000, None, "PC-3")]


def test_pay_many_with_one_receipt_refused_pays_none(make, world, two_approved):
    hardship, vocational = two_approved
    receipts_given = {hardship.id: "PC-2", vocational.id: "PC-1"}

    with pytest.raises(DomainError) as refused:
        services.pay_many(
            two_approved, receipts_given, TODAY, CASH, staff(make, world.cases["here"])
        )
    db.session.rollback()  # as every request does when a rule refuses its change

    assert refused.value.field == f"receipt_{vocational.id}"
    assert [stored_row(a)["status"] for a in two_approved] == [Status.APPROVED, Status.APPROVED]
    assert payments_of(hardship) == payments_of(vocational) == []


def test_pay_many_with_a_receipt_given_twice_pays_none(make, world, two_approved):
    hardship, vocational = two_approved
    receipts_given = {hardship.id: "PC-2", vocational.id: "PC-2"}

    with pytest.raises(DomainError, match="PC-2 is given twice"):
        services.pay_many(
            two_approved, receipts_given, TODAY, CASH, staff(make, world.cases["here"])
        )

    assert [stored_row(a)["status"] for a in two_approved] == [Status.APPROVED, Status.APPROVED]
    assert payments_of(hardship) == payments_of(vocational) == []


def test_pay_many_with_nothing_chosen_is_refused(make, world):
    with pytest.raises(DomainError):
        services.pay_many([], {}, TODAY, CASH, staff(make, world.cases["here"]))


# --- corrections --------------------------------------------------------------------------------


@pytest.fixture
def payment(make, world) -> Payment:
    """The payment of 3,000,000 for the hardship allowance of ``here``, receipt PC-001."""
    allowance = paid(make, world.cases["here"], receipt="PC-001")
    return allowance.payments[0]


def correct(make, payment, amount: int, reason: str = "Chi thừa, đã thu hồi", receipt="PC-002"):
    user = make.user(Role.SHELTER_STAFF, facility=payment.allowance.facility)
    return services.correct(payment, amount, TODAY, CASH, receipt, reason, user)


def test_a_negative_correction_is_stored_linked_to_the_payment(make, world, payment):
    correction = correct(make, payment, -500_000)

    allowance = payment.allowance
    assert payments_of(allowance) == [
        (3_000_000, None, "PC-001"),
        (-500_000, payment.id, "PC-002"),
    ]
    assert correction.reason == "Chi thừa, đã thu hồi"
    assert stored_row(allowance)["status"] == Status.PAID
    assert stored_row(allowance)["amount"] == 3_000_000


def test_the_sum_of_the_rows_counts_the_payment_and_its_correction(make, world, payment):
    correct(make, payment, -500_000)

    # 3,000,000 − 500,000
    allowance = payment.allowance
    assert allowance.paid_total == 2_500_000
    assert queries.total_paid(world.cases["here"]) == 2_500_000
    total = select(func.sum(Payment.amount)).where(Payment.allowance_id == allowance.id)
    assert db.session.scalar(total) == 2_500_000


def test_a_correction_may_take_back_everything_paid(make, world, payment):
    correct(make, payment, -3_000_000)

    assert payment.allowance.paid_total == 0


def test_a_correction_without_a_reason_is_refused(make, world, payment):
    with pytest.raises(DomainError) as refused:
        correct(make, payment, -500_000, reason="  ")

    assert refused.value.field == "reason"
    assert len(payments_of(payment.allowance)) == 1


def test_a_correction_of_zero_is_refused(make, world, payment):
    with pytest.raises(DomainError) as refused:
        correct(make, payment, 0)

    assert refused.value.field == "amount"
    assert len(payments_of(payment.allowance)) == 1


def test_a_correction_taking_back_more_than_was_paid_is_refused(make, world, payment):
    with pytest.raises(DomainError) as refused:
        correct(make, payment, -3_000_001)

    assert refused.value.field == "amount"
    assert len(payments_of(payment.allowance)) == 1


def test_corrections_together_cannot_take_back_more_than_was_paid(make, world, payment):
    correct(make, payment, -2_000_000, receipt="PC-002")

    with pytest.raises(DomainError):
        correct(make, payment, -1_000_001, receipt="PC-003")

    assert payment.allowance.paid_total == 1_000_000


def test_correcting_a_correction_is_refused(make, world, payment):
    correction = correct(make, payment, -500_000)

    with pytest.raises(DomainError, match="not a correction"):
        correct(make, correction, 100_000, receipt="PC-003")

    assert len(payments_of(payment.allowance)) == 2


def test_a_correction_needs_its_own_receipt_number(make, world, payment):
    with pytest.raises(DomainError) as refused:
        correct(make, payment, -500_000, receipt="PC-001")

    assert refused.value.field == "receipt_number"
    assert len(payments_of(payment.allowance)) == 1


def test_a_correction_dated_before_the_payment_is_refused(make, world, payment):
    user = make.user(Role.SHELTER_STAFF, facility=payment.allowance.facility)

    with pytest.raises(DomainError) as refused:
        services.correct(payment, -1, date(2026, 3, 14), CASH, "PC-002", "Chi thừa", user)

    assert refused.value.field == "paid_on"
    assert len(payments_of(payment.allowance)) == 1


# --- the database keeps paid money as it was ----------------------------------------------------


def refused_by_the_database(statement: str, **values) -> DBAPIError:
    """Run ``statement`` in a savepoint; the database must refuse it."""
    with pytest.raises(DBAPIError) as refused, db.session.begin_nested():
        db.session.execute(text(statement), values)
    return refused.value


def test_the_database_refuses_to_update_a_payment(make, world, payment):
    error = refused_by_the_database(
        "UPDATE payments SET amount = 1, receipt_number = 'X' WHERE id = :id", id=payment.id
    )

    assert "a payment never changes" in str(error)
    assert payments_of(payment.allowance) == [(3_000_000, None, "PC-001")]


def test_the_database_refuses_to_delete_a_payment(make, world, payment):
    error = refused_by_the_database("DELETE FROM payments WHERE id = :id", id=payment.id)

    assert "a payment is never deleted" in str(error) or "a payment never changes" in str(error)
    assert payments_of(payment.allowance) == [(3_000_000, None, "PC-001")]


def test_the_database_refuses_to_update_a_correction(make, world, payment):
    correction = correct(make, payment, -500_000)

    refused_by_the_database("UPDATE payments SET amount = -1 WHERE id = :id", id=correction.id)

    assert payments_of(payment.allowance)[1] == (-500_000, payment.id, "PC-002")


def test_the_guards_let_a_key_rotation_encrypt_the_notes_again_and_nothing_more(
    make, world, payment
):
    """`flask keys rotate` writes the same note under a new key: the only change the guards of
    a payment and of a paid allowance let through."""
    allowance = payment.allowance
    with db.session.begin_nested():
        for table, row_id in (("payments", payment.id), ("allowances", allowance.id)):
            db.session.execute(
                text(f"UPDATE {table} SET reason = :reason WHERE id = :id"),  # noqa: S608
                {"reason": encrypt(f"{table}.reason", "Ghi chú"), "id": row_id},
            )

    assert stored_row(allowance)["reason"] == "Ghi chú"
    refused_by_the_database(
        "UPDATE payments SET reason = '', amount = 1 WHERE id = :id", id=payment.id
    )
    refused_by_the_database(
        "UPDATE allowances SET documents = '', amount = 1 WHERE id = :id", id=allowance.id
    )
    assert payments_of(allowance) == [(3_000_000, None, "PC-001")]


@pytest.mark.parametrize("status", [Status.PAID, Status.REFUSED, Status.CANCELLED], ids=str)
def test_the_database_refuses_to_update_a_final_allowance(make, world, status):
    allowance = in_status(make, world.cases["here"], status)
    before = stored_row(allowance)

    error = refused_by_the_database(
        "UPDATE allowances SET amount = 1, status = 'approved' WHERE id = :id", id=allowance.id
    )

    assert "a paid, refused or cancelled allowance never changes" in str(error)
    assert stored_row(allowance) == before


def test_the_database_refuses_to_delete_a_paid_allowance(make, world, payment):
    allowance = payment.allowance
    before = stored_row(allowance)

    error = refused_by_the_database("DELETE FROM allowances WHERE id = :id", id=allowance.id)

    assert "an allowance is never deleted" in str(error)
    assert stored_row(allowance) == before
    assert count(Payment) == 1


def test_the_database_lets_an_approved_allowance_change(make, world):
    allowance = approved(make, world.cases["here"])

    with db.session.begin_nested():
        db.session.execute(
            text("UPDATE allowances SET reason = :reason WHERE id = :id"),
            {"reason": encrypt("allowances.reason", "Ghi chú"), "id": allowance.id},
        )

    assert stored_row(allowance)["reason"] == "Ghi chú"
