"""What a form accepts of the values it is sent, before any field reads them (``Screening``),
and the bounds every text and number field gets from its column (``bounded``); ``Form``
(forms.py) applies both."""

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import (
    Field,
    IntegerField,
    SelectFieldBase,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, StopValidation

from .text import unwritable, without_unwritable

# The largest value of an INTEGER column (ids, counts, days) on PostgreSQL.
MOST_INTEGER = 2**31 - 1
# Far above any allowance, wage or cost, well inside a BIGINT column.
MOST_DONG = 1_000_000_000_000
# Text fields whose form gives no Length of their own: one line, and notes (Text columns).
LINE_LENGTH = 1000
NOTE_LENGTH = 5000
# What a box, a choice, a date or a number can ever be sent as.
VALUE_LENGTH = 100

CONTROL_CHARACTERS = _l(
    "This text held invisible control characters (such as NUL); they are taken out: check it and "
    "save again."
)
SENT_TWICE = _l("This field was sent more than once; send it once.")
NUMBER_TOO_LARGE = _l("This number is too large.")
NUMBER_TOO_SMALL = _l("This number is too small.")
AMOUNT_TOO_LARGE = _l("This amount is too large.")
# What a number field may hold unless it says otherwise (``bounds``, as ``MoneyField`` does):
# the least and the most, and the message above the most.
INTEGER_BOUNDS = (-MOST_INTEGER - 1, MOST_INTEGER, NUMBER_TOO_LARGE)


class Screening:
    """What a form accepts of the values sent, before any field coerces or stores them.

    Refused, with a message beside the field: control characters (NUL and the like; tabs and
    line breaks are kept in multi-line text, and a tab in a one-line text becomes a space), shown
    again without them; and, as if the field had not been sent, a field sent several times when
    it takes one value, and a choice, date, number or box longer than any it can be. Line breaks
    in notes are made ``\\n``.
    The length of a text is its field's ``Length``, checked by validation like any other rule.
    """

    def __init__(self, form):
        self.form = form

    def screen(self, formdata) -> MultiDict:
        screened: MultiDict[str, str | FileStorage] = MultiDict()
        fields = {field.name: field for field in self.form}
        for name in formdata:
            values = formdata.getlist(name)
            field = fields.get(name)
            if field is not None:
                refusal, values = self._check(field, values)
                if refusal is CONTROL_CHARACTERS:
                    # Refused, but the text comes back without them: the user's typing is not
                    # lost, and a second click on Save sends it clean.
                    self.form.refused[field.short_name] = refusal
                    multiline = isinstance(field, TextAreaField)
                    values = [without_unwritable(value, multiline) for value in values]
                elif refusal is not None:
                    self.form.refused[field.short_name] = refusal
                    continue
            for value in values:
                screened.add(name, value)
        return screened

    def _check(self, field, values: list):
        if len(values) > 1 and not isinstance(field, SelectMultipleField):
            return SENT_TWICE, values
        if any(isinstance(value, FileStorage) for value in values):
            return None, values  # an uploaded file: its own field reads it
        if not all(isinstance(value, str) for value in values):
            return _not_valid(field), values  # a number or a list from a JSON body
        multiline = isinstance(field, TextAreaField)
        if multiline:
            values = [value.replace("\r\n", "\n").replace("\r", "\n") for value in values]
        elif isinstance(field, StringField):
            values = [value.replace("\t", " ") for value in values]
        if any(unwritable(value, multiline) for value in values):
            return CONTROL_CHARACTERS, values
        if not isinstance(field, StringField) and any(len(v) > VALUE_LENGTH for v in values):
            return _not_valid(field), values
        return None, values


def _not_valid(field) -> str:
    if isinstance(field, SelectFieldBase):
        return field.gettext("Not a valid choice.")
    return field.gettext("Invalid input.")


def bounded(field: Field) -> Field:
    """Give a text field a length and a number a range that its column can hold, unless the
    form gave tighter ones."""
    if isinstance(field, StringField):
        if not _has(field, Length, "max"):
            most = NOTE_LENGTH if isinstance(field, TextAreaField) else LINE_LENGTH
            _add_validator(field, Length(max=most), first=False)
    elif isinstance(field, IntegerField) and not _has(field, NumberRange, "max"):
        _add_validator(field, _Within(*getattr(field, "bounds", INTEGER_BOUNDS)))
    return field


def _has(field: Field, kind: type, bound: str) -> bool:
    return any(
        isinstance(validator, kind) and getattr(validator, bound, None) not in (None, -1)
        for validator in field.validators
    )


def _add_validator(field: Field, validator, first: bool = True) -> None:
    existing = list(field.validators)
    field.validators = [validator, *existing] if first else [*existing, validator]
    for flag, value in getattr(validator, "field_flags", {}).items():
        setattr(field.flags, flag, value)


class _Within:
    """A number inside what its column holds; stops the field's other checks when outside."""

    def __init__(self, least: int, most: int, message):
        self.least, self.most, self.message = least, most, message

    def __call__(self, _form, field):
        if field.data is None:
            return
        if field.data > self.most:
            raise StopValidation(self.message)
        if field.data < self.least:
            raise StopValidation(NUMBER_TOO_SMALL)
