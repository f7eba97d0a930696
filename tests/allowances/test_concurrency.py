"""Two people acting on one allowance at once: one change is made, the other is told why.

Races need real commits seen by a second connection, which the rolled-back transaction of every
other test cannot give: these tests use a database of their own, migrated once per run.
"""

import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from reintegration.allowances import services
from reintegration.allowances.models import Allowance, AllowanceStatus, Payment, PaymentMethod
from reintegration.auth.models import Role, User
from reintegration.cases.models import Case
from reintegration.errors import DomainError
from reintegration.extensions import db
from reintegration.shelter.models import Facility
from reintegration.support.models import AllowanceKind
from tests.conftest import TODAY, Factory
from tests.own_database import app_on_own_database, own_sessions

SAFETY_SECONDS = 20  # only reached when something hangs; a race takes milliseconds


@dataclass
class RaceWorld:
    app: Flask
    make: Factory
    facility_id: int
    requester_id: int
    officer_ids: tuple[int, int]
    payer_ids: tuple[int, int]


def _seed(app: Flask) -> RaceWorld:
    make = Factory()
    facility = make.facility("NA", name="Trung tâm Công tác xã hội Nghệ An")
    requester = make.user(Role.SHELTER_STAFF, facility=facility)
    officers = [make.user(Role.PROVINCIAL_OFFICER, province="NA") for _ in range(2)]
    payers = [make.user(Role.SHELTER_STAFF, facility=facility) for _ in range(2)]
    db.session.commit()
    return RaceWorld(
        app,
        make,
        facility.id,
        requester.id,
        (officers[0].id, officers[1].id),
        (payers[0].id, payers[1].id),
    )


@pytest.fixture(scope="session")
def race_world(tmp_path_factory):
    with app_on_own_database(tmp_path_factory, "race") as app:
        with own_sessions(), app.app_context():
            world = _seed(app)
        yield world


@pytest.fixture
def race(race_world):
    """The race database's app context; what is arranged in it is committed."""
    with own_sessions(), race_world.app.app_context():
        yield race_world


# --- arranging, with real commits ---------------------------------------------------------------


def requested(race: RaceWorld) -> int:
    """A new person's hardship allowance, requested and committed; its id."""
    case = race.make.case(db.session.get(Facility, race.facility_id))
    hardship = db.session.scalar(select(AllowanceKind).where(AllowanceKind.code == "HARDSHIP"))
    requester = db.session.get(User, race.requester_id)
    allowance = services.request_allowance(
        case, hardship, case.received_on, None, case.received_on, "Mẫu 07", requester
    )
    db.session.commit()
    return allowance.id


def approved(race: RaceWorld) -> int:
    allowance_id = requested(race)
    officer = db.session.get(User, race.officer_ids[0])
    services.decide(db.session.get(Allowance, allowance_id), True, "", officer)
    db.session.commit()
    return allowance_id


def decisions(allowance_id: int) -> list[tuple]:
    """(status, decided by) as committed: the rollback ends any older snapshot first."""
    db.session.rollback()
    return db.session.execute(
        select(Allowance.status, Allowance.decided_by_id).where(Allowance.id == allowance_id)
    ).all()


def payments(allowance_id: int) -> list[tuple]:
    db.session.rollback()
    return db.session.execute(
        select(Payment.amount, Payment.receipt_number, Payment.paid_by_id)
        .where(Payment.allowance_id == allowance_id)
        .order_by(Payment.id)
    ).all()


def kinds_requested(case_id: int) -> list[str]:
    db.session.rollback()
    return db.session.scalars(
        select(AllowanceKind.code)
        .join(Allowance, Allowance.kind_id == AllowanceKind.id)
        .where(Allowance.case_id == case_id)
    ).all()


# --- a stale read, step by step -----------------------------------------------------------------


@contextmanager
def acting_in(session: Session):
    """The services use ``db.session``: let it be ``session`` while one officer acts."""
    shared = db.session
    db.session = session
    try:
        yield
    finally:
        db.session = shared


def page_seen(session: Session, allowance_id: int, user_id: int) -> tuple[Allowance, User]:
    """What an officer read on the page, in a transaction already ended."""
    allowance = session.get(Allowance, allowance_id, options=[joinedload(Allowance.facility)])
    user = session.get(User, user_id, options=[joinedload(User.facility)])
    session.commit()
    return allowance, user


@contextmanager
def two_pages(allowance_id: int, user_ids: tuple[int, int]):
    """Two officers' sessions, each having read the allowance on its page."""
    with (
        Session(db.engine, expire_on_commit=False) as first,
        Session(db.engine, expire_on_commit=False) as second,
    ):
        seen = [page_seen(first, allowance_id, user_ids[0])]
        seen.append(page_seen(second, allowance_id, user_ids[1]))
        yield (first, second), seen


