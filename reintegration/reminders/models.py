from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Unicode,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..access import Role
from ..extensions import Model, db
from ..keys.fields import Encrypted
from ..types import UTCDateTime, Versioned, created_at_column, enum_type

if TYPE_CHECKING:
    from ..auth.models import User
    from ..cases.models import Case
    from ..training.models import Course

# APScheduler's job store, declared here so that migrations own the table.
scheduler_jobs = Table(
    "scheduler_jobs",
    db.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class ReminderRule(Versioned, Model):
    """A rule's settings; what it looks for is written in ``rules.py`` under its code."""

    __tablename__ = "reminder_rules"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Days of lead time or of delay, or sessions missed: each rule says which (rules.py).
    value: Mapped[int]
    # A reminder done by hand while its condition still holds comes back this many days later.
    repeat_days: Mapped[int] = mapped_column(default=7)
    sort_order: Mapped[int] = mapped_column(default=0)

    roles: Mapped[list["RuleRole"]] = relationship(
        cascade="all, delete-orphan", order_by="RuleRole.role"
    )

    @property
    def audience(self) -> set[Role]:
        return {row.role for row in self.roles}


class RuleRole(Model):
    """Who is told of a rule's reminders: one row per role."""

    __tablename__ = "reminder_rule_roles"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_rules.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role), primary_key=True)


class Reminder(Model):
    """Something due, found by a rule about one record (its subject) on one due date.

    Open while ``closed_at`` is empty: the pass closes it when the rule no longer sees the
    condition. Each role marks it done or snoozes it for itself (``ReminderMark``). Rows are kept
    as the history of what was due.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("rule_id", "subject_id", "due_on", name="uq_reminders_key"),
        # The pass reads the live reminders; the inbox reads them by rule.
        Index(
            "ix_reminders_live",
            "rule_id",
            "subject_id",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("reminder_rules.id"))
    # The id of the stay, case, allowance, course, enrolment, follow-up or flag the rule is about.
    subject_id: Mapped[int]
    due_on: Mapped[date]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    # The facility that must act (the stay's, the paying one), when it is not the case's.
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    rule: Mapped[ReminderRule] = relationship()
    case: Mapped["Case | None"] = relationship()
    course: Mapped["Course | None"] = relationship()

    def days_late(self, today: date) -> int:
        return (today - self.due_on).days


class ReminderMark(Model):
    """What one role did with a reminder: done (it comes back after the rule's repeat days if
    still due) or snoozed until a day. Kept per role, so that one team's "done" does not hide a
    reminder from another team that must act, and a note is read only by the role that wrote it.
    """

    __tablename__ = "reminder_marks"
    __audited__ = True
    __audit_hidden__ = frozenset({"note"})

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role))
    # Done on this day, or snoozed until this day: either way hidden from the role until then.
    hidden_until: Mapped[date]
    done: Mapped[bool]
    note: Mapped[str] = mapped_column(Encrypted("reminder_marks.note"), default="")
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = created_at_column()

    reminder: Mapped[Reminder] = relationship()
    marked_by: Mapped["User"] = relationship()

    @property
    def audit_case_id(self) -> int | None:
        return self.reminder.case_id if self.reminder else None


class DigestDelivery(Model):
    """One user's daily digest: claimed before it is sent, so two schedulers send it once."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_digest_deliveries_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date]
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()
