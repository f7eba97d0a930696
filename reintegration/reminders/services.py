"""The reminder pass, and what users do with a reminder: done, snoozed."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session, scoped_session

from .. import clock
from ..audit.services import CHANGED_CASES
from ..auth.models import Role, User
from ..database import insert
from ..errors import DomainError
from ..extensions import db
from .models import Reminder, ReminderRule, RuleRole
from .rules import RULES

# Two passes at once wait for each other on PostgreSQL (SQLite: the transaction's write lock).
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
    base_on: date
    due_on: date
    done_at: datetime | None


@dataclass
class _Changes:
    inserts: list[dict] = field(default_factory=list)
    cleared: list[_Live] = field(default_factory=list)  # the condition is gone: news
    quiet: list[int] = field(default_factory=list)  # done ones, or replaced: no news

    def close(self, rows: list[_Live]) -> None:
        for row in rows:
            if row.done_at is None:
                self.cleared.append(row)
            else:
                self.quiet.append(row.id)

    def next_due(self, current: list[_Live], due: date, repeat_days: int, today: date):
        """The due date of a reminder to open now, or None when the open one is enough."""
        if not current:
            return due
        current.sort(key=lambda row: row.due_on)
        latest = current[-1]
        self.quiet.extend(row.id for row in current[:-1])
        if latest.done_at is None:
            return None
        # Done by hand while the rule still sees it: it comes back at its next due date.
        again = max(latest.due_on, clock.local(latest.done_at).date()) + timedelta(days=repeat_days)
        if again > today:
            return None
        self.quiet.append(latest.id)
        return again


def run_pass(today: date | None = None, case_ids: set[int] | None = None) -> PassResult:
    """Open every reminder due today and close those whose condition has cleared.

    Idempotent: a reminder is keyed by (rule, subject, due date), so a second pass, or one in
    another process, opens nothing new. One query per rule, whatever the number of cases.
    With ``case_ids``, only the reminders about those cases are looked at. The caller commits.
    """
    today = today or clock.today()
    now = clock.utcnow()
    if case_ids is None:
        _lock()
    settings = db.session.scalars(select(ReminderRule).order_by(ReminderRule.id)).all()
    live = _live_reminders(case_ids)
    changes = _Changes()
    seen: set[tuple[int, int]] = set()
    for setting in settings:
        rule = RULES.get(setting.code)
        if rule is None or not setting.enabled:
            continue
        for row in db.session.execute(_about(rule.candidates(today, setting.value), case_ids)):
            due = rule.due(row.anchor, setting.value)
            if due > today and not rule.ahead:
                continue
            key = (setting.id, row.subject_id)
            seen.add(key)
            rows = live.get(key, [])
            changes.close([r for r in rows if r.base_on != due])
            current = [r for r in rows if r.base_on == due]
            wanted = changes.next_due(current, due, setting.repeat_days, today)
            if wanted is not None:
                changes.inserts.append(_row(setting.id, row, due, wanted, now))
    for key, rows in live.items():
        if key not in seen:
            changes.close(rows)
    _insert(changes.inserts)
    _mark_closed([row.id for row in changes.cleared] + changes.quiet, now)
    codes = {setting.id: setting.code for setting in settings}
    return PassResult(
        opened=Counter(codes[row["rule_id"]] for row in changes.inserts),
        closed=Counter(codes[row.rule_id] for row in changes.cleared),
    )


def _lock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PASS_LOCK})


def _about(candidates, case_ids: set[int] | None):
    if case_ids is None:
        return candidates
    rows = candidates.subquery()
    return select(rows).where(rows.c.case_id.in_(case_ids))


def _live_reminders(case_ids: set[int] | None) -> dict[tuple[int, int], list[_Live]]:
    query = select(
        Reminder.id, Reminder.rule_id, Reminder.subject_id, Reminder.base_on,
        Reminder.due_on, Reminder.done_at,
    ).where(Reminder.closed_at.is_(None))  # fmt: skip
    if case_ids is not None:
        query = query.where(Reminder.case_id.in_(case_ids))
    rows = db.session.execute(query)
    live: dict[tuple[int, int], list[_Live]] = defaultdict(list)
    for row in rows:
        live[(row.rule_id, row.subject_id)].append(
            _Live(row.id, row.rule_id, row.base_on, row.due_on, row.done_at)
        )
    return live


def _row(rule_id: int, row, base_on: date, due_on: date, now: datetime) -> dict:
    return {
        "rule_id": rule_id,
        "subject_id": row.subject_id,
        "base_on": base_on,
        "due_on": due_on,
        "case_id": row.case_id,
        "course_id": row.course_id,
        "facility_id": row.facility_id,
        "opened_at": now,
    }


def _insert(rows: list[dict]) -> None:
    """Insert each reminder once; one closed earlier under the same key opens again."""
    if not rows:
        return
    statement = insert(Reminder)
    statement = statement.on_conflict_do_update(
        index_elements=[Reminder.rule_id, Reminder.subject_id, Reminder.due_on],
        set_={
            "closed_at": None,
            "done_at": None,
            "done_by_id": None,
            "done_note": "",
            "snoozed_until": None,
            "snooze_reason": "",
            "snoozed_by_id": None,
            "base_on": statement.excluded.base_on,
            "opened_at": statement.excluded.opened_at,
        },
        where=Reminder.closed_at.is_not(None),
    )
    # One statement, not one per pattern of empty columns.
    db.session.execute(statement, rows, execution_options={"render_nulls": True})


def _mark_closed(ids: list[int], now: datetime) -> None:
    for start in range(0, len(ids), CHUNK):
        db.session.execute(
            update(Reminder)
            .where(Reminder.id.in_(ids[start : start + CHUNK]), Reminder.closed_at.is_(None))
            .values(closed_at=now),
            execution_options={"synchronize_session": False},
        )


@event.listens_for(Session, "before_commit")
def _look_again_at_changed_cases(session: Session) -> None:
    """A change to a case (a follow-up recorded, a discharge) settles its reminders at once,
    not at the next hourly pass. The audit log's hook, which runs first, says which cases."""
    if session.in_nested_transaction():
        return  # a savepoint: the cases are looked at when the whole transaction commits
    cases = session.info.pop(CHANGED_CASES, None)
    if not cases or not has_app_context() or session is not _current_session():
        return
    run_pass(case_ids=cases)


