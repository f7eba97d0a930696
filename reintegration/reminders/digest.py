"""The daily email of each user's reminders: case codes and links, never names."""

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from .. import clock
from ..auth.models import User
from ..database import insert, writing
from ..extensions import db
from .models import DigestDelivery, Reminder
from .queries import inbox
from .rules import RULES

log = logging.getLogger(__name__)

# A claim this old was left by a process that died while sending: it may be taken again.
STALE_CLAIM = timedelta(hours=1)


@dataclass
class DigestResult:
    sent: int = 0
    failed: int = 0
    empty: int = 0


def send_digests(today: date | None = None) -> DigestResult:
    """Send today's digest to each user who wants one and has not had it yet.

    Each digest is claimed (a row per user and day) and committed before it is sent, so two
    schedulers send it once. A failed send gives up its claim and is tried at the next run;
    it never stops the others.
    """
    today = today or clock.today()
    result = DigestResult()
    config = current_app.config
    if not config.get("MAIL_SERVER") and config["ENV"] != "development":
        log.warning("MAIL_SERVER is not set: no digest is sent")
        return result
    _release_stale_claims()
    for user_id in [user.id for user in _recipients()]:
        outcome = _send_one(user_id, today)
        if outcome:
            setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _send_one(user_id: int, today: date) -> str | None:
    """One user's digest: "sent", "failed", "empty", or None when it was sent already.

    No transaction stays open while the mail server is talked to: on SQLite that would hold
    the database's write lock, and every save in the web pages would wait for it.
    """
    if not _claim(user_id, today):
        return None
    try:
        user = db.session.get_one(User, user_id)
        reminders = inbox(user, today)
        message = compose(user, reminders, today) if reminders else None
        count = len(reminders)
        db.session.rollback()  # the read is over: let go of it before the mail server
        if message is not None:
            _deliver(message)
    except Exception:  # any failure of one digest must not stop the others
        log.exception("digest for user %s not sent; it is tried again at the next run", user_id)
        _give_up(user_id, today)
        return "failed"
    _finish(user_id, today, count)
    return "sent" if count else "empty"


def _recipients() -> Sequence[User]:
    return db.session.scalars(
        select(User)
        .where(
            User.active.is_(True),
            User.wants_digest.is_(True),
            User.email.is_not(None),
            User.email != "",
        )
        .order_by(User.id)
    ).all()


def _write(statement) -> object:
    """One short write transaction of its own (on SQLite it waits for the write lock)."""
    db.session.rollback()
    with writing():
        result = db.session.execute(statement)
        # A scheduled job: its own short unit of work, committed here.
        db.session.commit()
    return result


def _release_stale_claims() -> None:
    _write(
        delete(DigestDelivery).where(
            DigestDelivery.sent_at.is_(None),
            DigestDelivery.claimed_at < clock.utcnow() - STALE_CLAIM,
        )
    )


def _claim(user_id: int, today: date) -> bool:
    now = clock.utcnow()
    statement = (
        insert(DigestDelivery)
        .values(user_id=user_id, day=today, claimed_at=now, created_at=now, reminders=0)
        .on_conflict_do_nothing(index_elements=["user_id", "day"])
        .returning(DigestDelivery.id)
    )
    db.session.rollback()
    with writing():
        claimed = db.session.execute(statement).scalar() is not None
        # Committed before the mail is sent: another process then sends none.
        db.session.commit()
    return claimed


def _finish(user_id: int, today: date, count: int) -> None:
    _write(
        update(DigestDelivery)
        .where(DigestDelivery.user_id == user_id, DigestDelivery.day == today)
        .values(sent_at=clock.utcnow(), reminders=count)
    )


def _give_up(user_id: int, today: date) -> None:
    _write(
        delete(DigestDelivery).where(
            DigestDelivery.user_id == user_id,
            DigestDelivery.day == today,
            DigestDelivery.sent_at.is_(None),
        )
    )


def lines(reminders: Sequence[Reminder], today: date) -> list[str]:
    """One line per reminder, as in the inbox: when due, what, the case code, the link."""
    result = []
    for reminder in reminders:
        rule = RULES[reminder.rule.code]
        late = reminder.days_late(today)
        when = format_date(reminder.due_on, "dd/MM/yyyy")
        if late > 0:
            when += " · " + ngettext("%(num)s day overdue", "%(num)s days overdue", late)
        code = reminder.case.code if reminder.case else _("course")
        result.append(f"- {when} · {rule.title} · {code}\n  {_absolute(rule.link(reminder))}")
    return result


def _absolute(path: str) -> str:
    """A path made in a request context whose base is BASE_URL, with BASE_URL's host."""
    parts = urlsplit(current_app.config["BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}{path}"


def compose(user: User, reminders: Sequence[Reminder], today: date) -> EmailMessage:
    config = current_app.config
    with (
        current_app.test_request_context("/", base_url=config["BASE_URL"]),
        force_locale(user.language),
    ):
        overdue = sum(1 for reminder in reminders if reminder.days_late(today) > 0)
        subject = _(
            "Reintegration tracker: %(count)s reminders, %(overdue)s overdue (%(day)s)",
            count=len(reminders),
            overdue=overdue,
            day=format_date(today, "dd/MM/yyyy"),
        )
        body = "\n".join(
            [
                _("Your reminders for %(day)s:", day=format_date(today, "dd/MM/yyyy")),
                "",
                *lines(reminders, today),
                "",
                _("All your tasks: %(link)s", link=_absolute(url_for("reminders.inbox"))),
                _("You receive this email because the daily email is on in your task list."),
            ]
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_SENDER"]
    message["To"] = user.email
    message.set_content(body)
    return message


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):  # development: see send_digests
        log.info("digest (no MAIL_SERVER set, so not emailed):\n%s", message.get_content())
        return
    connection = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with connection(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
