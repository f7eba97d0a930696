from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import DayField, Form, NotInFuture
from ..submissions import SubmissionKey
from ..versions import VersionedForm
from .models import Dimension, GoalStatus


class PlanForm(VersionedForm, SubmissionKey, Form):
    agreed_on = DayField(
        _l("Date agreed with the person"), validators=[DataRequired(), NotInFuture()]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])


class GoalForm(VersionedForm, SubmissionKey, Form):
    dimension = SelectField(_l("Dimension"), choices=Dimension.choices, validators=[DataRequired()])
    description = TextAreaField(_l("Goal"), validators=[DataRequired(), Length(max=2000)])
    owner = StringField(_l("Who follows it"), validators=[DataRequired(), Length(max=200)])
    target_on = DayField(_l("Target date"), validators=[DataRequired()])
    status = SelectField(_l("Status"), choices=GoalStatus.choices, validators=[DataRequired()])
