"""Writing the audit log.

Changes to audited models are captured by one session hook, so no service can forget them;
views, logins and exports are recorded explicitly.
"""

import enum
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache

from flask import g, has_request_context, make_response, request
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapper, Session

from .. import clock
from ..database import writing
from ..errors import database_busy
from ..extensions import db
from ..keys.fields import Encrypted
from . import chain
from .models import Action, AuditEntry

# Who acts outside a request (a flask command): (user id, username).
cli_actor: ContextVar[tuple[int | None, str] | None] = ContextVar("cli_actor", default=None)


@contextmanager
def acting_as(username: str):
    """Name the actor of a flask command in the audit log, for the duration of the command."""
    token = cli_actor.set((None, username))
    try:
        yield
    finally:
        cli_actor.reset(token)


def _actor() -> tuple[int | None, str]:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.username
    return cli_actor.get() or (None, "")


def _ip() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def record(
    action: Action,
    entity: str = "",
    entity_id: int | None = None,
    case_id: int | None = None,
    changes: dict | None = None,
    user_id: int | None = None,
    username: str | None = None,
) -> None:
    """Add an entry to the current transaction."""
    actor_id, actor_name = _actor()
    db.session.add(
        AuditEntry(
            at=clock.utcnow(),
            user_id=user_id if user_id is not None else actor_id,
            username=username if username is not None else actor_name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            case_id=case_id,
            changes=changes,
            ip=_ip(),
        )
    )


def record_update(obj, old: dict, new: dict) -> None:
    """Log a change written with a bulk UPDATE, which the flush hooks never see."""
    hidden = hidden_columns(obj)
    changes = {
        name: "changed" if name in hidden else [_plain(old.get(name)), _plain(value)]
        for name, value in new.items()
    }
    _merge(db.session.info.setdefault(_PENDING, {}), Action.UPDATE, obj, changes)


def record_view(obj) -> None:
    """Note that the page being made shows ``obj``; written once the page is made.

    Not in the request's own transaction: a page only reads, so on SQLite it never holds the
    write lock, and a colleague's save between its reads and this entry would make that
    transaction fail (see ``database``). ``write_views`` writes it in one of its own.
    """
    actor_id, actor_name = _actor()
    g.setdefault(_VIEWS, []).append(
        {
            "at": clock.utcnow(),
            "user_id": actor_id,
            "username": actor_name,
            "action": Action.VIEW,
            "entity": obj.__tablename__,
            "entity_id": obj.id,
            "case_id": _case_id(obj),
            "changes": None,
            "ip": _ip(),
        }
    )


_VIEWS = "audit_views"


def write_views(response):
    """After-request hook: the views noted while a page was made, in a short transaction that
    waits for the write lock; a page whose views cannot be logged is not shown (the "database
    is busy" page instead: an after-request hook's error would reach no error handler)."""
    views = g.pop(_VIEWS, None)
    if not views or response.status_code >= 400 or request.method == "HEAD":
        return response  # HEAD runs the page's view, but no one sees the page
    # Why a GET writes: who looked at a person's record is itself a record an auditor reads.
    # A short transaction of its own, on purpose, after the request's commit (unit_of_work.py)
    # has ended the page's reads.
    db.session.commit()  # ends any read begun since (nothing is pending on a page that views)
    try:
        with writing():
            chain.append(db.session.connection(), views)
            db.session.commit()
    except OperationalError as error:
        return make_response(database_busy(error))
    return response


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "code"):
        return value.code
    return str(value)


def _case_id(obj) -> int | None:
    if obj.__tablename__ == "cases":
        return obj.id
    if hasattr(obj, "audit_case_id"):
        return obj.audit_case_id
    return getattr(obj, "case_id", None)


# Bookkeeping columns every row has; their changes say nothing to an auditor.
_SKIPPED = frozenset({"updated_at", "created_at"})


def hidden_columns(obj: object) -> frozenset[str]:
    """Columns whose values the log never holds, only that they changed: the model's
    ``__audit_hidden__`` (a password hash) and every encrypted field. The log is append-only
    and travels with every copy of the database: it must not become a second store of
    identities, in clear or under a key a rotation could not reach."""
    model: type = type(obj)
    return _hidden(model)


