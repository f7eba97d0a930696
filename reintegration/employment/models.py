from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    String,
    Text,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cases.models import Stage
from ..cases.stage import any_row, decides
from ..extensions import Model
from ..keys.fields import Encrypted
from ..reference.models import Commune, Province
from ..types import LabelledEnum, Versioned, created_at_column, enum_type

if TYPE_CHECKING:
    from ..cases.models import Case


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


class ContractType(LabelledEnum):
    INDEFINITE = "indefinite"
    FIXED_TERM = "fixed_term"
    SEASONAL = "seasonal"
    NONE = "none"

    @classmethod
    def labels(cls):
        return {
            cls.INDEFINITE: _l("Indefinite-term contract"),
            cls.FIXED_TERM: _l("Fixed-term contract"),
            cls.SEASONAL: _l("Seasonal or piece work"),
            cls.NONE: _l("No written contract"),
        }


class EndReason(LabelledEnum):
    RESIGNED = "resigned"
    DISMISSED = "dismissed"
    CONTRACT_ENDED = "contract_ended"
    MOVED = "moved"
    OTHER = "other"

    @classmethod
    def labels(cls):
        return {
            cls.RESIGNED: _l("Resigned"),
            cls.DISMISSED: _l("Dismissed"),
            cls.CONTRACT_ENDED: _l("Contract ended"),
            cls.MOVED: _l("Moved"),
            cls.OTHER: _l("Other"),
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


class Placement(Model):
    __tablename__ = "placements"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("monthly_wage >= 0", name="wage_not_negative"),
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    # The course that led to the job, when there is one (for placement rates per course).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    position: Mapped[str] = mapped_column(String(200))
    start_on: Mapped[date]
    monthly_wage: Mapped[int] = mapped_column(BigInteger)
    in_home_province: Mapped[bool]
    housing_support: Mapped[bool] = mapped_column(default=False)
    contract_type: Mapped[ContractType] = mapped_column(enum_type(ContractType))
    end_on: Mapped[date | None]
    end_reason: Mapped[EndReason | None] = mapped_column(enum_type(EndReason))
    end_note: Mapped[str] = mapped_column(Encrypted("placements.end_note"), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    case: Mapped["Case"] = relationship()
    employer: Mapped[Employer] = relationship()

    # The rules on a placement's state, written once: each reads the same on a loaded placement
    # and in a query.

    @hybrid_property
    def is_open(self) -> bool:
        """The person's current job: not ended."""
        return self.end_on is None

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> ColumnElement[bool]:
        return cls.end_on.is_(None)

    @hybrid_method
    def held_on(self, day: date) -> bool:
        """Not ended before ``day`` (the retention marks: still in the job on the mark)."""
        return still_held(self.end_on, day)

    @held_on.expression
    @classmethod
    def _held_on_expression(cls, day) -> ColumnElement[bool]:
        return or_(cls.is_open, cls.end_on >= day)


@decides(Stage.EMPLOYED)
def is_employed(case: "Case") -> bool:
    """The rung of the stage ladder (cases.stage) that a job puts the person on: one open."""
    return case.id is not None and any_row(
        select(Placement.id).where(Placement.case_id == case.id, Placement.is_open)
    )


def still_held(end_on: date | None, day: date) -> bool:
    """Placement.held_on for a row that carries only its last day (an export's row)."""
    return end_on is None or end_on >= day
