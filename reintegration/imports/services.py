"""Checking a file against the rules of intake and of the shelter, and importing it at once.

Every row goes through the same services as the intake and admission pages (``create_case``,
``admit``, ``discharge``), so an imported case gets its code, its stage, its planned follow-ups
and its audit entries exactly as a typed one does.
"""

from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..access import Role
from ..auth.models import User
from ..cases.models import Case, Sex
from ..cases.services import create_case, find_duplicates
from ..database import let_waiting_writers_in, writing
from ..errors import DomainError
from ..extensions import db
from ..followups.models import FollowUp
from ..reference.models import Commune, IdentificationStatus, ListItem, Province
from ..shelter.models import Facility
from ..shelter.services import admit, discharge
from ..text import fold
from .columns import Vocabulary, in_both_languages
from .parse import read_sheet
from .rows import CaseRow, Problem, parse_rows


@dataclass(frozen=True)
class Shell:
    """Who imports from a shell (``flask import cases``): whoever can run the command can read
    the whole database, so it sees every case; the records it makes name no user, and the audit
    log names the command."""

    id: None = None
    role: Role = Role.ADMIN


SHELL = Shell()

# The field a service names in its refusal, and the column of the template it comes from.
FIELD_COLUMNS = {
    "home_commune": "home_commune",
    "received_on": "received_on",
    "consent_storage": "consent_covers",
    "consent_agencies": "consent_agencies",
    "admitted_on": "admitted_on",
    "discharged_on": "discharged_on",
}


@dataclass
class PossibleDuplicate:
    """A row that may be a person already known: in a case, or in an earlier row of the file."""

    row: int
    # (id, code) of the matching cases the user may see; the others are only counted.
    cases: list[tuple[int, str]] = field(default_factory=list)
    hidden: int = 0
    same_as_row: int | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "PossibleDuplicate":
        return cls(
            data["row"],
            [tuple(case) for case in data["cases"]],
            data["hidden"],
            data["same_as_row"],
        )


