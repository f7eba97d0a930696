"""No lost update: an edit form carries the version of the record it was read at.

Saving a form read at an older version changes nothing; the form comes back with the user's
own values, the current version, and what the others changed since (who, when, each field's
old and new value, read from the audit log), so the user merges by hand and saves again.

Two guards, because the check and the write are not one statement:

- before the change, the posted version is compared with the record's (a save that reads the
  record after another one committed: always on SQLite, whose writers queue);
- the UPDATE itself names the version it read (SQLAlchemy's version counter, see
  ``types.Versioned``), so when two saves pass the first guard at the same moment, the second
  matches no row and SQLAlchemy raises StaleDataError, shown as the same conflict.

The version counts edits, one per flush that changes what the audit log records: not
bookkeeping (the columns the audit skips, such as a user's last login), so a user's form read
before their login is still current. Each count is written in the record's audit entry, which
is how a conflict finds the changes made after the version a form was read at. A bulk UPDATE
of a versioned table counts itself (``version = version + 1``) and logs it (``record_update``).

A form posted without a version (a page opened before the upgrade) is saved as before.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import MANYTOONE, Session, joinedload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, Field, SelectFieldBase
from wtforms.widgets import HiddenInput

from .audit.models import Action, AuditEntry
from .audit.services import record_update
from .extensions import db
from .formatting import day, moment, money
from .forms import DayField, MoneyField
from .types import Versioned
from .web import applied

# The other people's changes listed at most: enough to merge, bounded whatever happened.
MAX_CHANGES = 20

# Columns that no form shows under their own name, shown with these labels.
COLUMN_LABELS = {
    "stage": _l("Stage"),
    "status": _l("Status"),
    "planned_end": _l("Planned end"),
    "discharged_on": _l("Date of discharge"),
    "decided_by_id": _l("Decided by"),
    "decided_at": _l("Decided on"),
    "done_on": _l("Date"),
    "session_version": _l("Sessions ended"),
    "discharge_planned_on": _l("Planned date of discharge"),
    "planned_destination_id": _l("Expected destination"),
    "active": _l("Active"),
}

# Columns whose change is not an edit, on every table (the audit log skips them too).
_NOT_EDITS = frozenset({"version", "created_at", "updated_at"})

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class VersionField(Field):
    """The version a form was read at, hidden. Unreadable input counts as no version sent,
    but is kept apart so that it is refused rather than saved blind."""

    widget = HiddenInput()

    def _value(self):
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if text.isascii() and text.isdigit() and len(text) <= 18:
            self.data = int(text)
        elif text:
            self.data = -1  # no record has it: the form is shown again, current


class VersionedForm:
    """Mixin for the edit form of a record several people may edit at once."""

    version = VersionField()
    # Other people's changes since the version the form was read at, when it was older.
    conflict: "Conflict | None" = None
    # Columns shown by a field of another name: {"planned_end": "new_end"}.
    column_fields: dict[str, str] = {}


@dataclass
class FieldChange:
    label: str
    old: str = ""
    new: str = ""
    hidden: bool = False  # a sensitive column: the audit log keeps no value


@dataclass
class Change:
    who: str
    at: datetime
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class Conflict:
    changes: list[Change]


def register_errorhandler(app: Flask) -> None:
    """A save that met another one where no edit form can show it (a button that moves a
    status, a login): nothing is saved, and the user is asked to look again, never an error."""
    app.register_error_handler(StaleDataError, _saved_meanwhile)


def _saved_meanwhile(_error):
    db.session.rollback()
    return render_template("errors/409.html"), 409


# Counting the edits


# The records whose version this transaction counted already: one count per save, however
# many flushes it takes.
_COUNTED = "versions_counted"


@event.listens_for(Session, "before_flush")
def _count_edits(session: Session, _context, _instances) -> None:
    counted = session.info.setdefault(_COUNTED, set())
    with session.no_autoflush:
        for obj in session.dirty:
            if not isinstance(obj, Versioned):
                continue
            key = (type(obj), obj.id)
            if key not in counted and _count(obj):
                counted.add(key)


@event.listens_for(Session, "after_commit")
def _forget_counts(session: Session) -> None:
    session.info.pop(_COUNTED, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_counts_undone(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_COUNTED, None)


def _count(obj: Versioned) -> bool:
    history = inspect(obj).attrs.version.history
    if history.has_changes():  # counted by the code itself: a change the flush cannot see
        new = history.added[0]
        old = history.deleted[0] if history.deleted else new - 1
    elif _edited(obj):
        old = obj.version
        new = obj.version = old + 1
    else:
        return False
    # The flush writes the version as bookkeeping, which the audit hook does not see.
    record_update(obj, {"version": old}, {"version": new})
    return True


def _edited(obj: Versioned) -> bool:
    """Whether ``obj`` has a change to write that the audit log will record."""
    state = inspect(obj)
    skipped = _NOT_EDITS | getattr(obj, "__audit_skip__", frozenset())
    columns = (attr.key for attr in state.mapper.column_attrs if attr.key not in skipped)
    if any(state.attrs[key].history.has_changes() for key in columns):
        return True
    return any(_relation_changed(obj, state, relation) for relation in state.mapper.relationships)


def _relation_changed(obj, state, relation) -> bool:
    history = state.attrs[relation.key].history
    if not history.has_changes():
        return False
    if relation.secondary is not None:
        return True
    if relation.direction is not MANYTOONE:
        return False  # the other rows change, not this one
    # The old target may not have been loaded: compare the key this row holds.
    target = history.added[0] if history.added else None
    return any(
        getattr(obj, state.mapper.get_property_by_column(local).key)
        != (None if target is None else getattr(target, remote.key, None))
        for local, remote in relation.local_remote_pairs
    )


# The edit forms


def read_at(form, record):
    """Give ``form`` the version ``record`` has now; returns the form."""
    if _stored(record) and form.version.data is None:
        form.version.data = record.version
    return form


def saved(form, record, change) -> bool:
    """Validate ``form`` and apply ``change`` to ``record`` only if the form was read at the
    record's current version; else show the conflict on the form and change nothing.

    ``record`` may be None or not stored yet (a form that creates): then no version is checked.
    """
    if not form.is_submitted():
        read_at(form, record)
        return False
    current = _is_current(form, record)
    if not form.validate() or not current:
        return False
    try:
        if not applied(form, change):
            return False
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        _show_conflict(form, record, form.version.data)
        return False
    return True


def outdated(form, record) -> bool:
    """Whether ``form`` was sent from a page read before ``record`` last changed."""
    sent = form.version.data if form.is_submitted() else None
    return sent is not None and _stored(record) and sent != record.version


def made(form, record, change):
    """Like ``saved``, and hands back what the change made (None when it was not saved)."""
    results = []
    return results[0] if saved(form, record, lambda: results.append(change())) else None


def _is_current(form, record) -> bool:
    posted = form.version.data
    if posted is None or not _stored(record):
        return True
    if posted == record.version:
        return True
    _show_conflict(form, record, posted)
    return False


def _stored(record) -> bool:
    return record is not None and inspect(record).has_identity


def _show_conflict(form, record, read_version: int) -> None:
    """The form now carries the current version: saving it again saves the user's values."""
    form.version.data = record.version
    form.conflict = Conflict(_changes_since(form, record, read_version))


