"""One commit per request, and what a commit does besides saving.

A request is one unit of work. Views and services change records and at most flush; the
request commits once, here, after its view (``App.dispatch_request``):

- the view returned a page, a file or a redirect (a status below 400): commit;
- the view raised, or answered with an error status (a form refused with 400, a 404): roll
  back, so nothing it flushed is kept, its audit entries and its form's one-time key included.

The commit runs before the after-request hooks and inside Flask's handling of errors, so a save
that meets another (a version conflict, SQLite's lock held too long) gets the same pages as
before: the conflict page, "the database is busy". A redirect after a save
(``web.saved_redirect``) records where it leads in the transaction this commit saves.

Some work keeps transactions of its own, on purpose, each saying so where it commits: writes
after the page is made (the audit of views, a session's "last seen"), counters that must stay
when the request is refused (failed logins and codes), a job that must be committed before its
thread starts, and everything outside a request (commands, scheduled jobs, the background
export, key rotation batches): each of those is its own unit of work.

What a commit does besides saving is one hook, ``on_commit``, registered once below, in this
order:

1. the audit log: the changes to audited records, collected at each flush, written as entries
   in the same transaction (``audit.services.write_changes``);
2. the reminders: the cases those changes touched are looked at again, so a follow-up recorded
   or a discharge settles its reminders at once, not at the next hourly pass
   (``reminders.services.settle_changed_cases``).

A savepoint's commit writes its audit entries; its cases wait for the whole transaction.
"""

import contextlib

from flask import Flask
from flask import session as flask_session
from sqlalchemy import event
from sqlalchemy.orm import Session

from .audit.services import write_changes
from .extensions import db
from .reminders.services import settle_changed_cases

# The cases changed by the savepoints of the transaction under way, for its commit.
_CHANGED_CASES = "unit_of_work_changed_cases"


class App(Flask):
    """The app: each request's view is followed by its one commit, or its rollback."""

    def dispatch_request(self):
        try:
            response = self.make_response(super().dispatch_request())
        except BaseException:
            with contextlib.suppress(Exception):  # a database gone: the error is the view's
                db.session.rollback()
            raise
        if response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            _commit_keeping_what_was_read()
        except BaseException:
            # Not saved: the view's "saved" message must not reach the next page either.
            with contextlib.suppress(Exception):
                db.session.rollback()
            flask_session.pop("_flashes", None)
            raise
        return response


def _commit_keeping_what_was_read() -> None:
    """The request's commit, leaving the rows the page read as they are: the after-request hooks
    (the headers, which ask whether someone is logged in) read the same rows, and expiring them
    would read each again, one more statement on every page."""
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def on_commit(session: Session) -> None:
    """Before a transaction (or a savepoint) commits: the audit entries, then the reminders."""
    session.info.setdefault(_CHANGED_CASES, set()).update(write_changes(session))
    if session.in_nested_transaction():
        return  # a savepoint: the cases are looked at when the whole transaction commits
    settle_changed_cases(session, session.info.pop(_CHANGED_CASES))


def _forget(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_CHANGED_CASES, None)


event.listen(Session, "before_commit", on_commit)
event.listen(Session, "after_soft_rollback", _forget)