@cache
def _hidden(model) -> frozenset[str]:
    encrypted = {
        attr.key
        for attr in inspect(model).column_attrs
        if any(isinstance(column.type, Encrypted) for column in attr.columns)
    }
    return frozenset(encrypted) | frozenset(getattr(model, "__audit_hidden__", ()))


def _column_changes(obj, only_changed: bool) -> dict:
    state = inspect(obj)
    hidden = hidden_columns(obj)
    skipped = _SKIPPED | getattr(obj, "__audit_skip__", frozenset())
    changes: dict[str, object] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in skipped:
            continue
        history = state.attrs[key].history
        if only_changed and not history.has_changes():
            continue
        if key in hidden:
            changes[key] = "changed"
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else getattr(obj, key)
        if only_changed:
            changes[key] = [_plain(old), _plain(new)]
        elif new is not None and new != "":
            changes[key] = _plain(new)
    for relation in state.mapper.relationships:
        if relation.secondary is None:
            continue
        history = state.attrs[relation.key].history
        if history.has_changes():
            changes[relation.key] = {
                "added": [_plain(item) for item in history.added],
                "removed": [_plain(item) for item in history.deleted],
            }
    return changes


@event.listens_for(Mapper, "mapper_configured")
def _keep_old_values(mapper: Mapper, cls) -> None:
    """Load a column's stored value before it is overwritten, so the log can show it even when
    the row was expired (after a commit) and is changed without being read first."""
    if not getattr(cls, "__audited__", False):
        return
    for attr in mapper.column_attrs:
        event.listen(getattr(cls, attr.key), "set", _unchanged, active_history=True, retval=True)


def _unchanged(_target, value, _old, _initiator):
    return value


def _is_audited(obj) -> bool:
    return getattr(type(obj), "__audited__", False)


_PENDING = "audit_pending"


def _merge(pending: dict, action: Action, obj, changes) -> None:
    """One entry per record and transaction, however many flushes it took."""
    key = (obj.__tablename__, obj.id)
    entry = pending.get(key)
    if entry is None or action == Action.DELETE:
        pending[key] = {"action": action, "obj": obj, "changes": changes}
        return
    if entry["action"] == Action.CREATE:
        entry["changes"].update(
            {name: value[1] for name, value in changes.items() if isinstance(value, list)}
        )
        return
    merged = entry["changes"]
    for name, value in changes.items():
        if isinstance(value, list) and isinstance(merged.get(name), list):
            merged[name] = [merged[name][0], value[1]]
        else:
            merged[name] = value
    entry["changes"] = {
        k: v for k, v in merged.items() if not (isinstance(v, list) and v[0] == v[1])
    }


@event.listens_for(Session, "after_flush")
def _collect_changes(session: Session, _context) -> None:
    pending = session.info.setdefault(_PENDING, {})
    for obj in filter(_is_audited, session.new):
        _merge(pending, Action.CREATE, obj, _column_changes(obj, only_changed=False))
    for obj in filter(_is_audited, session.dirty):
        if session.is_modified(obj, include_collections=True):
            changes = _column_changes(obj, only_changed=True)
            if changes:
                _merge(pending, Action.UPDATE, obj, changes)
    for obj in filter(_is_audited, session.deleted):
        _merge(pending, Action.DELETE, obj, None)


def write_changes(session: Session) -> set[int]:
    """The first step of a commit (``unit_of_work.on_commit``): the changes collected at each
    flush, written as entries in the committing transaction. Returns the cases they touched
    (a reminder's own changes aside), for the reminders to look at again."""
    session.flush()
    pending = session.info.pop(_PENDING, {})
    rows = [
        entry for entry in pending.values() if entry["changes"] or entry["action"] != Action.UPDATE
    ]
    changed_cases = {
        case_id
        for entry in rows
        if entry["obj"].__tablename__ not in ("reminders", "reminder_marks")
        and (case_id := _case_id(entry["obj"])) is not None
    }
    if not rows:
        return changed_cases
    actor_id, actor_name = _actor()
    now, ip = clock.utcnow(), _ip()
    chain.append(
        session.connection(),
        [
            {
                "at": now,
                "user_id": actor_id,
                "username": actor_name,
                "action": entry["action"],
                "entity": entry["obj"].__tablename__,
                "entity_id": entry["obj"].id,
                "case_id": _case_id(entry["obj"]),
                "changes": entry["changes"],
                "ip": ip,
            }
            for entry in rows
        ],
    )
    return changed_cases


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
