from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import DayField, Form
from ..reference.models import Province
from ..shelter.models import Facility
from .filters import Filters
from .services import REASON_NEEDED
from .workbook import FIRST_DAY


class SupportWorkbookForm(Form):
    place = SelectField(_l("Province or facility"), validators=[DataRequired()])
    start = DayField(_l("From"), validators=[DataRequired()])
    end = DayField(_l("To"), validators=[DataRequired()])
    with_names = BooleanField(_l("Include names and contacts"))
    reason = TextAreaField(
        _l("Why the names are needed"), validators=[Optional(), Length(max=1000)]
    )

    def __init__(self, *args, may_name: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # A role without the right to names never sees the fields, nor has them read.
        if not may_name:
            del self.with_names
            del self.reason
        self._places: dict[str, Province | Facility] = {}

    def fill_choices(self, provinces, facilities) -> None:
        """Only the places the user may export; any other value is refused as not a choice."""
        groups: dict[str, list] = {}
        for group, prefix, places in (
            (_l("Whole province"), "province", provinces),
            (_l("Facility"), "facility", facilities),
        ):
            for place in places:
                key = f"{prefix}-{place.id}"
                self._places[key] = place
                groups.setdefault(str(group), []).append((key, place.name))
        self.place.choices = groups

    def validate_start(self, field) -> None:
        if field.data and field.data < FIRST_DAY:
            raise ValidationError(_l("Choose a date from 1901 on."))

    def validate_end(self, field) -> None:
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The period cannot end before it starts."))

    def validate_reason(self, field) -> None:
        if self.with_names.data and not (field.data or "").strip():
            raise ValidationError(REASON_NEEDED)

    @property
    def names_asked(self) -> bool:
        return self.with_names is not None and bool(self.with_names.data)

    @property
    def reason_given(self) -> str:
        return (self.reason.data or "").strip() if self.names_asked else ""

    def filters(self) -> Filters:
        place = self._places[self.place.data]
        return Filters(
            start=self.start.data,
            end=self.end.data,
            province=place if isinstance(place, Province) else None,
            facility=place if isinstance(place, Facility) else None,
            names=self.names_asked,
        )


class DatasetForm(Form):
    """The anonymised dataset: the user's whole scope, optionally some years of registration."""

    year_from = IntegerField(
        _l("Registered from the year"), validators=[Optional(), NumberRange(min=1990, max=2100)]
    )
    year_to = IntegerField(
        _l("to the year"), validators=[Optional(), NumberRange(min=1990, max=2100)]
    )
    file_format = RadioField(
        _l("Format"),
        choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")],
        default="xlsx",
        validators=[DataRequired()],
    )

    def validate_year_to(self, field):
        if field.data and self.year_from.data and field.data < self.year_from.data:
            raise ValidationError(_l("The last year comes before the first."))
