"""What a release's demo leaves empty, written with that release's own services: a closed
case, a sustainability check (0004 on), a reminder done and one snoozed (0006 on).

Run by make_fixture.sh with the release's code first on PYTHONPATH, after its demo; each part
is skipped when the release does not have it.
"""

from datetime import timedelta

from sqlalchemy import select

from wsgi import app


def main() -> None:
    from reintegration.auth.models import User
    from reintegration.cases.models import Case
    from reintegration.extensions import db

    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "staff"))
        try:
            from reintegration.cases.models import Outcome
        except ImportError:
            return
        try:  # the page that closes a case moved to casefile, which counts the open work
            from reintegration.casefile.services import close_case
        except ImportError:
            from reintegration.cases.services import close_case
        cases = db.session.scalars(select(Case).order_by(Case.id)).all()
        closable = next(c for c in reversed(cases) if c.open_closure is None)
        close_case(closable, Outcome.REINTEGRATED.value, closable.received_on, "", True, staff)
        print(f"closed case {closable.id}")

        from reintegration.followups.models import FollowUp
        from reintegration.followups.services import active_indicators, record_check

        done = db.session.scalars(
            select(FollowUp).where(FollowUp.done_on.is_not(None)).order_by(FollowUp.id)
        ).all()
        followup = next(f for f in done if f.check is None)
        indicators = active_indicators()
        record_check(followup, {i.id: 4 for i in indicators}, indicators)
        print(f"sustainability check on follow-up {followup.id}")
        db.session.commit()

        try:
            from reintegration import clock
            from reintegration.reminders.models import Reminder
            from reintegration.reminders.services import mark_done, snooze
        except ImportError:
            return
        open_ones = db.session.scalars(
            select(Reminder).where(Reminder.closed_at.is_(None)).order_by(Reminder.id)
        ).all()
        mark_done(open_ones[0], "", staff)
        snooze(open_ones[1], clock.today() + timedelta(days=3), "", staff)
        db.session.commit()
        print(f"reminders {open_ones[0].id} done, {open_ones[1].id} snoozed")


main()
