import re

from sqlalchemy import func, select

from reintegration.auth.models import Role, User
from reintegration.cases.models import Case, Stage
from reintegration.extensions import db
from reintegration.shelter.models import Facility, Stay, StayExtension

from .conftest import TODAY


def _run_demo(runner):
    return runner.invoke(args=["demo"])


def test_demo_builds_a_believable_province(runner):
    """One run of the demo (it takes seconds), checked for each part of the journey."""
    result = _run_demo(runner)

    assert result.exit_code == 0, result.output
    _has_an_account_for_every_role(result.output)
    _prints_the_two_factor_key_of_the_accounts_that_need_one(result.output)
    _has_cases_at_every_stage_of_the_stay()
    _spans_two_provinces_and_three_facilities_within_capacity()
    _shows_the_livelihood_journey()
    _has_allowances_waiting_approved_and_paid()


def test_demo_refuses_a_database_that_already_has_cases(runner, make):
    make.case()

    result = _run_demo(runner)

    assert result.exit_code != 0
    assert "already has cases" in result.output
    assert db.session.scalar(select(func.count(Case.id))) == 1


def _has_an_account_for_every_role(output: str) -> None:
    for role in Role:
        assert role.value in output
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)


def _prints_the_two_factor_key_of_the_accounts_that_need_one(output: str) -> None:
    """A tester logs in as the administrator and the officer with the key printed."""
    from reintegration.auth import totp
    from reintegration.auth.totp_models import SecondFactor

    line = r"^  (\w+) +demo-\S+ +\w+ +([A-Z2-7]{4}(?: [A-Z2-7]{4})+)$"
    keys = dict(re.findall(line, output, re.M))
    assert set(keys) == {"admin", "officer"}
    for username, key in keys.items():
        user = db.session.scalar(select(User).where(User.username == username))
        factor = db.session.get(SecondFactor, user.id)
        assert totp._open(factor) == key.replace(" ", "")
        assert "otpauth://totp/" in output
        assert f"secret={key.replace(' ', '')}" in output
    staff = db.session.scalar(select(User).where(User.username == "staff"))
    assert db.session.get(SecondFactor, staff.id) is None


def _has_cases_at_every_stage_of_the_stay() -> None:
    stages = dict(db.session.execute(select(Case.stage, func.count()).group_by(Case.stage)).all())
    open_stays = db.session.scalars(select(Stay).where(Stay.discharged_on.is_(None))).all()
    assert 55 <= sum(stages.values()) <= 70
    assert stages[Stage.RECEIVED]
    assert stages[Stage.IN_SHELTER]
    assert stages[Stage.DISCHARGED]
    assert any(stay.days_remaining(TODAY) < 0 for stay in open_stays)
    assert any(0 <= stay.days_remaining(TODAY) <= 10 for stay in open_stays)
    assert any(stay.day_number(TODAY) < 40 for stay in open_stays)
    assert db.session.scalar(select(func.count(StayExtension.id))) > 0


def _spans_two_provinces_and_three_facilities_within_capacity() -> None:
    facilities = db.session.scalars(select(Facility)).all()
    assert len(facilities) == 3
    assert len({facility.province_id for facility in facilities}) == 2
    for facility in facilities:
        residents = db.session.scalar(
            select(func.count(Stay.id)).where(
                Stay.facility_id == facility.id, Stay.discharged_on.is_(None)
            )
        )
        assert residents <= facility.capacity


def _shows_the_livelihood_journey() -> None:
    from reintegration.employers.models import Employer
    from reintegration.employers.services import refusal
    from reintegration.employment.models import Placement
    from reintegration.followups.models import FollowUp, RiskFlag
    from reintegration.training.models import Course, Enrolment, EnrolmentStatus

    trainer = db.session.scalar(select(User).where(User.role == Role.TRAINER))
    courses = db.session.scalars(select(Course).where(Course.trainer_id == trainer.id)).all()
    statuses = set(db.session.scalars(select(Enrolment.status)))
    employers = db.session.scalars(select(Employer)).all()
    assert len(courses) == 3  # finished, running, starting soon
    assert {EnrolmentStatus.REFERRED, EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED} <= (
        statuses
    )
    assert sorted(refusal(e) is None for e in employers) == [False, True]
    assert db.session.scalar(select(func.count(Placement.id))) >= 3
    assert db.session.scalar(select(func.count(RiskFlag.id)).where(RiskFlag.resolved_on.is_(None)))
    done = select(func.count(FollowUp.id)).where(FollowUp.done_on.is_not(None))
    assert db.session.scalar(done) > 0


def _has_allowances_waiting_approved_and_paid() -> None:
    from reintegration.allowances.models import Allowance, AllowanceStatus, Payment

    statuses = set(db.session.scalars(select(Allowance.status)))
    assert {AllowanceStatus.REQUESTED, AllowanceStatus.APPROVED, AllowanceStatus.PAID} <= statuses
    overdue = select(func.count(Allowance.id)).where(
        Allowance.status == AllowanceStatus.REQUESTED, Allowance.decision_due_on < TODAY
    )
    assert db.session.scalar(overdue) >= 1
    paid = db.session.scalar(select(func.sum(Allowance.amount)).where(Allowance.status == "paid"))
    assert db.session.scalar(select(func.sum(Payment.amount))) == paid