@dataclass
class Preview:
    """What an uploaded file would import, or why it cannot."""

    facility_id: int
    # Kept only when every row is right: a file with problems is never imported.
    rows: list[CaseRow]
    problems: list[Problem]
    duplicates: list[PossibleDuplicate]
    ignored_columns: list[str]
    row_count: int

    @property
    def ready(self) -> bool:
        return not self.problems

    @property
    def stay_count(self) -> int:
        return sum(1 for row in self.rows if row.admitted_on)

    @property
    def rows_with_problems(self) -> int:
        return len({problem.row for problem in self.problems})

    def to_json(self) -> dict:
        return {
            "facility_id": self.facility_id,
            "rows": [row.to_json() for row in self.rows],
            "problems": [problem.to_json() for problem in self.problems],
            "duplicates": [duplicate.to_json() for duplicate in self.duplicates],
            "ignored_columns": self.ignored_columns,
            "row_count": self.row_count,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Preview":
        return cls(
            facility_id=data["facility_id"],
            rows=[CaseRow.from_json(row) for row in data["rows"]],
            problems=[Problem(**problem) for problem in data["problems"]],
            duplicates=[PossibleDuplicate.from_json(item) for item in data["duplicates"]],
            ignored_columns=data["ignored_columns"],
            row_count=data["row_count"],
        )


def check_file(data: bytes, facility: Facility, user) -> Preview:
    """Read and check every row of ``data``; raises ``parse.FileRefused`` for an unreadable file.

    Nothing is kept in the database: the rows that read well are imported and undone, so that
    the preview shows the rules' refusals too.
    """
    sheet = read_sheet(data)
    results = parse_rows(sheet, Vocabulary.load())
    rows = [result.row for result in results]
    problems = [problem for result in results for problem in result.problems]
    duplicates = possible_duplicates(rows, user)
    readable = [result.row for result in results if not result.problems]
    problems += rehearse(readable, facility, user, sheet.letters)
    problems.sort(key=lambda problem: problem.row)
    return Preview(
        facility_id=facility.id,
        rows=[] if problems else rows,
        problems=problems,
        duplicates=duplicates,
        ignored_columns=sheet.ignored,
        row_count=len(rows),
    )


def possible_duplicates(rows: list[CaseRow], user) -> list[PossibleDuplicate]:
    """The intake's check for each row, and the same check between the rows of the file."""
    found = []
    earlier: dict[tuple, int] = {}
    for row in rows:
        if not row.full_name:
            continue
        matches = find_duplicates(user, row.full_name, row.date_of_birth, row.home_commune_id)
        keys = _identity_keys(row)
        same_as = next((earlier[key] for key in keys if key in earlier), None)
        for key in keys:
            earlier.setdefault(key, row.number)
        if matches or same_as:
            found.append(
                PossibleDuplicate(
                    row.number,
                    [(case.id, case.code) for case in matches.visible],
                    # Matches outside the user's scope are not counted here: a file of a
                    # thousand names would ask, name by name, who is a victim elsewhere.
                    0,
                    same_as,
                )
            )
    return found


def _identity_keys(row: CaseRow) -> list[tuple]:
    """Same name and birth date, or same name and home commune: the rule of find_duplicates."""
    name = fold(row.full_name)
    keys: list[tuple] = []
    if row.date_of_birth:
        keys.append((name, "born", row.date_of_birth))
    if row.home_commune_id:
        keys.append((name, "commune", row.home_commune_id))
    return keys


# Rows rehearsed per transaction: each holds SQLite's write lock for a fraction of a second.
REHEARSAL_ROWS = 20


def rehearse(rows: list[CaseRow], facility: Facility, user, letters: dict) -> list[Problem]:
    """Import each row in a savepoint, note what the services refuse, then undo everything.

    A few rows at a time, each batch in a short transaction of its own: on SQLite a writer
    holds the one write lock, and a whole file (seconds) would make colleagues' saves wait
    behind it until they gave up. The rows of a file do not depend on each other for these
    rules (duplicates between rows are found by ``possible_duplicates``).
    """
    problems = []
    dialect = db.session.get_bind().dialect.name
    for start in range(0, len(rows), REHEARSAL_ROWS):
        if start:
            let_waiting_writers_in(dialect)
        db.session.rollback()  # ends the reads before: the batch's transaction begins writing
        with writing():
            try:
                for row in rows[start : start + REHEARSAL_ROWS]:
                    problems += _rehearse_row(row, facility, user, letters)
            finally:
                db.session.rollback()
    return problems


def _rehearse_row(row: CaseRow, facility: Facility, user, letters: dict) -> list[Problem]:
    try:
        with db.session.begin_nested():
            import_row(row, facility, user)
    except DomainError as error:
        return [refusal_problem(row.number, error, letters)]
    return []


def refusal_problem(number: int, error: DomainError, letters: dict) -> Problem:
    column = FIELD_COLUMNS.get(error.field or "")
    return Problem(number, column, letters.get(column, ""), in_both_languages(error.message))


class RowRefused(DomainError):
    """A service refused a row during the import: the whole import is undone."""

    def __init__(self, number: int, error: DomainError):
        super().__init__(error.message, error.field)
        self.number = number


def import_rows(rows: list[CaseRow], facility: Facility, user) -> list[Case]:
    """Import every row, in the caller's transaction; the caller commits once, or rolls back
    everything when a row is refused (``RowRefused``)."""
    cases = []
    for row in rows:
        try:
            cases.append(import_row(row, facility, user))
        except DomainError as error:
            raise RowRefused(row.number, error) from error
    return cases


def import_row(row: CaseRow, facility: Facility, user) -> Case:
    get = db.session.get
    case = Case(
        full_name=row.full_name,
        sex=Sex(row.sex),
        date_of_birth=row.date_of_birth,
        estimated_birth_year=row.estimated_birth_year,
        home_province=get(Province, row.home_province_id),
        home_commune=get(Commune, row.home_commune_id) if row.home_commune_id else None,
        return_route=get(ListItem, row.return_route_id),
        receiving_agency=row.receiving_agency,
        received_on=row.received_on,
        exploitation_country=_item(row.exploitation_country_id),
        exploitation_forms=[get(ListItem, item_id) for item_id in row.exploitation_form_ids],
        identification_status=IdentificationStatus(row.identification_status),
        consent_given=row.consent_given,
        consent_date=row.consent_date,
        consent_storage=row.consent_storage,
        consent_sharing=row.consent_sharing,
        consent_contact=row.consent_contact,
        consent_agencies=row.consent_agencies,
        facility_id=facility.id,
    )
    create_case(case, facility.province, user if isinstance(user, User) else None)
    if row.admitted_on is not None:
        _import_stay(case, row, facility, user)
    return case


def _import_stay(case: Case, row: CaseRow, facility: Facility, user) -> None:
    assert row.admitted_on is not None, "called for a row with an admission"
    stay = admit(case, facility, row.admitted_on, user)
    if row.planned_end is not None:
        # The end the old record planned, already checked against the legal limit; an extension
        # (with its reason and approver) is for stays extended from now on.
        stay.planned_end = row.planned_end
    if row.discharged_on is not None:
        destination = _item(row.destination_id)
        assert destination is not None, "the file's check asks a discharge for its destination"
        discharge(stay, row.discharged_on, destination, "", "", user)
        _forget_past_followups(stay)


def _forget_past_followups(stay) -> None:
    """An old discharge plans its follow-ups at 1, 3, 6 and 12 months, most of them long past:
    the old file does not say whether they were made, so only those still ahead are kept, and
    the task lists are not flooded with years-old follow-ups."""
    past = db.session.scalars(
        select(FollowUp).where(
            FollowUp.stay_id == stay.id,
            FollowUp.is_pending,
            FollowUp.planned_on < clock.today(),
        )
    )
    for followup in past:
        db.session.delete(followup)


def _item(item_id: int | None) -> ListItem | None:
    return db.session.get(ListItem, item_id) if item_id else None


def refused_message(error: RowRefused):
    return _l("Row %(row)s: %(message)s", row=error.number, message=error.message)
