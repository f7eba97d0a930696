"""The daily email of each user's reminders: case codes and links, never names."""

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from urllib.parse import urljoin

from flask import current_app
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import delete, select

from .. import clock
from ..auth.models import User
from ..database import insert
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
    for user in _recipients():
        if not _claim(user, today):
            continue
        reminders = inbox(user, today)
        if not reminders:
            _finish(user, today, 0)
            result.empty += 1
            continue
        try:
            _deliver(compose(user, reminders, today))
        except Exception:  # any failure of one send must not stop the others
            log.exception("digest for user %s not sent; it is tried again at the next run", user.id)
            _give_up(user, today)
            result.failed += 1
            continue
        _finish(user, today, len(reminders))
        result.sent += 1
    return result


def _recipients() -> list[User]:
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


def _release_stale_claims() -> None:
    db.session.execute(
        delete(DigestDelivery).where(
            DigestDelivery.sent_at.is_(None),
            DigestDelivery.claimed_at < clock.utcnow() - STALE_CLAIM,
        )
    )
    db.session.commit()


def _claim(user: User, today: date) -> bool:
    now = clock.utcnow()
    statement = (
        insert(DigestDelivery)
        .values(user_id=user.id, day=today, claimed_at=now, created_at=now, reminders=0)
        .on_conflict_do_nothing(index_elements=["user_id", "day"])
        .returning(DigestDelivery.id)
    )
    claimed = db.session.execute(statement).scalar() is not None
    db.session.commit()
    return claimed


def _finish(user: User, today: date, count: int) -> None:
    delivery = db.session.scalar(
        select(DigestDelivery).where(DigestDelivery.user_id == user.id, DigestDelivery.day == today)
    )
    delivery.sent_at = clock.utcnow()
    delivery.reminders = count
    db.session.commit()


def _give_up(user: User, today: date) -> None:
    db.session.rollback()
    db.session.execute(
        delete(DigestDelivery).where(
            DigestDelivery.user_id == user.id,
            DigestDelivery.day == today,
            DigestDelivery.sent_at.is_(None),
        )
    )
    db.session.commit()


def lines(reminders: list[Reminder], today: date) -> list[str]:
    """One line per reminder, as in the inbox: when due, what, the case code, the link."""
    base = current_app.config["BASE_URL"]
    result = []
    for reminder in reminders:
        rule = RULES[reminder.rule.code]
        late = reminder.days_late(today)
        when = format_date(reminder.due_on, "dd/MM/yyyy")
        if late > 0:
            when += " · " + ngettext("%(num)s day overdue", "%(num)s days overdue", late)
        code = reminder.case.code if reminder.case else _("course")
        result.append(f"- {when} · {rule.title} · {code}\n  {urljoin(base, rule.link(reminder))}")
    return result


def compose(user: User, reminders: list[Reminder], today: date) -> EmailMessage:
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
                _("All your tasks: %(link)s", link=urljoin(config["BASE_URL"], "/tasks/")),
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
