"""One-time submission keys: a form sent twice is saved once.

A double click on "Save", a retry after an answer that looked slow or failed, a browser that
sends the form again: each sends the same form twice. Every form that adds a record carries a
random key (``SubmissionKey``), made when the form is first shown and kept when it comes back
with errors, and the key is written to ``submissions`` before the record:

- ``claim`` (called by ``web.applied``, just before the change) inserts (user, key) in the
  request's own transaction. The key is spent only if the record is committed with it: a rule
  that refuses the change rolls back, the key with it, and the corrected form can be sent again.
- A second sending finds the key claimed. On PostgreSQL its INSERT waits on the primary key
  until the first transaction ends, then inserts nothing (or, if the first rolled back, claims
  the key itself); on SQLite a POST's transaction begins IMMEDIATE, so it starts after the first
  committed. It changes nothing and is sent to the page the first was sent to (``record_result``,
  from ``web.saved_redirect``, in the first's transaction), with a message; when that page
  is not known, the form is shown again with the message.
- ``answer_resubmission`` (before every request) answers a key already committed at once, before
  the view's own checks run: otherwise the second sending of an intake would be shown the first
  as a possible duplicate, and a follow-up would be "already recorded". The claim stays the guard
  for sendings that overlap.

Keys belong to a user, so (user_id, key) is the primary key, and the unique index the second
sending waits on: someone else's key opens nothing. A form sent without a key (a page opened
before the upgrade, a script) is saved as before. A key is kept ``KEEP`` after it was claimed;
each claim sweeps the user's older keys through the index on (user_id, created_at), so the table
holds about two days of each user's saves. A form that both adds and edits (facility, course,
employer, plan, goal) carries a key too: a double-clicked edit is then answered as saved, not
as a conflict with the user's own first click (versions.py). Views that catch rule errors
themselves (the payment register, communes, the import) call ``claim`` directly.
"""

import re
import secrets
from datetime import datetime, timedelta

from flask import abort, flash, g, redirect, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ForeignKey, Index, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import HiddenField
from wtforms.form import BaseForm

from . import clock
from .database import insert
from .errors import DomainError
from .extensions import Model, db
from .forms import UNREADABLE
from .types import created_at_column

KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
KEEP = timedelta(days=2)
FIELD = "submission"

ALREADY_SAVED = _l("This form was already sent and saved; here is what was saved.")
SAVED_ONCE = _l("This form was already sent and saved once; it was not saved again.")


class Submission(Model):
    """A key that saved a form, and the page its saving led to."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_user_id_created_at", "user_id", "created_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()
    # Where the saving led (a path on this site); NULL until the saving redirects.
    result_path: Mapped[str | None] = mapped_column(String(2000))


class SubmissionKey(BaseForm):
    """Mixin for a form that adds a record: a hidden one-time key (``form.hidden_tag()``).

    Put it before the form's base class: ``class ServiceForm(SubmissionKey, Form)``.
    """

    submission = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.submission.data:
            self.submission.data = secrets.token_urlsafe(24)

    def posted_key(self) -> str | None:
        """The key the browser sent, if it sent one that can be a key."""
        raw = self.submission.raw_data
        key = raw[0] if raw else ""
        return key if KEY.fullmatch(key) else None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        raw = self.submission.raw_data
        if self.submission.errors or (raw and raw[0] and self.posted_key() is None):
            if UNREADABLE not in self.form_errors:
                self.form_errors.append(UNREADABLE)
            return False
        return valid


def claim(form) -> None:
    """Spend ``form``'s key in this transaction, before the record is written.

    A key already spent answers the request: a redirect to what was saved (through an
    HTTPException that carries it), or a DomainError shown on the form when that is not known.
    """
    key = form.posted_key() if isinstance(form, SubmissionKey) else None
    if key is None or not current_user.is_authenticated:
        return
    now = clock.utcnow()
    _sweep(current_user.id, now)
    claimed = db.session.execute(
        insert(Submission)
        .values(user_id=current_user.id, key=key, created_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(Submission.key)
    ).scalar()
    if claimed is not None:
        g.submission = key
        return
    _answer_saved(_result_of(current_user.id, key))
    raise DomainError(SAVED_ONCE)


def record_result(path: str) -> None:
    """Remember where this request's saving leads, in the transaction about to commit."""
    key = g.pop("submission", None)
    if key is None:
        return
    db.session.execute(
        update(Submission)
        .where(Submission.user_id == current_user.id, Submission.key == key)
        .values(result_path=path)
    )


def answer_resubmission():
    """Before a view runs: a form whose key was already saved goes to what was saved."""
    if request.method != "POST" or not current_user.is_authenticated:
        return None
    key = request.form.get(FIELD, "")
    if not KEY.fullmatch(key):
        return None
    _answer_saved(_result_of(current_user.id, key))
    return None


def _answer_saved(path: str | None) -> None:
    if path is None:
        return
    db.session.rollback()
    flash(str(ALREADY_SAVED), "info")
    abort(redirect(path))


def _result_of(user_id: int, key: str) -> str | None:
    return db.session.scalar(
        select(Submission.result_path).where(Submission.user_id == user_id, Submission.key == key)
    )


def _sweep(user_id: int, now: datetime) -> None:
    db.session.execute(
        delete(Submission).where(Submission.user_id == user_id, Submission.created_at < now - KEEP)
    )
