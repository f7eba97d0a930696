from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import DayField, Form, IdSelectField, MoneyField, NotInFuture
from ..reference import queries as reference
from ..submissions import SubmissionKey
from ..versions import VersionedForm
from .models import ContractType, EmployerKind, EndReason

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]
# Housing is judged only where the employer provides it.
HOUSING_CHOICES = [*YES_NO, ("none", _l("No housing provided"))]


def answer(value: str | None) -> bool | None:
    """A yes/no answer as stored: True, False, or None for "not provided"."""
    return {"yes": True, "no": False}.get(value or "")


class EmployerForm(VersionedForm, SubmissionKey, Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=EmployerKind.choices, validators=[DataRequired()])
    sector = StringField(_l("Sector"), validators=[Optional(), Length(max=200)])
    province = IdSelectField(_l("Province"), validators=[DataRequired()])
    commune = IdSelectField(_l("Commune or ward"), validators=[Optional()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=50)])

    def fill_choices(self, provinces) -> None:
        self.province.choices = [reference.NONE_CHOICE, *[(p.id, p.name) for p in provinces]]
        # Each commune carries its province so the page can offer only the chosen province's.
        self.commune.choices = [reference.NONE_CHOICE] + [
            (commune.id, commune.name, {"data-province": commune.province_id})
            for commune in reference.communes()
        ]


class CheckForm(SubmissionKey, Form):
    checked_on = DayField(_l("Date of the check"), validators=[DataRequired(), NotInFuture()])
    checked_by = StringField(_l("Checked by"), validators=[DataRequired(), Length(max=200)])
    written_contract = RadioField(
        _l("Written labour contract"), choices=YES_NO, validators=[InputRequired()]
    )
    wages_on_time = RadioField(
        _l("Wages paid in full and on time"), choices=YES_NO, validators=[InputRequired()]
    )
    no_withheld_documents = RadioField(
        _l("No identity papers withheld by the employer"),
        choices=YES_NO,
        validators=[InputRequired()],
    )
    no_debt = RadioField(
        _l("No debt owed to the employer"), choices=YES_NO, validators=[InputRequired()]
    )
    safe_housing = RadioField(
        _l("Safe housing"), choices=HOUSING_CHOICES, validators=[InputRequired()]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class PlacementForm(SubmissionKey, Form):
    employer = IdSelectField(_l("Employer"), validators=[DataRequired()])
    position = StringField(_l("Position"), validators=[DataRequired(), Length(max=200)])
    start_on = DayField(_l("Start date"), validators=[DataRequired(), NotInFuture()])
    monthly_wage = MoneyField(
        _l("Monthly wage (dong)"), validators=[InputRequired(), NumberRange(min=0)]
    )
    in_home_province = RadioField(
        _l("In the person's home province"), choices=YES_NO, validators=[InputRequired()]
    )
    housing_support = RadioField(
        _l("Housing support"), choices=YES_NO, validators=[InputRequired()]
    )
    contract_type = SelectField(
        _l("Contract"), choices=ContractType.choices, validators=[DataRequired()]
    )
    course = IdSelectField(_l("Course that led to the job"), validators=[Optional()])

    @property
    def checked_wage(self) -> int:
        """The monthly wage, read once the form is valid."""
        assert self.monthly_wage.data is not None, "InputRequired: a valid form has a wage"
        return self.monthly_wage.data

    def said_yes(self, field: RadioField) -> bool:
        """The answer to a yes/no question of this form, read once the form is valid."""
        said = answer(field.data)
        assert said is not None, "InputRequired: a valid form answers yes or no"
        return said


class EndPlacementForm(SubmissionKey, Form):
    end_on = DayField(_l("Last day"), validators=[DataRequired(), NotInFuture()])
    reason = SelectField(_l("Reason"), choices=EndReason.choices, validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
