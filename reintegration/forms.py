"""Fields and helpers shared by the domains' forms, and the checks every value a request sends
goes through before any query sees it: form fields (``Form``, which screens what it is sent
with screening.py), query-string numbers and dates (``number_arg``, ``day_arg``) and ids in
addresses (``IdConverter``)."""

import re
from datetime import date, datetime

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.routing import ValidationError as NotInRoute
from wtforms import (
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, Length, Regexp, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from . import clock
from .errors import DomainError
from .screening import (
    AMOUNT_TOO_LARGE,
    CONTROL_CHARACTERS,
    MOST_DONG,
    MOST_INTEGER,
    Screening,
    bounded,
)
from .text import unwritable

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
# No date outside these years is meant; inside them, no date arithmetic can overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2100

UNREADABLE = _l("This form could not be read. Open the page again and send it again.")


def too_long(most: int):
    """WTForms' own message for a text above ``most`` characters."""
    return lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        most,
        max=most,
    )


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
    """The base of every form: CSRF from Flask-WTF, messages in the user's language, and the
    screening of every value sent (``Screening``, screening.py) before any field reads it."""

    class Meta(DefaultMeta):
        def get_translations(self, form):
            return _TRANSLATIONS

        def bind_field(self, form, unbound_field, options):
            return bounded(super().bind_field(form, unbound_field, options))

        def wrap_formdata(self, form, formdata):
            form.refused = {}
            try:
                formdata = super().wrap_formdata(form, formdata)
            except (TypeError, ValueError):
                formdata = MultiDict()  # a JSON body that is not an object: nothing to read
            return None if formdata is None else Screening(form).screen(formdata)

    # Field name -> why the value sent was kept from the field (see Screening).
    refused: dict[str, str]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        refused = getattr(self, "refused", {})
        # A refused value was kept from its field: say why, and only that (above the form
        # when the field is hidden, where the user would never see it nor could mend it).
        for name, message in refused.items():
            if isinstance(self[name], HiddenField) and UNREADABLE not in self.form_errors:
                self.form_errors.append(UNREADABLE)
            self[name].errors = [message]
        return valid and not refused


class FilterForm(Form):
    """Search and filters read from a query string (or a search posted to a list page).

    The list is shown whatever was sent: a value that fails its check is shown with its
    message and not used, so no query ever sees it."""

    class Meta:
        csrf = False

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if field.errors:
                field.data = field.default
        return valid


def parse_day(text: str) -> date | None:
    """A date written dd/mm/yyyy (or yyyy-mm-dd, dd-mm-yyyy, dd.mm.yyyy); None if unreadable."""
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def day_arg(args, name: str) -> date | None:
    """A date from a query string; None when missing, unreadable or outside FIRST_YEAR to
    LAST_YEAR."""
    day = parse_day(args.get(name) or "")
    return day if day is not None and _within_years(day) else None


def _within_years(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


class DayField(Field):
    """A date written dd/mm/yyyy, whatever the browser's language (yyyy-mm-dd is accepted too)."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        render_kw = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}
        render_kw.update(kwargs.get("render_kw") or {})
        kwargs["render_kw"] = render_kw
        super().__init__(*args, **kwargs)

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
        day = parse_day(text)
        if day is None:
            raise ValueError(_l("Write the date as dd/mm/yyyy."))
        if not _within_years(day):
            raise ValueError(
                _l("Write a date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
            )
        self.data = day


class MoneyField(IntegerField):
    """Whole dong; accepts 1.500.000, 1,500,000 or 1500000."""

    widget = TextInput()
    # What ``bounded`` lets it hold (screening.py).
    bounds = (0, MOST_DONG, AMOUNT_TOO_LARGE)

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
        # An id no record can have (a 30-digit number, a word) is a choice not offered.
        kwargs.setdefault("invalid_value_message", _l("Not a valid choice."))
        super().__init__(*args, **kwargs)

    def pre_validate(self, form):
        # An id that could not be read says only that, not also that the field is missing.
        if self.process_errors:
            raise StopValidation()
        if self.data is None and not self.flags.required:
            return
        super().pre_validate(form)


def _optional_int(value):
    """A database id, or None for the empty choice; ValueError for what no id can be."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("not an id")  # "-1", "1e5", "1_000", digits of other scripts
    number = int(value)
    if not 0 < number <= MOST_INTEGER:
        raise ValueError("not an id")
    return number


def attach_error(form: Form, error: DomainError) -> None:
    """Show a rule's refusal next to the field it is about, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


class EachLine:
    """A text of one value per line (communes pasted from a list): each line fits its column
    and holds no tab or control character, as a one-line field would."""

    def __init__(self, most: int):
        self.most = most

    def __call__(self, _form, field):
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            if unwritable(line):
                raise ValidationError(
                    _l("Line %(number)s contains a tab or a control character.", number=number)
                )
            if len(line.strip()) > self.most:
                raise ValidationError(
                    _l(
                        "Line %(number)s is longer than %(max)s characters.",
                        number=number,
                        max=self.most,
                    )
                )


# A record's code: letters and digits joined by one kind of separator, per kind of record.
CODE_SEPARATORS = {
    "_": _l("Letters, digits and underscores only."),
    "-": _l("Letters, digits and dashes only."),
}


def code_field(column, separator: str = "_") -> StringField:
    """The ``code`` of a record ("FORCED_LABOUR", a facility's "SWC-HN"): required, no longer
    than its column (``column``, e.g. ``Facility.code``) holds."""
    return StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=column.type.length),
            Regexp(rf"^[A-Za-z0-9{re.escape(separator)}]+$", message=CODE_SEPARATORS[separator]),
        ],
    )


class NotInFuture:
    """A date that has not happened yet cannot be recorded as past."""

    def __call__(self, _form, field):
        if field.data and field.data > clock.today():
            raise ValidationError(_l("This date is in the future."))


class IdConverter(IntegerConverter):
    """``<int:...>`` in an address: a number a database id can be, else the page is not found
    (a 30-digit id would overflow the query, a 5,000-digit one Python's conversion)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MOST_INTEGER)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MOST_INTEGER)):
            raise NotInRoute()
        return super().to_python(value)


def number_arg(args, name: str, default: int, least: int = 1, most: int = MOST_INTEGER) -> int:
    """A whole number from a query string (a page number, a year), ``default`` when it is
    missing, unreadable or outside ``least`` to ``most``."""
    text = args.get(name, "")
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(most)):
        return default
    number = int(text)
    return number if least <= number <= most else default


def ids_sent(values) -> set[int]:
    """The ids among values sent without a field (ticked rows of a list); others are dropped."""
    ids = set()
    for value in values:
        try:
            ids.add(_optional_int(value))
        except ValueError:
            continue
    return ids - {None}


def check_text(text: str, most: int, field: str | None = None) -> None:
    """The checks of a one-line text field, for a value read without a form."""
    if unwritable(text):
        raise DomainError(CONTROL_CHARACTERS, field)
    if len(text) > most:
        raise DomainError(too_long(most), field)
