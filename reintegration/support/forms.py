"""Forms of the administrator's support policy pages."""

import re
from collections.abc import Sequence
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import TextInput

from ..formatting import coefficient
from ..forms import CheckboxListField, DayField, Form, IdSelectField, MoneyField, code_field
from ..reference.models import IdentificationStatus, SupportType
from ..reference.queries import NONE_CHOICE
from ..screening import MOST_DONG
from ..submissions import SubmissionKey
from ..versions import VersionedForm
from .models import AllowanceKind, AllowanceRule, Method
from .services import RuleTerms

# allowance_rules.coefficient is NUMERIC(6, 2).
MOST_COEFFICIENT = Decimal("9999.99")


def _positive_money(label):
    return MoneyField(
        label,
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("The amount must be more than 0 dong.")),
            NumberRange(max=MOST_DONG, message=_l("This amount is too large.")),
        ],
    )


class CoefficientField(Field):
    """A number above 0 with at most two decimals, written 1,5 or 1.5."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return coefficient(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        if not re.fullmatch(r"\d{1,6}([.,]\d{1,10})?", text):
            raise ValueError(_l("Write a number such as 1,5 or 2."))
        value = Decimal(text.replace(",", "."))
        exponent = value.as_tuple().exponent  # a number: the pattern lets no NaN through
        if isinstance(exponent, int) and exponent < -2 and value != value.quantize(Decimal("0.01")):
            raise ValueError(_l("At most two decimals, for example 1,25."))
        self.data = value.quantize(Decimal("0.01"))

    def pre_validate(self, form):
        if self.data is not None and not 0 < self.data <= MOST_COEFFICIENT:
            raise ValidationError(_l("The coefficient must be more than 0 and below 10.000."))


def cell(status: IdentificationStatus, support_type_id: int) -> str:
    """The value of one checkbox of the entitlement table."""
    return f"{status.value}:{support_type_id}"


class EntitlementForm(Form):
    entitled = CheckboxListField(_l("Entitled support types"), validate_choice=False)

    def __init__(self, types: Sequence[SupportType], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.entitled.choices = [
            (cell(status, support_type.id), f"{status.label}: {support_type.title}")
            for status in IdentificationStatus
            for support_type in types
        ]

    def validate_entitled(self, field):
        cells = {value for value, _label in field.choices}
        if any(value not in cells for value in field.data or []):
            raise ValidationError(_l("Tick boxes of the table only: a value sent is not one."))

    def chosen(self) -> set[tuple[IdentificationStatus, int]]:
        pairs = (value.split(":") for value in self.entitled.data or [])
        return {(IdentificationStatus(status), int(type_id)) for status, type_id in pairs}


class LevelForm(SubmissionKey, Form):
    valid_from = DayField(_l("In force from"), validators=[DataRequired()])
    amount = MoneyField(
        _l("Amount a month (dong)"),
        validators=[
            InputRequired(),
            NumberRange(min=1, message=_l("The amount must be more than 0 dong.")),
            NumberRange(max=MOST_DONG, message=_l("This amount is too large.")),
        ],
    )
    legal_basis = StringField(_l("Legal basis"), validators=[Optional(), Length(max=300)])

    @property
    def checked_amount(self) -> int:
        """The amount a month, read once the form is valid."""
        assert self.amount.data is not None, "InputRequired: a valid form has an amount"
        return self.amount.data


class KindEditForm(VersionedForm, Form):
    support_type = IdSelectField(_l("Support type"), validators=[DataRequired()])
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    legal_basis = TextAreaField(_l("Legal basis"), validators=[Optional(), Length(max=5000)])
    decision_days = IntegerField(
        _l("Working days the province has to decide"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=60,
                message=_l("Between 1 and 60 working days, or empty when there is no deadline."),
            ),
        ],
    )
    active = BooleanField(_l("In use"), default=True)

    def __init__(self, types: Sequence[SupportType], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.support_type.choices = [NONE_CHOICE, *[(t.id, t.title) for t in types]]

    def fields(self) -> dict:
        """What the service takes."""
        return {
            "support_type_id": self.support_type.data,
            "name_vi": self.name_vi.data,
            "name_en": self.name_en.data,
            "legal_basis": self.legal_basis.data or "",
            "decision_days": self.decision_days.data,
            "active": self.active.data,
        }


class KindForm(SubmissionKey, KindEditForm):
    code = code_field(AllowanceKind.code)


class RuleForm(VersionedForm, SubmissionKey, Form):
    province = IdSelectField(_l("Province"), validators=[Optional()])
    method = SelectField(
        _l("How the amount is computed"), choices=Method.choices, validators=[DataRequired()]
    )
    amount = _positive_money(_l("Amount (dong)"))
    coefficient = CoefficientField(_l("Coefficient"), validators=[Optional()])
    max_days = IntegerField(
        _l("At most this many days for one person"),
        validators=[Optional(), NumberRange(min=1, max=3650)],
    )
    max_times = IntegerField(
        _l("At most this many times for one person"),
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    valid_from = DayField(_l("In force from"), validators=[DataRequired()])
    valid_to = DayField(_l("In force until"), validators=[Optional()])

    def __init__(self, province_choices: list[tuple], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.province.choices = province_choices

    def terms(self) -> RuleTerms:
        return RuleTerms(
            province_id=self.province.data,
            method=Method(self.method.data),
            amount=self.amount.data,
            coefficient=self.coefficient.data,
            max_days=self.max_days.data,
            max_times=self.max_times.data,
            valid_from=self.valid_from.data,
            valid_to=self.valid_to.data,
        )


def rule_data(rule: AllowanceRule) -> dict:
    """A stored rule as its form shows it."""
    return {
        "province": rule.province_id,
        "method": rule.method.value,
        "amount": rule.amount,
        "coefficient": rule.coefficient,
        "max_days": rule.max_days,
        "max_times": rule.max_times,
        "valid_from": rule.valid_from,
        "valid_to": rule.valid_to,
    }


class RuleEndForm(VersionedForm, Form):
    valid_to = DayField(_l("In force until"), validators=[Optional()])


class HolidayForm(SubmissionKey, Form):
    day = DayField(_l("Date"), validators=[DataRequired()])
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])


class DeleteForm(Form):
    """Nothing to fill in: the token that shows the request came from our page."""
