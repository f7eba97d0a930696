"""What a support workbook is of: a province or a facility, over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, or_

from .. import clock
from ..cases.models import Case
from ..reference.models import Province
from ..shelter.models import Facility
from ..text import fold

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Filters:
    """What to export: the cases of a province or of a facility, over a period (both days in)."""

    start: date
    end: date
    province: Province | None = None
    facility: Facility | None = None
    names: bool = False

    @property
    def code(self) -> str:
        return self.subject.code

    @property
    def subject(self) -> Province | Facility:
        """The province or the facility whose workbook it is."""
        return self.facility if self.facility is not None else self._province()

    def _province(self) -> Province:
        if self.province is None:
            raise ValueError("an export is of a province or of a facility")
        return self.province

    @property
    def place(self) -> str:
        named = self.subject
        return f"{named.name} ({named.code})"

    def cases(self) -> ColumnElement[bool]:
        """A facility's cases are those it manages; a province's, like its officers' scope,
        those managed in the province and those whose home is there."""
        if self.facility is not None:
            return Case.facility_id == self.facility.id
        province = self._province()
        return or_(Case.province_id == province.id, Case.home_province_id == province.id)

    def during(self, column) -> ColumnElement[bool]:
        return column.between(self.start, self.end)

    def moment_during(self, column) -> ColumnElement[bool]:
        """A stored time that falls on a day of the period in Vietnam."""
        start = datetime.combine(self.start, time.min, tzinfo=clock.VIETNAM)
        after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=clock.VIETNAM)
        return and_(column >= start, column < after)

    @property
    def filename(self) -> str:
        """Codes and dates only: the name of a file travels in mail and download lists."""
        safe_code = "".join(char for char in fold(self.code) if char.isalnum() or char == "-")
        return f"support-{safe_code.upper()}-{self.start.isoformat()}-{self.end.isoformat()}.xlsx"

    def audit(self) -> dict:
        place = "facility" if self.facility is not None else "province"
        return {
            place: self.code,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "names": self.names,
        }
