from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import DayField, Form, IdSelectField, MoneyField, NotInFuture
from ..submissions import SubmissionKey
from ..versions import VersionedForm
from .models import PaymentMethod


class RequestForm(SubmissionKey, Form):
    kind = IdSelectField(_l("Allowance"), validators=[DataRequired()])
    period_from = DayField(_l("For the day, or from"), validators=[DataRequired()])
    period_to = DayField(_l("To (for an amount per day)"), validators=[Optional()])
    applied_on = DayField(_l("Date of the application"), validators=[DataRequired(), NotInFuture()])
    documents = TextAreaField(_l("Documents received"), validators=[Optional(), Length(max=2000)])

    def fill_choices(self, kinds) -> None:
        """Kinds grouped under their support type, as optgroups."""
        groups: dict[str, list] = {}
        for kind in kinds:
            groups.setdefault(kind.support_type.title, []).append((kind.id, kind.name))
        self.kind.choices = groups


class DecisionForm(SubmissionKey, VersionedForm, Form):
    decision = RadioField(
        _l("Decision"),
        choices=[("approve", _l("Approve")), ("refuse", _l("Refuse"))],
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _l("Reason or note"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Required when the request is refused."),
    )


class CancelForm(SubmissionKey, VersionedForm, Form):
    reason = TextAreaField(_l("Why it is cancelled"), validators=[DataRequired(), Length(max=2000)])


class _PaymentFields(SubmissionKey, Form):
    paid_on = DayField(_l("Paid on"), validators=[DataRequired(), NotInFuture()])
    method = SelectField(_l("Method"), choices=PaymentMethod.choices, validators=[DataRequired()])


class PaymentForm(_PaymentFields):
    receipt_number = StringField(_l("Receipt number"), validators=[DataRequired(), Length(max=60)])


class RegisterForm(_PaymentFields):
    """Pay several allowances at once; each row brings its own receipt number."""


class CorrectionForm(PaymentForm):
    direction = RadioField(
        _l("The correction"),
        choices=[
            ("returned", _l("Money returned: too much was paid")),
            ("added", _l("Money added: too little was paid")),
        ],
        validators=[InputRequired()],
    )
    amount = MoneyField(
        _l("Amount of the correction"), validators=[InputRequired(), NumberRange(min=1)]
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])

    @property
    def signed_amount(self) -> int:
        amount = self.amount.data
        if amount is None:
            raise ValueError("the amount is read once the form is valid")
        return -amount if self.direction.data == "returned" else amount
