from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    String,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cases.models import Stage
from ..cases.stage import any_row, decides
from ..employers.models import Employer
from ..extensions import Model
from ..keys.fields import Encrypted
from ..types import LabelledEnum, created_at_column, enum_type

if TYPE_CHECKING:
    from ..cases.models import Case


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
