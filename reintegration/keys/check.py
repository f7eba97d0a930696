"""At start: the app has its keys, and they are the ones the database was encrypted with."""

import logging

from flask import current_app, render_template
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import clock
from ..database import writing
from ..errors import database_unavailable
from ..extensions import db
from .keyring import KeyProblem, keyring, problem_with_keys
from .models import DataKeyRecord

log = logging.getLogger(__name__)


def check_keys(app) -> None:
    """Refuse to start (KeyProblem, which says what to do) without keys, or with keys that do
    not open this database; record a key added in front of the keyring."""
    if problem := problem_with_keys(app):
        raise KeyProblem(problem)
    with app.app_context():
        try:
            if not inspect(db.engine).has_table(DataKeyRecord.__tablename__):
                return  # a schema before encryption: its migration records the key
            records = db.session.scalars(select(DataKeyRecord)).all()
        except OperationalError:
            # The database is down: the app starts and answers "unavailable" until it is
            # back (errors.py); the keys are checked at the first request that reaches it,
            # before anything is read or written with them.
            log.warning("data keys not checked yet: the database cannot be reached")
            app.extensions[UNCHECKED] = True
            app.before_request(check_once)
            return
        finally:
            db.session.remove()
        problem = mismatch(records)
        if problem:
            raise KeyProblem(problem)
        record_current()
        db.session.remove()


UNCHECKED = "data_keys_unchecked"


def check_once():
    """Before the first request of a process whose start could not reach the database: the
    keys must open it, or every request answers "unavailable" (503), reading and writing
    nothing, and the log says why."""
    # current_app is typed as the app itself, not as the proxy to it.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.extensions.get(UNCHECKED):
        return None
    try:
        if not inspect(db.engine).has_table(DataKeyRecord.__tablename__):
            app.extensions[UNCHECKED] = False
            return None
        problem = mismatch(db.session.scalars(select(DataKeyRecord)).all())
    except OperationalError as error:
        return database_unavailable(error)
    finally:
        db.session.rollback()
    if problem:
        log.error("The data keys do not open this database: %s", problem)
        return render_template("errors/unavailable.html"), 503, {"Retry-After": "30"}
    app.extensions[UNCHECKED] = False
    return None


def mismatch(records) -> str | None:
    """Why the keyring does not open a database whose keys are ``records``; None if it does."""
    ring = keyring()
    for record in records:
        if record.retired_at is not None:
            continue
        key = ring.get(record.id)
        if key is None:
            return (
                f"The database's personal fields are encrypted with the data key {record.id}, "
                f"which {ring.source} does not hold. Bring the key file (or DATA_KEYS) this "
                "database was made with; without it the names, addresses and notes cannot be "
                "read."
            )
        if key.verifier != record.verifier:
            return (
                f"The data key {record.id} in {ring.source} is not the key {record.id} this "
                "database was encrypted with (another installation's key file?). Bring the "
                "right key file; nothing was changed."
            )
    return None


def record_current() -> None:
    """A key put first in the keyring by hand (or by ``keys rotate``) is recorded, so that a
    later start knows it."""
    key = keyring().current
    if db.session.get(DataKeyRecord, key.id) is not None:
        db.session.rollback()
        return
    db.session.rollback()
    try:
        with writing():
            if db.session.get(DataKeyRecord, key.id) is None:
                db.session.add(
                    DataKeyRecord(id=key.id, verifier=key.verifier, added_at=clock.utcnow())
                )
            # At the app's start, outside any request: a unit of work of its own.
            db.session.commit()
    except (IntegrityError, OperationalError):  # another worker recorded it, or is busy
        db.session.rollback()
