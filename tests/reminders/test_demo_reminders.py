"""The demo with the clock moved forward: each role's inbox, the follow-up done, the digest."""

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from reintegration.auth.models import User
from reintegration.extensions import db
from reintegration.followups.models import ContactMethod, FollowUp
from reintegration.followups.services import record_followup
from reintegration.reminders import digest
from reintegration.reminders.queries import inbox
from tests.conftest import TODAY
from tests.reminders.helpers import on

LATER = TODAY + timedelta(days=20)


def _inboxes() -> dict[str, Counter]:
    users = db.session.scalars(select(User)).all()
    return {user.username: Counter(r.rule.code for r in inbox(user, LATER)) for user in users}


def _demo_twenty_days_on(runner, frozen_clock):
    assert runner.invoke(args=["demo"]).exit_code == 0
    on(frozen_clock, LATER)
    return _inboxes()


def test_each_role_finds_its_own_reminders_in_the_demo(runner, frozen_clock):
    boxes = _demo_twenty_days_on(runner, frozen_clock)
    assert {"stay_overdue", "stay_ending", "no_plan"} <= set(boxes["staff"])
    assert {"decision_due", "allowance_unpaid", "risk_flag_open"} <= set(boxes["officer"])
    assert {"followup_due", "risk_flag_open"} <= set(boxes["caseworker"])
    assert set(boxes["trainer"]) == {"trainee_absent"}
    assert boxes["admin"] == Counter()
    # Each facility's staff see their own residents only.
    assert not set(boxes["staff.ht"]) & {"decision_due", "followup_due", "trainee_absent"}


def test_doing_the_follow_up_closes_its_reminder(runner, frozen_clock):
    _demo_twenty_days_on(runner, frozen_clock)
    worker = db.session.scalar(select(User).where(User.username == "caseworker"))
    reminder = next(r for r in inbox(worker, LATER) if r.rule.code == "followup_due")
    record_followup(
        db.session.get(FollowUp, reminder.subject_id),
        LATER,
        risk_signs=[],
        user=worker,
        method=ContactMethod.PHONE,
        contact_made=True,
        still_in_job=None,
        wellbeing="",
    )
    assert on(frozen_clock, LATER).closed == {"followup_due": 1}
    assert reminder.id not in {r.id for r in inbox(worker, LATER)}


def test_the_digest_lists_the_same_reminders_as_each_inbox(runner, frozen_clock, smtp):
    _demo_twenty_days_on(runner, frozen_clock)
    users = db.session.scalars(select(User)).all()
    for user in users:
        user.email = f"{user.username}@example.org"
        user.wants_digest = True
    db.session.commit()
    digest.send_digests(LATER)
    mails = {message["To"].split("@")[0]: message.get_content() for message in smtp.sent}
    for user in users:
        reminders = inbox(user, LATER)
        if not reminders:
            assert user.username not in mails
            continue
        lines = [line for line in mails[user.username].splitlines() if line.startswith("- ")]
        assert len(lines) == len(reminders)
        for line, reminder in zip(lines, reminders, strict=True):
            assert reminder.due_on.strftime("%d/%m/%Y") in line
            if reminder.case:
                assert reminder.case.code in line
