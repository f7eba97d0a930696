"""The reminder pass, and what users do with a reminder: done, snoozed."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask import has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, scoped_session

from .. import clock
from ..access import Role
from ..audit.services import record_update
from ..database import insert
from ..errors import DomainError
from ..extensions import db
from .candidates import about
from .models import Reminder, ReminderMark, ReminderRule, RuleRole
from .rules import RULES

if TYPE_CHECKING:
    from ..auth.models import User

# The hourly pass holds this lock alone; passes over the cases a request changed share it, so
# neither reads what the other is about to change (PostgreSQL; SQLite has one writer anyway).
PASS_LOCK = 748_203
# Rows per UPDATE of closed reminders: well under either database's limit of parameters.
CHUNK = 5000


@dataclass
class PassResult:
    """How many reminders a pass opened and closed, by rule code."""

    opened: Counter = field(default_factory=Counter)
    closed: Counter = field(default_factory=Counter)


@dataclass
class _Live:
    id: int
    rule_id: int
    due_on: date


def run_pass(today: date | None = None, case_ids: set[int] | None = None) -> PassResult:
    """Open every reminder due today and close those whose condition has cleared.

    Idempotent: a reminder is keyed by (rule, subject, due date), so a second pass, or one in
    another process, opens nothing new. One query per rule, whatever the number of cases.
    With ``case_ids``, only the reminders about those cases are looked at. The caller commits.
    """
    today = today or clock.today()
    now = clock.utcnow()
    _lock(shared=case_ids is not None)
    settings = db.session.scalars(select(ReminderRule).order_by(ReminderRule.id)).all()
    live = _live_reminders(case_ids)
    opening: list[dict] = []
    closing: list[_Live] = []
    seen: set[tuple[int, int]] = set()
    for setting, rule, query in _queries(settings, today, case_ids):
        for row in db.session.execute(query):
            due = rule.due(row.anchor, setting.value)
            if due > today and not rule.ahead:
                continue
            key = (setting.id, row.subject_id)
            seen.add(key)
            rows = live.get(key, [])
            # The record moved its date (a follow-up rescheduled): the old reminder closes.
            closing.extend(r for r in rows if r.due_on != due)
            if not any(r.due_on == due for r in rows):
                opening.append(_row(setting.id, row, due, now))
    for key, rows in live.items():
        if key not in seen:
            closing.extend(rows)
    _close([row.id for row in closing], now)
    _open(opening)
    codes = {setting.id: setting.code for setting in settings}
    return PassResult(
        opened=Counter(codes[row["rule_id"]] for row in opening),
        closed=Counter(codes[row.rule_id] for row in closing),
    )


def _queries(settings, today: date, case_ids: set[int] | None):
    """(setting, rule, query) of each rule turned on that may have reminders to look at."""
    for setting in settings:
        rule = RULES.get(setting.code)
        if rule is None or not setting.enabled:
            continue
        query = about(rule.query(today, setting.value), case_ids)
        if query is not None:
            yield setting, rule, query


def _lock(shared: bool) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        kind = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        db.session.execute(text(f"SELECT {kind}(:key)"), {"key": PASS_LOCK})


def _live_reminders(case_ids: set[int] | None) -> dict[tuple[int, int], list[_Live]]:
    query = select(Reminder.id, Reminder.rule_id, Reminder.subject_id, Reminder.due_on).where(
        Reminder.closed_at.is_(None)
    )
    if case_ids is not None:
        query = query.where(Reminder.case_id.in_(case_ids))
    live: dict[tuple[int, int], list[_Live]] = defaultdict(list)
    for row in db.session.execute(query):
        live[(row.rule_id, row.subject_id)].append(_Live(row.id, row.rule_id, row.due_on))
    return live


def _row(rule_id: int, row, due_on: date, now: datetime) -> dict:
    return {
        "rule_id": rule_id,
        "subject_id": row.subject_id,
        "due_on": due_on,
        "case_id": row.case_id,
        "course_id": row.course_id,
        "facility_id": row.facility_id,
        "opened_at": now,
    }


def _open(rows: list[dict]) -> None:
    """Insert each reminder once. One closed earlier under the same key opens again, with the
    marks it had (done less than the repeat days ago, it stays hidden from that role)."""
    if not rows:
        return
    rows.sort(key=lambda row: (row["rule_id"], row["subject_id"], row["due_on"]))
    statement = insert(Reminder)
    statement = statement.on_conflict_do_update(
        index_elements=[Reminder.rule_id, Reminder.subject_id, Reminder.due_on],
        set_={"closed_at": None, "opened_at": statement.excluded.opened_at},
        where=Reminder.closed_at.is_not(None),
    )
    # One statement, not one per pattern of empty columns.
    db.session.execute(statement, rows, execution_options={"render_nulls": True})


def _close(ids: list[int], now: datetime) -> None:
    ids.sort()
    for start in range(0, len(ids), CHUNK):
        db.session.execute(
            update(Reminder)
            .where(Reminder.id.in_(ids[start : start + CHUNK]), Reminder.closed_at.is_(None))
            .values(closed_at=now),
            execution_options={"synchronize_session": False},
        )


def settle_changed_cases(session: Session, cases: set[int]) -> None:
    """The second step of a commit (``unit_of_work.on_commit``): a change to a case (a
    follow-up recorded, a discharge) settles its reminders at once, not at the next hourly
    pass. The audit log's step, which runs first, says which cases."""
    if not cases or not has_app_context() or session is not _current_session():
        return
    run_pass(case_ids=cases)


def _current_session() -> Session:
    """The session ``run_pass`` writes with (a plain Session where a test put one)."""
    return db.session() if isinstance(db.session, scoped_session) else db.session


def _check_open(reminder: Reminder) -> None:
    if reminder.closed_at is not None:
        raise DomainError(_l("This reminder is already closed."))


def mark_done(reminder: Reminder, note: str, user: User) -> ReminderMark:
    """Done for the user's role. If the rule still sees it, it comes back after its repeat
    days (the rule's setting) for that role."""
    _check_open(reminder)
    again = clock.today() + timedelta(days=reminder.rule.repeat_days)
    return _mark(reminder, user, again, True, note)


def snooze(reminder: Reminder, until: date, reason: str, user: User) -> ReminderMark:
    _check_open(reminder)
    if until <= clock.today():
        raise DomainError(_l("Choose a day after today."), "until")
    return _mark(reminder, user, until, False, reason)


def _mark(reminder: Reminder, user: User, until: date, done: bool, note: str) -> ReminderMark:
    mark = ReminderMark(
        reminder=reminder,
        role=user.role,
        hidden_until=until,
        done=done,
        note=note.strip(),
        marked_by_id=user.id,
    )
    db.session.add(mark)
    return mark


def save_rule(setting: ReminderRule, enabled: bool, value: int, repeat_days: int, roles) -> None:
    """New settings take effect at the next pass, which closes what the rule no longer sees."""
    setting.enabled = enabled
    setting.value = value
    setting.repeat_days = repeat_days
    before = ", ".join(sorted(role.value for role in setting.audience))
    wanted = set(roles)
    setting.roles = [row for row in setting.roles if row.role in wanted] + [
        RuleRole(role=role) for role in sorted(wanted - setting.audience, key=list(Role).index)
    ]
    after = ", ".join(sorted(role.value for role in wanted))
    if before != after:  # role rows are not audited on their own: say it on the rule
        record_update(setting, {"roles": before}, {"roles": after})
        setting.version += 1  # nor counted: a form read before still sees the change
