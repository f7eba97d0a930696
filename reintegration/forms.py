"""Fields and helpers shared by the domains' forms."""

import re
from datetime import date, datetime

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectField, SelectMultipleField, ValidationError
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from . import clock
from .errors import DomainError

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


class _CatalogTranslations:
    """WTForms' own messages, looked up in the app's catalog (WTForms ships no Vietnamese)."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


_TRANSLATIONS = _CatalogTranslations()

# WTForms' messages that our fields can show, so that extraction puts them in the catalog.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Not a valid integer value."),
    _l("Invalid input."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Field must be equal to %(other_name)s."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        2,
        max=2,
    ),
)


class Form(FlaskForm):
    """The base of every form: CSRF from Flask-WTF, messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS


def parse_day(text: str) -> date | None:
    """A date written dd/mm/yyyy (or yyyy-mm-dd, dd-mm-yyyy, dd.mm.yyyy); None if unreadable."""
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


class DayField(Field):
    """A date written dd/mm/yyyy, whatever the browser's language (yyyy-mm-dd is accepted too)."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        render_kw = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if self.data else ""

    def pre_validate(self, form):
        # A date that could not be read says so; "required" would hide the reason.
        if self.process_errors:
            raise StopValidation()

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        self.data = parse_day(text)
        if self.data is None:
            raise ValueError(_l("Write the date as dd/mm/yyyy."))


class MoneyField(IntegerField):
    """Whole dong; accepts 1.500.000, 1,500,000 or 1500000."""

    widget = TextInput()

    def pre_validate(self, form):
        # An amount that could not be read says only that, not also that it is missing.
        if self.process_errors:
            raise StopValidation()

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().removesuffix("₫").strip()
        if not text:
            return
        if not re.fullmatch(r"\d{1,3}([.,\s]\d{3})*|\d+", text):
            raise ValueError(_l("Write a whole amount in dong, for example 1.500.000."))
        self.data = int(re.sub(r"[.,\s]", "", text))


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class IdSelectField(SelectField):
    """A select of database ids; an empty choice means none."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", _optional_int)
        super().__init__(*args, **kwargs)

    def pre_validate(self, form):
        if self.data is None and not self.flags.required:
            return
        super().pre_validate(form)


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def attach_error(form: Form, error: DomainError) -> None:
    """Show a rule's refusal next to the field it is about, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


class NotInFuture:
    """A date that has not happened yet cannot be recorded as past."""

    def __call__(self, _form, field):
        if field.data and field.data > clock.today():
            raise ValidationError(_l("This date is in the future."))