def _changes_since(form, record, read_version: int) -> list[Change]:
    """What the audit log recorded of ``record`` after ``read_version``, oldest first."""
    entries = db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.user))
        .where(
            AuditEntry.entity == record.__tablename__,
            AuditEntry.entity_id == record.id,
            AuditEntry.action == Action.UPDATE,
        )
        .order_by(AuditEntry.id.desc())
        .limit(MAX_CHANGES)
    )
    changes = []
    for entry in entries:
        after = _version_after(entry)
        if after is not None and after <= read_version:
            break
        if after is not None:
            changes.append(_change(form, record, entry))
    return changes[::-1]


def _version_after(entry: AuditEntry) -> int | None:
    value = (entry.changes or {}).get("version")
    return value[1] if isinstance(value, list) and len(value) == 2 else None


def _change(form, record, entry: AuditEntry) -> Change:
    who = entry.user.display_name if entry.user else entry.username
    fields = [
        _field_change(form, record, column, value)
        for column, value in (entry.changes or {}).items()
        if column != "version"
    ]
    return Change(who=who, at=entry.at, fields=fields)


def _field_change(form, record, column: str, value) -> FieldChange:
    bound = _field_for(form, column)
    label = str(bound.label.text) if bound is not None else _column_label(column)
    if value == "changed":
        return FieldChange(label, hidden=True)
    if isinstance(value, dict):  # a list of choices: what was ticked and unticked
        added = ", ".join(_shown(bound, item) for item in value.get("added", []))
        removed = ", ".join(_shown(bound, item) for item in value.get("removed", []))
        return FieldChange(label, removed or "—", added or "—")
    old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
    if not isinstance(bound, SelectFieldBase):
        named = _namer(record, column)
        if named is not None:
            return FieldChange(label, named(old), named(new))
    return FieldChange(label, _shown(bound, old), _shown(bound, new))


def _namer(record, column: str):
    """How to name a value no list of the form names: a status by its label, a foreign key
    by the record it points to."""
    enum_class = getattr(getattr(record.__table__.c.get(column), "type", None), "enum_class", None)
    if enum_class is not None and hasattr(enum_class, "labels"):
        labels = {member.value: str(label) for member, label in enum_class.labels().items()}
        return lambda value: labels.get(value, _shown(None, value))
    target = _target_of(record, column)
    if target is not None:
        return lambda value: _name_of(target, value)
    return None


def _target_of(record, column: str):
    """The class a foreign key column points to, when the form has no list to name it."""
    for relation in inspect(type(record)).relationships:
        if relation.direction is MANYTOONE and any(
            local.key == column for local, _remote in relation.local_remote_pairs
        ):
            return relation.mapper.class_
    return None


def _name_of(target, key) -> str:
    found = db.session.get(target, key) if isinstance(key, int) else None
    return str(found) if found is not None else _shown(None, key)


def _field_for(form, column: str):
    name = form.column_fields.get(column) or column
    for candidate in (name, name.removesuffix("_id")):
        if candidate in form and candidate != "version":
            return form[candidate]
    return None


def _column_label(column: str) -> str:
    label = COLUMN_LABELS.get(column)
    return str(label) if label else column.removesuffix("_id").replace("_", " ").capitalize()


def _shown(bound, value) -> str:
    """A value as the form would show it: a choice by its label, a date as dd/mm/yyyy."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or isinstance(bound, BooleanField):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(bound, SelectFieldBase):
        label = _choice_label(bound, value)
        if label is not None:
            return label
    if isinstance(bound, MoneyField) and isinstance(value, int):
        return money(value)
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return day(date.fromisoformat(value))
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return moment(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(bound, DayField) and isinstance(value, date):
        return day(value)
    return str(value)


def _choice_label(bound, value) -> str | None:
    choices = bound.choices or []
    if isinstance(choices, dict):  # grouped choices
        choices = [choice for group in choices.values() for choice in group]
    for choice in choices:
        key, label = (choice[0], choice[1]) if isinstance(choice, tuple | list) else (choice,) * 2
        if str(key) == str(value):
            return str(label)
    return None
