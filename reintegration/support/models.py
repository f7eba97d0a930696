"""The support policy as dated data: the standard social-assistance level, public holidays,
allowance kinds and their rules. A rule in force on a day is found by its dates; a later change
of policy never recomputes an allowance made under an earlier one (allowances/models.py)."""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..reference.models import Named, Province, SupportType
from ..types import LabelledEnum, Versioned, created_at_column, enum_type


class AssistanceLevel(Versioned, Model):
    """The standard social-assistance level (mức chuẩn trợ giúp xã hội), a month, from a date."""

    __tablename__ = "assistance_levels"
    __audited__ = True
    __table_args__ = (CheckConstraint("amount > 0", name="level_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date] = mapped_column(unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    legal_basis: Mapped[str] = mapped_column(String(300), default="")


class Holiday(Named, Versioned, Model):
    """A public holiday or day off in lieu: not a working day when counting decision deadlines."""

    __tablename__ = "holidays"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))


class Method(LabelledEnum):
    """How the amount of an allowance is computed."""

    FIXED = "fixed"
    PER_DAY = "per_day"
    COEFFICIENT = "coefficient"

    @classmethod
    def labels(cls):
        return {
            cls.FIXED: _l("A fixed amount"),
            cls.PER_DAY: _l("An amount per day, times the number of days"),
            cls.COEFFICIENT: _l("A coefficient times the standard social-assistance level"),
        }


class AllowanceKind(Named, Versioned, Model):
    """An allowance an administrator defines under a support type; its amounts are its rules."""

    __tablename__ = "allowance_kinds"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    support_type_id: Mapped[int] = mapped_column(ForeignKey("support_types.id"))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    # Working days the province has to decide after the application; None when no deadline.
    decision_days: Mapped[int | None]
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    support_type: Mapped[SupportType] = relationship()
    rules: Mapped[list["AllowanceRule"]] = relationship(
        back_populates="kind",
        order_by="(AllowanceRule.province_id.is_not(None), AllowanceRule.valid_from)",
    )


class AllowanceRule(Versioned, Model):
    """The amount and limits of a kind from one date to another, nationally or in one province.

    A province's own rule, when one is in force, wins over the national one.
    """

    __tablename__ = "allowance_rules"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="rule_dates_in_order"),
        CheckConstraint("amount IS NULL OR amount > 0", name="rule_amount_positive"),
        CheckConstraint("coefficient IS NULL OR coefficient > 0", name="rule_coefficient_positive"),
        CheckConstraint("max_days IS NULL OR max_days > 0", name="rule_max_days_positive"),
        CheckConstraint("max_times IS NULL OR max_times > 0", name="rule_max_times_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("allowance_kinds.id"), index=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    method: Mapped[Method] = mapped_column(enum_type(Method))
    # The fixed amount, or the amount per day.
    amount: Mapped[int | None] = mapped_column(BigInteger)
    coefficient: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    max_days: Mapped[int | None]
    max_times: Mapped[int | None]
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    created_at: Mapped[datetime] = created_at_column()

    kind: Mapped[AllowanceKind] = relationship(back_populates="rules")
    province: Mapped[Province | None] = relationship()

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)
