"""Employers and their checks of safe working conditions."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..reference.models import Commune, Province
from ..types import LabelledEnum, Versioned, created_at_column, enum_type


class EmployerKind(LabelledEnum):
    BUSINESS = "business"
    COOPERATIVE = "cooperative"
    SMALL_PRODUCTION = "small_production"
    INDUSTRIAL_PARK = "industrial_park"

    @classmethod
    def labels(cls):
        return {
            cls.BUSINESS: _l("Business"),
            cls.COOPERATIVE: _l("Cooperative"),
            cls.SMALL_PRODUCTION: _l("Small production facility"),
            cls.INDUSTRIAL_PARK: _l("Industrial park"),
        }


class Employer(Versioned, Model):
    __tablename__ = "employers"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EmployerKind] = mapped_column(enum_type(EmployerKind))
    sector: Mapped[str] = mapped_column(String(200), default="")
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"))
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = created_at_column()

    province: Mapped[Province] = relationship()
    commune: Mapped[Commune | None] = relationship()
    checks: Mapped[list["EmployerCheck"]] = relationship(
        back_populates="employer",
        order_by="(EmployerCheck.checked_on.desc(), EmployerCheck.id.desc())",
    )

    def __str__(self) -> str:
        return self.name


class EmployerCheck(Model):
    """A check of safe working conditions; the latest one decides."""

    __tablename__ = "employer_checks"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    checked_on: Mapped[date]
    checked_by: Mapped[str] = mapped_column(String(200))
    written_contract: Mapped[bool]
    wages_on_time: Mapped[bool]
    no_withheld_documents: Mapped[bool]
    no_debt: Mapped[bool]
    # None when the employer provides no housing.
    safe_housing: Mapped[bool | None]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    employer: Mapped[Employer] = relationship(back_populates="checks")

    @property
    def passed(self) -> bool:
        answers = [
            self.written_contract,
            self.wages_on_time,
            self.no_withheld_documents,
            self.no_debt,
            self.safe_housing is not False,
        ]
        return all(answers)
