"""Checking each row of an uploaded sheet.

``parse_rows`` turns every row of a ``Sheet`` (parse.py) into a ``CaseRow`` or into the
problems that stop it. Nothing here writes to the database.
"""

import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import clock
from ..formatting import day
from ..shelter.services import legal_end
from .columns import (
    AGE_COLUMNS,
    AMBIGUOUS,
    DATE_COLUMNS,
    SEPARATOR,
    Vocabulary,
    in_both_languages,
)
from .parse import Sheet, blank

MAX_TEXT = {"full_name": 200, "receiving_agency": 200, "consent_agencies": 500}
TEXT_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")


@dataclass
class CaseRow:
    """The values of one checked row, as ids and dates the services take."""

    number: int
    full_name: str = ""
    sex: str = ""
    date_of_birth: date | None = None
    estimated_birth_year: int | None = None
    home_province_id: int | None = None
    home_commune_id: int | None = None
    return_route_id: int | None = None
    receiving_agency: str = ""
    received_on: date | None = None
    exploitation_country_id: int | None = None
    exploitation_form_ids: list[int] = field(default_factory=list)
    identification_status: str = ""
    consent_given: bool = False
    consent_date: date | None = None
    consent_storage: bool = False
    consent_sharing: bool = False
    consent_contact: bool = False
    consent_agencies: str = ""
    admitted_on: date | None = None
    planned_end: date | None = None
    discharged_on: date | None = None
    destination_id: int | None = None

    def to_json(self) -> dict:
        return {item.name: _plain(getattr(self, item.name)) for item in fields(self)}

    @classmethod
    def from_json(cls, data: dict) -> "CaseRow":
        row = cls(**data)
        for name in DATE_FIELDS:
            value = getattr(row, name)
            if value is not None:
                setattr(row, name, date.fromisoformat(value))
        return row


DATE_FIELDS = tuple(name for name in CaseRow.__dataclass_fields__ if name in DATE_COLUMNS)


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


@dataclass
class Problem:
    """What is wrong in one cell (or one row, when ``column`` is None)."""

    row: int
    column: str | None
    letter: str
    message: dict[str, str]
    # The message without the cell's content, for a terminal: a name typed in the wrong column
    # stays out of its scrollback.
    terse: dict[str, str] | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class RowResult:
    row: CaseRow
    problems: list[Problem]


class _Cell(Exception):
    """A cell's value was refused; caught per cell so that every cell of a row is checked."""

    def __init__(self, message, terse=None):
        super().__init__(str(message))
        self.message = message
        self.terse = terse


class _RowReader:
    """Reads the cells of one row into a ``CaseRow``, noting a problem per wrong cell."""

    def __init__(self, number: int, cells: dict, sheet: Sheet, vocabulary: Vocabulary):
        self.cells = cells
        self.sheet = sheet
        self.vocabulary = vocabulary
        self.row = CaseRow(number)
        self.problems: list[Problem] = []

    def problem(self, key: str | None, message, terse=None) -> None:
        letter = self.sheet.letters.get(key, "") if key else ""
        self.problems.append(
            Problem(
                self.row.number,
                key,
                letter,
                in_both_languages(message),
                in_both_languages(terse) if terse is not None else None,
            )
        )

    def read(self, key: str, reader, required: bool = False):
        value = self.cells.get(key)
        if blank(value):
            if required:
                self.problem(key, _l("This cell is empty: it is required."))
            return None
        try:
            return reader(key, value)
        except _Cell as refusal:
            self.problem(key, refusal.message, refusal.terse)
            return None

    def text(self, key: str, value) -> str:
        text = re.sub(r"\s+", " ", _as_text(value)).strip()
        limit = MAX_TEXT.get(key)
        if limit and len(text) > limit:
            raise _Cell(_l("At most %(max)s characters.", max=limit))
        return text

    def choice(self, key: str, value):
        return self._find(self.vocabulary.lists[key], _as_text(value).strip())

    def choices(self, key: str, value) -> list:
        found = []
        for part in _as_text(value).split(SEPARATOR):
            if part.strip():
                chosen = self._find(self.vocabulary.lists[key], part.strip())
                if chosen not in found:
                    found.append(chosen)
        return found

    @staticmethod
    def _find(choices, text: str):
        value = choices.find(text)
        shown = text if len(text) <= 60 else text[:59] + "…"
        sheet = _l("Allowed values")
        if value is AMBIGUOUS:
            raise _Cell(
                _l(
                    "“%(value)s” matches several allowed values: write its code, from the sheet "
                    "“%(sheet)s”.",
                    value=shown,
                    sheet=sheet,
                ),
                _l(
                    "Matches several allowed values: write its code, from the sheet “%(sheet)s”.",
                    sheet=sheet,
                ),
            )
        if value is None:
            raise _Cell(
                _l(
                    "“%(value)s” is not an allowed value: see the sheet “%(sheet)s”.",
                    value=shown,
                    sheet=sheet,
                ),
                _l("Not an allowed value: see the sheet “%(sheet)s”.", sheet=sheet),
            )
        return value

    def day(self, _key: str, value) -> date:
        if isinstance(value, datetime):
            found = value.date()
        elif isinstance(value, date):
            found = value
        elif isinstance(value, int | float):
            raise _Cell(
                _l(
                    "This is a number, not a date: format the cell as a date, or write the date "
                    "as dd/mm/yyyy."
                )
            )
        elif isinstance(value, str) and TEXT_DATE.fullmatch(value.strip()):
            try:
                found = datetime.strptime(value.strip(), "%d/%m/%Y").date()
            except ValueError as error:
                raise _Cell(_l("There is no such day: check the day and the month.")) from error
        else:
            raise _Cell(
                _l(
                    "The date is written as text that is not dd/mm/yyyy: write it like "
                    "05/03/2026, or enter it as a date."
                )
            )
        if found.year < 1900:
            raise _Cell(_l("There is no such day: check the day and the month."))
        return found

    def past_day(self, key: str, value) -> date:
        found = self.day(key, value)
        if found > clock.today():
            raise _Cell(_l("This date is in the future."))
        return found

    def year(self, _key: str, value) -> int:
        text = _as_text(value).strip().removesuffix(".0")
        if not re.fullmatch(r"\d{4}", text):
            raise _Cell(_l("Write the year with four digits, for example 1998."))
        year, this_year = int(text), clock.today().year
        if not 1900 <= year <= this_year:
            raise _Cell(
                _l("The year must be between %(first)s and %(last)s.", first=1900, last=this_year)
            )
        return year


