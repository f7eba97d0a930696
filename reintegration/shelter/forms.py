from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..forms import DayField, Form, IdSelectField, MoneyField, NotInFuture, code_field
from ..submissions import SubmissionKey
from ..versions import VersionedForm
from .models import Facility


class AdmitForm(SubmissionKey, Form):
    facility = IdSelectField(_l("Facility"), validators=[DataRequired()])
    admitted_on = DayField(_l("Date of admission"), validators=[DataRequired(), NotInFuture()])
    confirm_full = BooleanField(_l("Admit even though the facility is full"))


class ExtendForm(VersionedForm, SubmissionKey, Form):
    column_fields = {"planned_end": "new_end"}

    new_end = DayField(_l("New planned end"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    approved_by = StringField(
        _l("Approved by (facility director or Department of Health)"),
        validators=[DataRequired(), Length(max=200)],
    )


class DischargeForm(VersionedForm, SubmissionKey, Form):
    discharged_on = DayField(_l("Date of discharge"), validators=[DataRequired(), NotInFuture()])
    destination = IdSelectField(_l("Destination"), validators=[DataRequired()])
    destination_address = StringField(
        _l("Address where the person goes"), validators=[DataRequired(), Length(max=300)]
    )
    discharge_note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class DischargePlanForm(VersionedForm, Form):
    discharge_planned_on = DayField(_l("Planned date of discharge"), validators=[DataRequired()])
    planned_destination = IdSelectField(_l("Expected destination"), validators=[DataRequired()])


class ServiceForm(SubmissionKey, Form):
    provided_on = DayField(_l("Date"), validators=[DataRequired(), NotInFuture()])
    kind = IdSelectField(_l("Service and support type"), validators=[DataRequired()])
    provider = StringField(_l("Provided by"), validators=[DataRequired(), Length(max=200)])
    cost = MoneyField(
        _l("Cost (dong)"), default=0, validators=[InputRequired(), NumberRange(min=0)]
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    @property
    def checked_cost(self) -> int:
        """The cost, read once the form is valid."""
        assert self.cost.data is not None, "InputRequired: a valid form has a cost"
        return self.cost.data


def _stay_within_cap(_form, field):
    cap = current_app.config["ESSENTIAL_NEEDS_MAX_DAYS"]
    if field.data is not None and field.data > cap:
        raise ValidationError(
            _l("At most %(days)s days: the legal limit of essential-needs support.", days=cap)
        )


class FacilityForm(VersionedForm, SubmissionKey, Form):
    code = code_field(Facility.code, "-")
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    province = IdSelectField(_l("Province"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    capacity = IntegerField(
        _l("Capacity (beds)"), validators=[InputRequired(), NumberRange(min=0, max=10000)]
    )
    standard_stay_days = IntegerField(
        _l("Standard stay (days)"),
        default=60,
        validators=[InputRequired(), NumberRange(min=1), _stay_within_cap],
    )
    active = BooleanField(_l("Open"), default=True)
