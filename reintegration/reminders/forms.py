from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..access import Role
from ..forms import CheckboxListField, DayField, Form
from ..submissions import SubmissionKey
from ..versions import VersionedForm


class DoneForm(SubmissionKey, Form):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class SnoozeForm(SubmissionKey, Form):
    until = DayField(_l("Remind me again on"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class DigestForm(Form):
    wants_digest = BooleanField(_l("Email me this list every morning"))


class RuleForm(VersionedForm, Form):
    enabled = BooleanField(_l("On"))
    value = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=3650)])
    repeat_days = IntegerField(
        _l("Days before a reminder done by hand comes back, if still due"),
        validators=[InputRequired(), NumberRange(min=1, max=365)],
    )
    roles = CheckboxListField(_l("Who is told"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = [(role.value, role.label) for role in Role]

    @property
    def checked_numbers(self) -> tuple[int, int]:
        """The rule's value and its repeat days, read once the form is valid."""
        value, repeat_days = self.value.data, self.repeat_days.data
        assert value is not None, "InputRequired: a valid form has a value"
        assert repeat_days is not None, "InputRequired: a valid form has repeat days"
        return value, repeat_days
