from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..keys.fields import Encrypted
from ..types import LabelledEnum, Versioned, created_at_column, enum_type


class Dimension(LabelledEnum):
    """The three dimensions of the integrated approach (IOM Reintegration Handbook)."""

    ECONOMIC = "economic"
    SOCIAL = "social"
    PSYCHOSOCIAL = "psychosocial"

    @classmethod
    def labels(cls):
        return {
            cls.ECONOMIC: _l("Economic"),
            cls.SOCIAL: _l("Social"),
            cls.PSYCHOSOCIAL: _l("Psychosocial"),
        }


class GoalStatus(LabelledEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    MET = "met"
    DROPPED = "dropped"

    @classmethod
    def labels(cls):
        return {
            cls.PLANNED: _l("Planned"),
            cls.IN_PROGRESS: _l("In progress"),
            cls.MET: _l("Met"),
            cls.DROPPED: _l("Dropped"),
        }


class Plan(Versioned, Model):
    """The reintegration plan, agreed with the person within a month of return."""

    __tablename__ = "plans"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    agreed_on: Mapped[date]
    note: Mapped[str] = mapped_column(Encrypted("plans.note"), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    goals: Mapped[list["Goal"]] = relationship(
        back_populates="plan", order_by="(Goal.dimension, Goal.id)"
    )

    @property
    def goals_met(self) -> int:
        return sum(1 for goal in self.goals if goal.status == GoalStatus.MET)


class Goal(Versioned, Model):
    __tablename__ = "plan_goals"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    dimension: Mapped[Dimension] = mapped_column(enum_type(Dimension))
    description: Mapped[str] = mapped_column(Encrypted("plan_goals.description"))
    owner: Mapped[str] = mapped_column(String(200))
    target_on: Mapped[date | None]
    status: Mapped[GoalStatus] = mapped_column(enum_type(GoalStatus), default=GoalStatus.PLANNED)

    plan: Mapped[Plan] = relationship(back_populates="goals")

    @property
    def audit_case_id(self) -> int | None:
        return self.plan.case_id if self.plan else None
