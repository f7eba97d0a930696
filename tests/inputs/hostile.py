"""Hostile values, what a field must refuse of them, and the forms a request builds."""

from dataclasses import dataclass, field

from hypothesis import strategies as st
from wtforms import (
    BooleanField,
    FileField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectFieldBase,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange

from reintegration.forms import DayField, Form, MoneyField
from reintegration.screening import VALUE_LENGTH
from reintegration.text import unwritable
from tests.conftest import TODAY

# The message beside a field sent with any of them, in English.
CONTROL = (
    "This text held invisible control characters (such as NUL); they are taken out: check it and "
    "save again."
)
NUL = "Nguyễn\x00Thị"
ESCAPE = "a\x1b[31m\x07b"
NONCHARACTER = "x\uffffy"
LONG_TEXT = "x" * 100_000
BIG_NUMBER = "1" * 30
MONEY_10_26 = "1" + "0" * 26
NEGATIVE = "-1"
IMPOSSIBLE_DAYS = ("31/02/2026", "00/00/0000", "01/01/99999", "0001-01-01", "31/12/9999")

# Each refused by every field of the app whatever the field is.
REFUSED_BY_ALL = (NUL, ESCAPE, NONCHARACTER, LONG_TEXT)
# Refused by numbers, choices and dates (as text they may be fine).
REFUSED_BY_VALUES = (BIG_NUMBER, MONEY_10_26, *IMPOSSIBLE_DAYS)

HOSTILE = st.one_of(
    st.sampled_from(
        (
            *REFUSED_BY_ALL,
            *REFUSED_BY_VALUES,
            NEGATIVE,
            "-99999999999999999999",
            "9" * 5000,
            "١٢",  # Arabic-Indic digits: int() reads them
            "²",
            "1_000",
            " ",
            "None",
            "null",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%_\\",
            "\r\n\r\n",
            "\t",
            "\u202egnp.exe",
            "🙂" * 300,
        )
    ),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.integers().map(str),
)


@dataclass
class FieldInfo:
    """What the test needs of a bound form field."""

    name: str
    kind: str
    valid: list[str] | None
    most: int | None = None
    choices: set = field(default_factory=set)

    def must_refuse(self, values: list[str]) -> bool:
        """Whether the field has to refuse ``values`` (sent under its name), so that the form
        saves nothing. Only values no field may accept count; others may be fine."""
        if self.kind == "file":
            return False
        if len(values) > 1 and self.kind != "multi":
            return True
        multiline = self.kind == "note"
        for value in values:
            if multiline:
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            elif self.kind in ("text", "hidden"):
                value = value.replace("\t", " ")
            if unwritable(value, multiline):
                return True
            if self.most is not None and len(value) > self.most:
                return True
            if self.kind in ("number", "choice", "multi", "day") and value in REFUSED_BY_VALUES:
                return True
        return False


def describe(bound) -> FieldInfo:
    """The field's kind, a value it accepts and its limits."""
    name = bound.name
    if isinstance(bound, FileField):
        return FieldInfo(name, "file", None)
    if isinstance(bound, BooleanField):
        return FieldInfo(name, "boolean", ["y"], VALUE_LENGTH)
    if isinstance(bound, SelectFieldBase):
        values = [str(value) for value, *_ in bound.iter_choices() if value not in ("", None)]
        kind = "multi" if isinstance(bound, SelectMultipleField) else "choice"
        return FieldInfo(name, kind, values[:1], VALUE_LENGTH, set(values))
    if isinstance(bound, DayField):
        return FieldInfo(name, "day", [f"01/03/{TODAY.year}"], VALUE_LENGTH)
    if isinstance(bound, MoneyField):
        return FieldInfo(name, "number", ["1000"], VALUE_LENGTH)
    if isinstance(bound, IntegerField):
        least = next(
            (v.min for v in bound.validators if isinstance(v, NumberRange) and v.min is not None),
            1,
        )
        return FieldInfo(name, "number", [str(least)], VALUE_LENGTH)
    if isinstance(bound, StringField):
        most = min(
            (v.max for v in bound.validators if isinstance(v, Length) and v.max != -1),
            default=None,
        )
        if isinstance(bound, HiddenField):
            return FieldInfo(name, "hidden", [bound._value()], most)
        kind = "note" if isinstance(bound, TextAreaField) else "text"
        return FieldInfo(name, kind, [_plain_text(bound)], most)
    return FieldInfo(name, "other", [], VALUE_LENGTH)


def _plain_text(bound) -> str:
    if "email" in bound.name:
        return "someone@example.org"
    if isinstance(bound, PasswordField):
        return "Thu1-mat-khau"  # the same in a password and its confirmation
    return "Thu1"


class FormRecorder:
    """Keeps the forms a request builds and those it validates (``Form.__init__`` and
    ``Form.validate`` patched while recording): the validated ones read what was sent, the
    others only show their values (a hidden key, the version a record was read at)."""

    def __init__(self):
        self.built: list[Form] = []
        self.validated: list[Form] = []

    def install(self, monkeypatch) -> None:
        recorder, build, validate = self, Form.__init__, Form.validate

        def building(form, *args, **kwargs):
            build(form, *args, **kwargs)
            recorder.built.append(form)

        def validating(form, *args, **kwargs):
            recorder.validated.append(form)
            return validate(form, *args, **kwargs)

        monkeypatch.setattr(Form, "__init__", building)
        monkeypatch.setattr(Form, "validate", validating)

    def clear(self) -> None:
        self.built.clear()
        self.validated.clear()

    def fields(self) -> dict[str, FieldInfo]:
        """The fields of the validated forms."""
        found = {}
        for form in self.validated:
            for bound in form:
                if bound.name != "csrf_token":
                    found.setdefault(bound.name, describe(bound))
        return found

    def shown(self) -> dict[str, str]:
        """What the page shows in each field of its forms."""
        shown = {}
        for form in self.built:
            for bound in form:
                value = bound._value() if hasattr(bound, "_value") else None
                if isinstance(value, str):
                    shown[bound.name] = value
        return shown