def _current_session() -> Session:
    """The session ``run_pass`` writes with (a plain Session where a test put one)."""
    return db.session() if isinstance(db.session, scoped_session) else db.session


def mark_done(reminder: Reminder, note: str, user: User) -> None:
    """Done by hand. If the rule still sees the condition, the reminder comes back later."""
    if reminder.closed_at is not None or reminder.done_at is not None:
        raise DomainError(_l("This reminder is already closed."))
    reminder.done_at = clock.utcnow()
    reminder.done_by_id = user.id
    reminder.done_note = note.strip()


def snooze(reminder: Reminder, until: date, reason: str, user: User) -> None:
    if reminder.closed_at is not None or reminder.done_at is not None:
        raise DomainError(_l("This reminder is already closed."))
    if until <= clock.today():
        raise DomainError(_l("Choose a day after today."), "until")
    reminder.snoozed_until = until
    reminder.snooze_reason = reason.strip()
    reminder.snoozed_by_id = user.id


def save_rule(setting: ReminderRule, enabled: bool, value: int, repeat_days: int, roles) -> None:
    """New settings take effect at the next pass, which closes what the rule no longer sees."""
    setting.enabled = enabled
    setting.value = value
    setting.repeat_days = repeat_days
    wanted = set(roles)
    setting.roles = [row for row in setting.roles if row.role in wanted] + [
        RuleRole(role=role) for role in sorted(wanted - setting.audience, key=list(Role).index)
    ]
