from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, ColumnElement, ForeignKey, String, Table
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from ..keys.fields import Encrypted
from ..plans.models import Dimension
from ..reference.models import ListItem, Named
from ..types import LabelledEnum, Versioned, created_at_column, enum_type

if TYPE_CHECKING:
    from ..auth.models import User
    from ..cases.models import Case


class FollowUpReason(LabelledEnum):
    DISCHARGE = "discharge"
    PLACEMENT = "placement"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.DISCHARGE: _l("After discharge"),
            cls.PLACEMENT: _l("After the start of a job"),
            cls.OTHER: _l("Other"),
        }


class ContactMethod(LabelledEnum):
    HOME_VISIT = "home_visit"
    PHONE = "phone"
    OFFICE = "office"

    @classmethod
    def labels(cls):
        return {
            cls.HOME_VISIT: _l("Home visit"),
            cls.PHONE: _l("Phone call"),
            cls.OFFICE: _l("At the office"),
        }


followup_risk_signs = Table(
    "followup_risk_signs",
    db.metadata,
    Column("followup_id", ForeignKey("followups.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("list_items.id"), primary_key=True),
)


class FollowUp(Versioned, Model):
    """A planned contact with the person; done when ``done_on`` is set."""

    __tablename__ = "followups"
    __audited__ = True
    __audit_hidden__ = frozenset({"wellbeing"})

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[FollowUpReason] = mapped_column(enum_type(FollowUpReason))
    stay_id: Mapped[int | None] = mapped_column(ForeignKey("stays.id"))
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placements.id"))
    # Months after discharge or after the start of the job (1, 3, 6, 12 by default).
    mark_months: Mapped[int | None]
    planned_on: Mapped[date] = mapped_column(index=True)
    done_on: Mapped[date | None] = mapped_column(index=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[ContactMethod | None] = mapped_column(enum_type(ContactMethod))
    contact_made: Mapped[bool | None]
    still_in_job: Mapped[bool | None]
    wellbeing: Mapped[str] = mapped_column(Encrypted("followups.wellbeing"), default="")
    created_at: Mapped[datetime] = created_at_column()

    case: Mapped["Case"] = relationship()
    done_by: Mapped["User | None"] = relationship()
    risk_signs: Mapped[list[ListItem]] = relationship(
        secondary=followup_risk_signs, order_by=ListItem.sort_order
    )
    check: Mapped["SustainabilityCheck | None"] = relationship(back_populates="followup")

    @property
    def is_done(self) -> bool:
        return not self.is_pending

    @hybrid_property
    def is_pending(self) -> bool:
        """Still to be made: the same on a loaded follow-up and in a query."""
        return self.done_on is None

    @is_pending.inplace.expression
    @classmethod
    def _is_pending_expression(cls) -> ColumnElement[bool]:
        return cls.done_on.is_(None)


class RiskFlag(Model):
    """Raised by a risk sign of re-trafficking; stays until someone resolves it with a note."""

    __tablename__ = "risk_flags"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("followups.id"))
    raised_on: Mapped[date]
    resolved_on: Mapped[date | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str] = mapped_column(
        Encrypted("risk_flags.resolution_note"), default=""
    )
    created_at: Mapped[datetime] = created_at_column()

    followup: Mapped[FollowUp | None] = relationship()

    @hybrid_property
    def is_open(self) -> bool:
        """Not yet resolved: the same on a loaded flag and in a query."""
        return self.resolved_on is None

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> ColumnElement[bool]:
        return cls.resolved_on.is_(None)


class Indicator(Named, Versioned, Model):
    """A question of the reintegration sustainability check, answered on a 1–5 scale."""

    __tablename__ = "indicators"
    __audited__ = True
    __table_args__ = (CheckConstraint("weight > 0", name="weight_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    dimension: Mapped[Dimension] = mapped_column(enum_type(Dimension))
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    weight: Mapped[int] = mapped_column(default=1)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class SustainabilityCheck(Model):
    """Scores per dimension and composite, 0 to 100, kept as computed on the day."""

    __tablename__ = "sustainability_checks"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("followups.id"), unique=True)
    checked_on: Mapped[date]
    economic: Mapped[int]
    social: Mapped[int]
    psychosocial: Mapped[int]
    composite: Mapped[int]
    created_at: Mapped[datetime] = created_at_column()

    followup: Mapped[FollowUp | None] = relationship(back_populates="check")
    answers: Mapped[list["IndicatorAnswer"]] = relationship(back_populates="check")


class IndicatorAnswer(Model):
    __tablename__ = "indicator_answers"
    __table_args__ = (CheckConstraint("value BETWEEN 1 AND 5", name="value_on_scale"),)

    check_id: Mapped[int] = mapped_column(ForeignKey("sustainability_checks.id"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), primary_key=True)
    value: Mapped[int]
    # The weight in force when answered, so a later change of weights rewrites no history.
    weight: Mapped[int]

    check: Mapped[SustainabilityCheck] = relationship(back_populates="answers")
    indicator: Mapped[Indicator] = relationship()
