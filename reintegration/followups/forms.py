from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import CheckboxListField, DayField, Form, NotInFuture, code_field
from ..plans.models import Dimension
from ..submissions import SubmissionKey
from ..versions import VersionedForm
from .models import ContactMethod, Indicator

YES, NO, NOT_APPLICABLE = "yes", "no", "na"
ANSWERS = {YES: True, NO: False, NOT_APPLICABLE: None}


class FollowUpForm(VersionedForm, SubmissionKey, Form):
    done_on = DayField(_l("Date of the follow-up"), validators=[DataRequired(), NotInFuture()])
    method = RadioField(_l("How"), validators=[InputRequired()])
    contact_made = RadioField(
        _l("Was contact made with the person?"),
        choices=[(YES, _l("Yes")), (NO, _l("No"))],
        validators=[InputRequired()],
    )
    still_in_job = RadioField(
        _l("Still in the job?"),
        choices=[(YES, _l("Yes")), (NO, _l("No")), (NOT_APPLICABLE, _l("Not applicable"))],
        validators=[InputRequired()],
    )
    wellbeing = TextAreaField(_l("Wellbeing"), validators=[Optional(), Length(max=5000)])
    risk_signs = CheckboxListField(_l("Risk signs of re-trafficking"), coerce=int)
    go_on_to_check = BooleanField(_l("Go on to the sustainability check"))

    def __init__(self, risk_sign_choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels in the reader's language, read when the page is made.
        self.method.choices = ContactMethod.choices()
        self.risk_signs.choices = risk_sign_choices

    def found(self) -> dict:
        """What the follow-up found, as the service takes it."""
        return {
            "method": ContactMethod(self.method.data),
            "contact_made": ANSWERS[self.contact_made.data],
            "still_in_job": ANSWERS[self.still_in_job.data],
            "wellbeing": self.wellbeing.data or "",
        }


class ResolveFlagForm(SubmissionKey, Form):
    resolved_on = DayField(_l("Date resolved"), validators=[DataRequired(), NotInFuture()])
    note = TextAreaField(
        _l("How the risk was dealt with"), validators=[DataRequired(), Length(max=5000)]
    )


def check_form(indicators: Sequence[Indicator]) -> Form:
    """One question on the 1–5 scale per indicator in use."""

    class CheckForm(SubmissionKey, Form):
        pass

    for indicator in indicators:
        setattr(
            CheckForm,
            f"indicator_{indicator.id}",
            RadioField(
                indicator.name,
                choices=[(value, str(value)) for value in range(1, 6)],
                coerce=int,
                validators=[InputRequired()],
            ),
        )
    return CheckForm()


class _IndicatorFields(Form):
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=300)])
    weight = IntegerField(
        _l("Weight"), default=1, validators=[InputRequired(), NumberRange(min=1, max=100)]
    )


class IndicatorForm(SubmissionKey, _IndicatorFields):
    code = code_field(Indicator.code)
    dimension = SelectField(_l("Dimension"), validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimension.choices = Dimension.choices()


class IndicatorEditForm(VersionedForm, _IndicatorFields):
    active = BooleanField(_l("In use"))
