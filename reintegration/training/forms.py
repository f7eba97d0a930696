from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import CheckboxListField, DayField, Form, IdSelectField, MoneyField, NotInFuture
from ..submissions import SubmissionKey
from ..versions import VersionedForm
from .models import CourseKind


class CourseForm(VersionedForm, SubmissionKey, Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=CourseKind.choices, validators=[DataRequired()])
    topic = IdSelectField(
        _l("Trade or soft-skills module"),
        validators=[DataRequired()],
    )
    trainer = IdSelectField(_l("Trainer"), validators=[DataRequired()])
    provider = StringField(_l("Training provider"), validators=[DataRequired(), Length(max=200)])
    province = IdSelectField(_l("Province"), validators=[DataRequired()])
    start_on = DayField(_l("Start date"), validators=[DataRequired()])
    end_on = DayField(_l("End date"), validators=[DataRequired()])
    schedule = StringField(_l("Schedule"), validators=[Optional(), Length(max=300)])
    capacity = IntegerField(
        _l("Capacity (trainees)"), validators=[InputRequired(), NumberRange(min=0, max=10000)]
    )
    cost_per_trainee = MoneyField(
        _l("Cost per trainee (dong)"), default=0, validators=[InputRequired(), NumberRange(min=0)]
    )
    market_demand = TextAreaField(
        _l("Market demand it answers"), validators=[Optional(), Length(max=5000)]
    )
    employers = CheckboxListField(_l("Employers that asked for it"), coerce=int)


class ReferralForm(SubmissionKey, Form):
    course = IdSelectField(_l("Course"), validators=[DataRequired()])


class EnrolForm(SubmissionKey, Form):
    enrolled_on = DayField(_l("Date of enrolment"), validators=[DataRequired(), NotInFuture()])


class CompleteForm(SubmissionKey, Form):
    completed_on = DayField(_l("Date of completion"), validators=[DataRequired(), NotInFuture()])
    certificate_number = StringField(
        _l("Certificate number"), validators=[DataRequired(), Length(max=100)]
    )
    certificate_on = DayField(
        _l("Date of the certificate"), validators=[DataRequired(), NotInFuture()]
    )


class DropOutForm(SubmissionKey, Form):
    dropped_out_on = DayField(
        _l("Date the person left"), validators=[DataRequired(), NotInFuture()]
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class AttendanceForm(SubmissionKey, Form):
    held_on = DayField(_l("Day of the session"), validators=[DataRequired(), NotInFuture()])
    topic = StringField(_l("What was taught"), validators=[Optional(), Length(max=200)])
    present = CheckboxListField(_l("Present"), coerce=int)
