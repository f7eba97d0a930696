from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import Model, db
from ..keys.fields import Encrypted, EncryptedDate
from ..reference.models import Commune, IdentificationStatus, ListItem, Province
from ..types import LabelledEnum, UTCDateTime, Versioned, created_at_column, enum_type

if TYPE_CHECKING:
    from ..auth.models import User
    from ..shelter.models import Facility, Service, Stay


class Sex(LabelledEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {cls.FEMALE: _l("Female"), cls.MALE: _l("Male"), cls.OTHER: _l("Other")}


class Stage(LabelledEnum):
    """Where the person stands in the journey; set in one place, cases.stage.refresh_stage."""

    RECEIVED = "received"
    IN_SHELTER = "in_shelter"
    DISCHARGED = "discharged"
    IN_TRAINING = "in_training"
    EMPLOYED = "employed"
    CLOSED = "closed"

    @classmethod
    def labels(cls):
        return {
            cls.RECEIVED: _l("Received, not admitted"),
            cls.IN_SHELTER: _l("In the shelter"),
            cls.DISCHARGED: _l("Discharged"),
            cls.IN_TRAINING: _l("In training"),
            cls.EMPLOYED: _l("In a job"),
            cls.CLOSED: _l("Closed"),
        }


class Outcome(LabelledEnum):
    REINTEGRATED = "reintegrated"
    LOST_CONTACT = "lost_contact"
    MOVED_AWAY = "moved_away"
    RE_TRAFFICKED = "re_trafficked"
    DECEASED = "deceased"

    @classmethod
    def labels(cls):
        return {
            cls.REINTEGRATED: _l("Reintegrated"),
            cls.LOST_CONTACT: _l("Lost contact"),
            cls.MOVED_AWAY: _l("Moved away"),
            cls.RE_TRAFFICKED: _l("Re-trafficked"),
            cls.DECEASED: _l("Deceased"),
        }


case_exploitation_forms = Table(
    "case_exploitation_forms",
    db.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("list_items.id"), primary_key=True),
)

case_control_means = Table(
    "case_control_means",
    db.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("list_items.id"), primary_key=True),
)


class CaseCodeCounter(Model):
    """The last number given per province and year: codes are never reused."""

    __tablename__ = "case_code_counters"
    __table_args__ = (UniqueConstraint("province_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)


class Case(Versioned, Model):
    """One person followed from reception to a lasting livelihood."""

    __tablename__ = "cases"
    __audited__ = True
    # The log says that encrypted fields changed, never their values (audit.services).
    __table_args__ = (
        Index("ix_cases_province_received", "province_id", "received_on"),
        Index("ix_cases_home_province", "home_province_id"),
        Index("ix_cases_facility_stage", "facility_id", "stage"),
        # The case list's default order, newest received first.
        Index("ix_cases_received", "received_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    stage: Mapped[Stage] = mapped_column(enum_type(Stage), default=Stage.RECEIVED, index=True)

    full_name: Mapped[str] = mapped_column(Encrypted("cases.full_name", 200))
    # Searched by its keyed tokens (keys.tokens), made again whenever it changes.
    sex: Mapped[Sex] = mapped_column(enum_type(Sex))
    date_of_birth: Mapped[date | None] = mapped_column(EncryptedDate("cases.date_of_birth"))
    estimated_birth_year: Mapped[int | None]
    ethnicity_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"))
    citizenship_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"))
    home_province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    home_commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"))
    home_address: Mapped[str] = mapped_column(Encrypted("cases.home_address", 300), default="")
    phone: Mapped[str] = mapped_column(Encrypted("cases.phone", 50), default="")
    family_contacts: Mapped[str] = mapped_column(Encrypted("cases.family_contacts"), default="")

    return_route_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"))
    receiving_agency: Mapped[str] = mapped_column(String(200), default="")
    received_on: Mapped[date]
    exploitation_country_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"))
    recruitment_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"))
    trafficking_notes: Mapped[str] = mapped_column(Encrypted("cases.trafficking_notes"), default="")
    identification_status: Mapped[IdentificationStatus] = mapped_column(
        enum_type(IdentificationStatus), index=True
    )

    consent_given: Mapped[bool] = mapped_column(default=False)
    consent_date: Mapped[date | None]
    consent_storage: Mapped[bool] = mapped_column(default=False)
    consent_sharing: Mapped[bool] = mapped_column(default=False)
    consent_agencies: Mapped[str] = mapped_column(String(500), default="")
    consent_contact: Mapped[bool] = mapped_column(default=False)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=clock.utcnow)

    province: Mapped[Province] = relationship(foreign_keys=[province_id])
    facility: Mapped["Facility | None"] = relationship()
    home_province: Mapped[Province | None] = relationship(foreign_keys=[home_province_id])
    home_commune: Mapped[Commune | None] = relationship()
    ethnicity: Mapped[ListItem | None] = relationship(foreign_keys=[ethnicity_id])
    citizenship: Mapped[ListItem | None] = relationship(foreign_keys=[citizenship_id])
    return_route: Mapped[ListItem | None] = relationship(foreign_keys=[return_route_id])
    exploitation_country: Mapped[ListItem | None] = relationship(
        foreign_keys=[exploitation_country_id]
    )
    recruitment: Mapped[ListItem | None] = relationship(foreign_keys=[recruitment_id])
    exploitation_forms: Mapped[list[ListItem]] = relationship(
        secondary=case_exploitation_forms, order_by=ListItem.sort_order
    )
    control_means: Mapped[list[ListItem]] = relationship(
        secondary=case_control_means, order_by=ListItem.sort_order
    )
    created_by: Mapped["User | None"] = relationship()
    stays: Mapped[list["Stay"]] = relationship(
        back_populates="case", order_by="Stay.admitted_on.desc()"
    )
    services: Mapped[list["Service"]] = relationship(
        back_populates="case", order_by="Service.provided_on.desc()"
    )
    closures: Mapped[list["Closure"]] = relationship(order_by="Closure.id")

    def age(self, on: date | None = None) -> int | None:
        on = on or clock.today()
        if self.date_of_birth:
            born = self.date_of_birth
            return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        if self.estimated_birth_year:
            return on.year - self.estimated_birth_year
        return None

    @property
    def age_is_estimated(self) -> bool:
        return self.date_of_birth is None and self.estimated_birth_year is not None

    @hybrid_property
    def is_open(self) -> bool:
        """Not closed: the case's reminders and follow-ups still count."""
        return self.stage != Stage.CLOSED

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> ColumnElement[bool]:
        return cls.stage != Stage.CLOSED

    @property
    def open_closure(self) -> "Closure | None":
        return next((closure for closure in self.closures if closure.is_open), None)

    @property
    def open_stay(self):
        return next((stay for stay in self.stays if stay.is_open), None)


class Closure(Model):
    """A case closed with an outcome; a reopening is kept on the same row."""

    __tablename__ = "case_closures"
    __audited__ = True
    __table_args__ = (
        Index(
            "uq_case_closures_open",
            "case_id",
            unique=True,
            sqlite_where=text("reopened_on IS NULL"),
            postgresql_where=text("reopened_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome))
    closed_on: Mapped[date]
    note: Mapped[str] = mapped_column(Encrypted("case_closures.note"), default="")
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_on: Mapped[date | None]
    reopen_reason: Mapped[str] = mapped_column(Encrypted("case_closures.reopen_reason"), default="")
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    @hybrid_property
    def is_open(self) -> bool:
        """The closure in force: not reopened since."""
        return self.reopened_on is None

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> ColumnElement[bool]:
        return cls.reopened_on.is_(None)
