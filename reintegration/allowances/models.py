"""The allowances requested, decided and paid under the support policy (reintegration/support/).

An allowance keeps what it was computed from (the rule, the level, the days), so a later change
of policy never recomputes it. A paid allowance and every payment are never changed or deleted:
the database refuses it (triggers of migration 0005), a correction is a new payment.
"""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..keys.fields import Encrypted
from ..support.models import AllowanceKind, AllowanceRule
from ..types import LabelledEnum, UTCDateTime, Versioned, created_at_column, enum_type

if TYPE_CHECKING:
    from ..auth.models import User
    from ..cases.models import Case
    from ..shelter.models import Facility


class AllowanceStatus(LabelledEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    PAID = "paid"
    CANCELLED = "cancelled"

    @classmethod
    def labels(cls):
        return {
            cls.REQUESTED: _l("Requested"),
            cls.APPROVED: _l("Approved"),
            cls.REFUSED: _l("Refused"),
            cls.PAID: _l("Paid"),
            cls.CANCELLED: _l("Cancelled"),
        }


# The only moves an allowance may make; every other one is refused.
ALLOWANCE_MOVES: dict[AllowanceStatus, frozenset[AllowanceStatus]] = {
    AllowanceStatus.REQUESTED: frozenset(
        {AllowanceStatus.APPROVED, AllowanceStatus.REFUSED, AllowanceStatus.CANCELLED}
    ),
    AllowanceStatus.APPROVED: frozenset({AllowanceStatus.PAID, AllowanceStatus.CANCELLED}),
    AllowanceStatus.REFUSED: frozenset(),
    AllowanceStatus.PAID: frozenset(),
    AllowanceStatus.CANCELLED: frozenset(),
}

# Statuses that use up a limit (times, days): a refused or cancelled request gives it back.
COUNTING = (AllowanceStatus.REQUESTED, AllowanceStatus.APPROVED, AllowanceStatus.PAID)


class Allowance(Versioned, Model):
    """One request for an allowance, its decision and its state of payment."""

    __tablename__ = "allowances"
    __audited__ = True
    __audit_hidden__ = ("documents", "reason")
    __table_args__ = (
        CheckConstraint("amount >= 0", name="allowance_amount_not_negative"),
        CheckConstraint("period_to IS NULL OR period_to >= period_from", name="period_in_order"),
        # Four eyes: whoever decides did not request.
        CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> requested_by_id", name="four_eyes"
        ),
        Index("ix_allowances_status_applied", "status", "applied_on"),
        Index("ix_allowances_facility_status", "facility_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("allowance_kinds.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("allowance_rules.id"))
    # The facility that pays it: the one managing the case when it was requested.
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    # The date it is for, or the first and last day of the period it covers.
    period_from: Mapped[date]
    period_to: Mapped[date | None]
    days: Mapped[int | None]
    amount: Mapped[int] = mapped_column(BigInteger)
    # How the amount was computed, kept as computed: one part per rule applied (see explain()).
    computation: Mapped[list] = mapped_column(JSON)
    applied_on: Mapped[date]
    documents: Mapped[str] = mapped_column(Encrypted("allowances.documents"), default="")
    decision_due_on: Mapped[date | None]
    status: Mapped[AllowanceStatus] = mapped_column(
        enum_type(AllowanceStatus), default=AllowanceStatus.REQUESTED
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = created_at_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why it was refused or cancelled, or a note on the approval.
    reason: Mapped[str] = mapped_column(Encrypted("allowances.reason"), default="")
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped["Case"] = relationship()
    kind: Mapped[AllowanceKind] = relationship()
    rule: Mapped[AllowanceRule] = relationship()
    facility: Mapped["Facility"] = relationship()
    requested_by: Mapped["User"] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])
    cancelled_by: Mapped["User | None"] = relationship(foreign_keys=[cancelled_by_id])
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="allowance", order_by="(Payment.paid_on, Payment.id)"
    )

    @property
    def was_approved(self) -> bool:
        """Decided, and not refused (it may have been paid or cancelled since)."""
        return self.decided_by_id is not None and self.status != AllowanceStatus.REFUSED

    @property
    def paid_total(self) -> int:
        return sum(payment.amount for payment in self.payments)

    def may_move_to(self, status: AllowanceStatus) -> bool:
        return status in ALLOWANCE_MOVES[self.status]


class PaymentMethod(LabelledEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"

    @classmethod
    def labels(cls):
        return {cls.CASH: _l("Cash"), cls.BANK_TRANSFER: _l("Bank transfer")}


class Payment(Model):
    """Money paid for an allowance, or a correction of an earlier payment (signed amount)."""

    __tablename__ = "payments"
    __audited__ = True
    __audit_hidden__ = ("reason",)
    __table_args__ = (
        CheckConstraint("amount <> 0", name="payment_not_zero"),
        CheckConstraint(
            "(corrects_id IS NULL AND amount > 0) OR (corrects_id IS NOT NULL AND reason <> '')",
            name="correction_has_reason",
        ),
        # One payment per allowance; corrections come on top of it.
        Index(
            "uq_payments_one_per_allowance",
            "allowance_id",
            unique=True,
            sqlite_where=text("corrects_id IS NULL"),
            postgresql_where=text("corrects_id IS NULL"),
        ),
        Index("ix_payments_paid_on", "paid_on"),
        UniqueConstraint("facility_id", "receipt_number", name="uq_payments_receipt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    allowance_id: Mapped[int] = mapped_column(ForeignKey("allowances.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date]
    method: Mapped[PaymentMethod] = mapped_column(enum_type(PaymentMethod))
    receipt_number: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Encrypted("payments.reason"), default="")
    paid_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    allowance: Mapped[Allowance] = relationship(back_populates="payments")
    corrects: Mapped["Payment | None"] = relationship(remote_side=[id])
    paid_by: Mapped["User"] = relationship()

    @property
    def is_correction(self) -> bool:
        return self.corrects_id is not None
