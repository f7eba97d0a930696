from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    and_,
    or_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import SQLCoreOperations

from .. import clock
from ..extensions import Model
from ..keys.fields import Encrypted
from ..reference.models import ListItem, Province, ServiceKind, SupportType
from ..types import Versioned, created_at_column

if TYPE_CHECKING:
    from ..auth.models import User
    from ..cases.models import Case


class Facility(Versioned, Model):
    """A Social Work Center or shelter ("Peaceful House") that receives people."""

    __tablename__ = "facilities"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int] = mapped_column(default=20)
    standard_stay_days: Mapped[int] = mapped_column(default=60)
    active: Mapped[bool] = mapped_column(default=True)

    province: Mapped[Province] = relationship()

    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("standard_stay_days > 0", name="stay_days_positive"),
    )

    def __str__(self) -> str:
        return self.name


class Stay(Versioned, Model):
    """One admission of a person to a facility, until discharge."""

    __tablename__ = "stays"
    __audited__ = True
    __audit_hidden__ = frozenset({"destination_address", "discharge_note"})
    __table_args__ = (
        # At most one open stay per person, whatever the application does.
        Index(
            "uq_stays_open_case",
            "case_id",
            unique=True,
            sqlite_where=text("discharged_on IS NULL"),
            postgresql_where=text("discharged_on IS NULL"),
        ),
        Index("ix_stays_facility_open", "facility_id", "discharged_on"),
        CheckConstraint("planned_end > admitted_on", name="end_after_admission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    admitted_on: Mapped[date]
    planned_end: Mapped[date] = mapped_column(index=True)
    discharged_on: Mapped[date | None] = mapped_column(index=True)
    destination_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"))
    destination_address: Mapped[str] = mapped_column(
        Encrypted("stays.destination_address", 300), default=""
    )
    discharge_note: Mapped[str] = mapped_column(Encrypted("stays.discharge_note"), default="")
    # The discharge being prepared: when, and where the person is expected to go.
    discharge_planned_on: Mapped[date | None]
    planned_destination_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"))
    admitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discharged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    case: Mapped["Case"] = relationship(back_populates="stays")
    facility: Mapped[Facility] = relationship()
    destination: Mapped[ListItem | None] = relationship(foreign_keys=[destination_id])
    planned_destination: Mapped[ListItem | None] = relationship(
        foreign_keys=[planned_destination_id]
    )
    extensions: Mapped[list["StayExtension"]] = relationship(
        back_populates="stay", order_by="StayExtension.id"
    )

    # The rules on a stay's state, written once: each reads the same on a loaded stay and in a
    # query (``Stay.is_open`` is a condition on the stays table).

    @hybrid_property
    def is_open(self) -> bool:
        """Not yet discharged: the person is still in the facility."""
        return self.discharged_on is None

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> ColumnElement[bool]:
        return cls.discharged_on.is_(None)

    @hybrid_method
    def overstayed_by(self, days: int, on: date) -> bool:
        """Still open on ``on``, ``days`` days or more after its planned end."""
        return self.is_open and self.planned_end <= on - timedelta(days=days)

    @overstayed_by.expression
    @classmethod
    def _overstayed_by_expression(cls, days: int, on: date) -> ColumnElement[bool]:
        return and_(cls.is_open, cls.planned_end <= on - timedelta(days=days))

    @hybrid_method
    def ends_within(self, days: int, on: date) -> bool:
        """Still open, its planned end between ``on`` and ``days`` days later."""
        return self.is_open and on <= self.planned_end <= on + timedelta(days=days)

    @ends_within.expression
    @classmethod
    def _ends_within_expression(cls, days: int, on: date) -> ColumnElement[bool]:
        return and_(cls.is_open, cls.planned_end.between(on, on + timedelta(days=days)))

    @hybrid_method
    def running_during(self, start: date, end: date) -> bool:
        """In the facility on at least one day from ``start`` to ``end``."""
        return self.admitted_on <= end and (
            self.discharged_on is None or self.discharged_on >= start
        )

    @running_during.expression
    @classmethod
    def _running_during_expression(cls, start: date, end: date) -> ColumnElement[bool]:
        return and_(cls.admitted_on <= end, or_(cls.is_open, cls.discharged_on >= start))

    @property
    def planned_days(self) -> int:
        """M of "day N of M"."""
        return (self.planned_end - self.admitted_on).days

    def day_number(self, on: date | None = None) -> int:
        """N of "day N of M": the day of admission is day 1."""
        last = self.discharged_on or on or clock.today()
        return (last - self.admitted_on).days + 1

    def days_remaining(self, on: date | None = None) -> int:
        return (self.planned_end - (on or clock.today())).days

    @hybrid_method
    def is_overstayed(self, on: date | None = None) -> bool:
        """Still open after its planned end: past it by a day or more."""
        return self.overstayed_by(1, on or clock.today())

    @is_overstayed.expression
    @classmethod
    def _is_overstayed_expression(cls, on: date | None = None) -> SQLCoreOperations[bool]:
        return cls.overstayed_by(1, on or clock.today())


class StayExtension(Model):
    __tablename__ = "stay_extensions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"), index=True)
    previous_end: Mapped[date]
    new_end: Mapped[date]
    reason: Mapped[str] = mapped_column(Encrypted("stay_extensions.reason"))
    approved_by: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    stay: Mapped[Stay] = relationship(back_populates="extensions")
    recorded_by: Mapped["User | None"] = relationship()

    @property
    def audit_case_id(self) -> int | None:
        return self.stay.case_id if self.stay else None


class Service(Model):
    """A support given to a person: what, when, by whom, at what cost."""

    __tablename__ = "services"
    __audited__ = True
    __audit_hidden__ = frozenset({"notes"})
    __table_args__ = (
        Index("ix_services_case_date", "case_id", "provided_on"),
        # The "no needs assessment" reminder looks up one kind of service per resident.
        Index("ix_services_kind_case", "kind_id", "case_id", "provided_on"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    stay_id: Mapped[int | None] = mapped_column(ForeignKey("stays.id"), index=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("service_kinds.id"))
    support_type_id: Mapped[int] = mapped_column(ForeignKey("support_types.id"), index=True)
    provided_on: Mapped[date]
    provider: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Encrypted("services.notes"), default="")
    cost: Mapped[int] = mapped_column(BigInteger, default=0)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    case: Mapped["Case"] = relationship(back_populates="services")
    kind: Mapped[ServiceKind] = relationship()
    support_type: Mapped[SupportType] = relationship()