def _as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_rows(sheet: Sheet, vocabulary: Vocabulary) -> list[RowResult]:
    return [_parse_row(number, cells, sheet, vocabulary) for number, cells in sheet.rows]


def _parse_row(number: int, cells: dict, sheet: Sheet, vocabulary: Vocabulary) -> RowResult:
    reader = _RowReader(number, cells, sheet, vocabulary)
    row = reader.row
    row.full_name = reader.read("full_name", reader.text, required=True) or ""
    row.sex = reader.read("sex", reader.choice, required=True) or ""
    _read_age(reader)
    _read_home(reader)
    row.return_route_id = reader.read("return_route", reader.choice, required=True)
    row.receiving_agency = reader.read("receiving_agency", reader.text, required=True) or ""
    row.received_on = reader.read("received_on", reader.past_day, required=True)
    row.exploitation_country_id = reader.read("exploitation_country", reader.choice)
    row.exploitation_form_ids = reader.read("exploitation_forms", reader.choices) or []
    row.identification_status = (
        reader.read("identification_status", reader.choice, required=True) or ""
    )
    _read_consent(reader)
    _read_stay(reader)
    return RowResult(row, reader.problems)


def _read_age(reader: _RowReader) -> None:
    row = reader.row
    row.date_of_birth = reader.read("date_of_birth", reader.past_day)
    row.estimated_birth_year = reader.read("estimated_birth_year", reader.year)
    given = [key for key in AGE_COLUMNS if not blank(reader.cells.get(key))]
    if len(given) == 2:
        reader.problem(
            "estimated_birth_year",
            _l("Give either the date of birth or an estimated birth year, not both."),
        )
    elif not given:
        column = "date_of_birth" if "date_of_birth" in reader.sheet.columns else AGE_COLUMNS[1]
        reader.problem(column, _l("Give the date of birth or an estimated birth year."))


def _read_home(reader: _RowReader) -> None:
    row = reader.row
    row.home_province_id = reader.read("home_province", reader.choice, required=True)
    province_id = row.home_province_id
    if province_id is None:
        return  # the commune is looked up within the province: nothing to check it against

    def commune(key, value):
        choices = reader.vocabulary.communes.get(province_id)
        found = choices.find(_as_text(value).strip()) if choices else None
        if found is None or found is AMBIGUOUS:
            raise _Cell(_l("This is not a commune or ward of the home province."))
        return found

    row.home_commune_id = reader.read("home_commune", commune)


def _read_consent(reader: _RowReader) -> None:
    row = reader.row
    row.consent_given = reader.read("consent", reader.choice, required=True) == "given"
    row.consent_date = reader.read("consent_date", reader.past_day, required=True)
    covers = reader.read("consent_covers", reader.choices) or []
    row.consent_storage = "storage" in covers
    row.consent_sharing = "sharing" in covers
    row.consent_contact = "contact" in covers
    row.consent_agencies = reader.read("consent_agencies", reader.text) or ""


STAY_COLUMNS = ("admitted_on", "planned_end", "discharged_on", "destination")


def _read_stay(reader: _RowReader) -> None:
    row = reader.row
    row.admitted_on = reader.read("admitted_on", reader.past_day)
    row.planned_end = reader.read("planned_end", reader.day)
    row.discharged_on = reader.read("discharged_on", reader.past_day)
    row.destination_id = reader.read("destination", reader.choice)
    filled = {key for key in STAY_COLUMNS if not blank(reader.cells.get(key))}
    if not filled:
        return
    if "admitted_on" not in filled:
        reader.problem(
            "admitted_on", _l("Give the date of admission: other stay cells are filled.")
        )
        return
    if "discharged_on" in filled and "destination" not in filled:
        reader.problem("destination", _l("Give the destination: the person was discharged."))
    if "destination" in filled and "discharged_on" not in filled:
        reader.problem("discharged_on", _l("Give the date of discharge: a destination is given."))
    _check_planned_end(reader)


def _check_planned_end(reader: _RowReader) -> None:
    row = reader.row
    if row.admitted_on is None or row.planned_end is None:
        return
    if row.planned_end <= row.admitted_on:
        reader.problem("planned_end", _l("The planned end must come after the admission."))
    elif row.planned_end > legal_end(row.admitted_on):
        reader.problem(
            "planned_end",
            _l(
                "Essential-needs support lasts at most %(days)s days from admission: the stay "
                "cannot end after %(day)s.",
                days=current_app.config["ESSENTIAL_NEEDS_MAX_DAYS"],
                day=day(legal_end(row.admitted_on)),
            ),
        )
