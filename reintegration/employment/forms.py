from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..employers.forms import YES_NO, answer
from ..forms import DayField, Form, IdSelectField, MoneyField, NotInFuture
from ..submissions import SubmissionKey
from .models import ContractType, EndReason


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