def test_a_decision_on_a_stale_read_is_refused_and_the_first_decision_kept(race):
    allowance_id = requested(race)

    with two_pages(allowance_id, race.officer_ids) as (sessions, seen):
        (first, second), ((mine, me), (theirs, them)) = sessions, seen
        with acting_in(first):
            services.decide(mine, True, "", me)
            first.commit()
        with acting_in(second), pytest.raises(DomainError) as refused:
            services.decide(theirs, False, "Thiếu giấy tờ", them)
        second.rollback()

    assert str(refused.value).startswith("Someone else changed this allowance")
    assert decisions(allowance_id) == [(AllowanceStatus.APPROVED, race.officer_ids[0])]


def test_a_payment_on_a_stale_read_is_refused_and_one_payment_kept(race):
    allowance_id = approved(race)

    with two_pages(allowance_id, race.payer_ids) as (sessions, seen):
        (first, second), ((mine, me), (theirs, them)) = sessions, seen
        with acting_in(first):
            services.pay(mine, TODAY, PaymentMethod.CASH, "PC-A", me)
            first.commit()
        with acting_in(second), pytest.raises(DomainError) as refused:
            services.pay(theirs, TODAY, PaymentMethod.CASH, "PC-B", them)
        second.rollback()

    assert str(refused.value).startswith("Someone else changed this allowance")
    assert payments(allowance_id) == [(3_000_000, "PC-A", race.payer_ids[0])]
    assert decisions(allowance_id)[0][0] == AllowanceStatus.PAID


# --- two requests at the same moment ------------------------------------------------------------


def at_once(app: Flask, actions: list[Callable[[], None]]) -> list[BaseException | None]:
    """Run each action in its own POST request on its own thread, all released together.

    Each commits when its action succeeds and rolls back when it raises; returns what each
    raised, or None.
    """
    barrier = threading.Barrier(len(actions), timeout=SAFETY_SECONDS)
    outcomes: list[BaseException | None] = [None] * len(actions)

    def run(index: int, action: Callable[[], None]) -> None:
        with app.test_request_context(method="POST"):
            barrier.wait()
            try:
                action()
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                outcomes[index] = error

    threads = [
        threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SAFETY_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return outcomes


def deciding(allowance_id: int, officer_id: int, approve: bool = True):
    def action():
        allowance = db.session.get(Allowance, allowance_id)
        reason = "" if approve else "Thiếu giấy tờ"
        services.decide(allowance, approve, reason, db.session.get(User, officer_id))

    return action


def paying(allowance_id: int, payer_id: int, receipt: str):
    def action():
        allowance = db.session.get(Allowance, allowance_id)
        payer = db.session.get(User, payer_id)
        services.pay(allowance, TODAY, PaymentMethod.CASH, receipt, payer)

    return action


def requesting(case_id: int, requester_id: int, code: str):
    def action():
        case = db.session.get(Case, case_id)
        kind = db.session.scalar(select(AllowanceKind).where(AllowanceKind.code == code))
        requester = db.session.get(User, requester_id)
        services.request_allowance(
            case, kind, case.received_on, None, case.received_on, "Mẫu 07", requester
        )

    return action


def one_done_one_refused(outcomes: list[BaseException | None]) -> int:
    """The index of the one that succeeded; the other was refused by a rule, not by a lock."""
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["DomainError", "NoneType"]
    return outcomes.index(None)


ROUNDS = 5  # each round a new allowance: the requests overlap differently each time


def test_two_officers_approving_at_once_make_one_decision(race):
    for _ in range(ROUNDS):
        allowance_id = requested(race)

        outcomes = at_once(
            race.app, [deciding(allowance_id, officer) for officer in race.officer_ids]
        )

        winner = race.officer_ids[one_done_one_refused(outcomes)]
        assert decisions(allowance_id) == [(AllowanceStatus.APPROVED, winner)]


def test_an_approval_and_a_refusal_at_once_make_one_decision(race):
    for _ in range(ROUNDS):
        allowance_id = requested(race)
        approving, refusing = race.officer_ids

        outcomes = at_once(
            race.app,
            [deciding(allowance_id, approving), deciding(allowance_id, refusing, approve=False)],
        )

        done = one_done_one_refused(outcomes)
        expected = [(AllowanceStatus.APPROVED, approving), (AllowanceStatus.REFUSED, refusing)]
        assert decisions(allowance_id) == [expected[done]]


def test_an_allowance_paid_twice_at_once_is_paid_once(race):
    for round_number in range(ROUNDS):
        allowance_id = approved(race)
        receipts = [f"PC-{round_number}-{payer}" for payer in race.payer_ids]

        outcomes = at_once(
            race.app,
            [
                paying(allowance_id, payer, receipt)
                for payer, receipt in zip(race.payer_ids, receipts, strict=True)
            ],
        )

        done = one_done_one_refused(outcomes)
        assert payments(allowance_id) == [(3_000_000, receipts[done], race.payer_ids[done])]
        assert decisions(allowance_id)[0][0] == AllowanceStatus.PAID


def test_two_requests_at_once_for_a_once_only_allowance_store_one(race):
    for _ in range(ROUNDS):
        case = race.make.case(db.session.get(Facility, race.facility_id))
        db.session.commit()

        outcomes = at_once(
            race.app, [requesting(case.id, race.requester_id, "CLOTHING") for _ in range(2)]
        )

        one_done_one_refused(outcomes)
        assert kinds_requested(case.id) == ["CLOTHING"]
