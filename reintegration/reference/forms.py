from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import EachLine, Form, code_field
from ..submissions import SubmissionKey
from ..types import text_length
from .models import Commune, ListItem


class ListItemForm(SubmissionKey, Form):
    code = code_field(ListItem.code)
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])


class ListItemEditForm(Form):
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    active = BooleanField(_l("In use"))


# The length of a commune's name, in either language.
COMMUNE_NAME = text_length(Commune.__table__.c.name_vi)


class CommunesForm(SubmissionKey, Form):
    names = TextAreaField(
        _l("Communes and wards, one per line"),
        validators=[DataRequired(), Length(max=50_000), EachLine(COMMUNE_NAME)],
    )
    english = TextAreaField(
        _l("English names, one per line in the same order (optional)"),
        validators=[Optional(), Length(max=50_000), EachLine(COMMUNE_NAME)],
    )
