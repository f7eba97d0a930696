from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import DayField, Form, IdSelectField, NotInFuture
from ..reference import queries as reference
from ..submissions import SubmissionKey
from ..versions import VersionedForm
from .models import EmployerKind

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
