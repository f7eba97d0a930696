from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cases.models import Stage
from ..cases.stage import any_row, decides
from ..extensions import Model, db
from ..keys.fields import Encrypted
from ..reference.models import ListItem, Province
from ..types import LabelledEnum, Versioned, created_at_column, enum_type

if TYPE_CHECKING:
    from ..auth.models import User
    from ..cases.models import Case
    from ..employers.models import Employer


class CourseKind(LabelledEnum):
    TRADE = "trade"
    SOFT_SKILLS = "soft_skills"

    @classmethod
    def labels(cls):
        return {cls.TRADE: _l("Vocational trade"), cls.SOFT_SKILLS: _l("Soft-skills module")}


class EnrolmentStatus(LabelledEnum):
    REFERRED = "referred"
    ENROLLED = "enrolled"
    ATTENDING = "attending"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"

    @classmethod
    def labels(cls):
        return {
            cls.REFERRED: _l("Referred"),
            cls.ENROLLED: _l("Enrolled"),
            cls.ATTENDING: _l("Attending"),
            cls.COMPLETED: _l("Completed"),
            cls.DROPPED_OUT: _l("Dropped out"),
        }


# The moves an enrolment may make; services refuse every other.
ENROLMENT_MOVES: dict[EnrolmentStatus, frozenset[EnrolmentStatus]] = {
    EnrolmentStatus.REFERRED: frozenset({EnrolmentStatus.ENROLLED, EnrolmentStatus.DROPPED_OUT}),
    EnrolmentStatus.ENROLLED: frozenset(
        {EnrolmentStatus.ATTENDING, EnrolmentStatus.COMPLETED, EnrolmentStatus.DROPPED_OUT}
    ),
    EnrolmentStatus.ATTENDING: frozenset({EnrolmentStatus.COMPLETED, EnrolmentStatus.DROPPED_OUT}),
    EnrolmentStatus.COMPLETED: frozenset(),
    EnrolmentStatus.DROPPED_OUT: frozenset(),
}

course_employers = Table(
    "course_employers",
    db.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("employer_id", ForeignKey("employers.id"), primary_key=True),
)


class Course(Versioned, Model):
    __tablename__ = "courses"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("end_on >= start_on", name="ends_after_start"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("cost_per_trainee >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CourseKind] = mapped_column(enum_type(CourseKind))
    # A trade (list "trade") or a soft-skills module (list "soft_skill").
    topic_id: Mapped[int] = mapped_column(ForeignKey("list_items.id"))
    provider: Mapped[str] = mapped_column(String(200))
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    start_on: Mapped[date]
    end_on: Mapped[date]
    schedule: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int]
    cost_per_trainee: Mapped[int] = mapped_column(BigInteger, default=0)
    market_demand: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()

    topic: Mapped[ListItem] = relationship()
    province: Mapped[Province] = relationship()
    trainer: Mapped["User | None"] = relationship()
    employers: Mapped[list["Employer"]] = relationship(
        secondary=course_employers, order_by="Employer.name"
    )
    enrolments: Mapped[list["Enrolment"]] = relationship(back_populates="course")
    sessions: Mapped[list["TrainingSession"]] = relationship(
        back_populates="course", order_by="TrainingSession.held_on"
    )


class Enrolment(Model):
    __tablename__ = "enrolments"
    __audited__ = True
    __table_args__ = (UniqueConstraint("course_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(enum_type(EnrolmentStatus))
    referred_on: Mapped[date]
    enrolled_on: Mapped[date | None]
    completed_on: Mapped[date | None]
    certificate_number: Mapped[str] = mapped_column(String(100), default="")
    certificate_on: Mapped[date | None]
    dropped_out_on: Mapped[date | None]
    dropout_reason: Mapped[str] = mapped_column(Encrypted("enrolments.dropout_reason"), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    course: Mapped[Course] = relationship(back_populates="enrolments")
    case: Mapped["Case"] = relationship()
    attendance: Mapped[list["Attendance"]] = relationship(back_populates="enrolment")

    @property
    def attendance_rate(self) -> float | None:
        """Share of the course's sessions so far that the trainee attended."""
        if not self.attendance:
            return None
        return sum(1 for a in self.attendance if a.present) / len(self.attendance)


@decides(Stage.IN_TRAINING)
def is_in_training(case: "Case") -> bool:
    """The rung of the stage ladder (cases.stage) that a course puts the person on: enrolled
    in one, or attending it."""
    return case.id is not None and any_row(
        select(Enrolment.id).where(
            Enrolment.case_id == case.id,
            Enrolment.status.in_([EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDING]),
        )
    )


class TrainingSession(Model):
    """One day of a course, for which the trainer records who was there."""

    __tablename__ = "training_sessions"
    __table_args__ = (UniqueConstraint("course_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    held_on: Mapped[date]
    topic: Mapped[str] = mapped_column(String(200), default="")

    course: Mapped[Course] = relationship(back_populates="sessions")
    attendance: Mapped[list["Attendance"]] = relationship(back_populates="session")


class Attendance(Model):
    __tablename__ = "attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id"), primary_key=True, index=True
    )
    present: Mapped[bool]

    session: Mapped[TrainingSession] = relationship(back_populates="attendance")
    enrolment: Mapped[Enrolment] = relationship(back_populates="attendance")
