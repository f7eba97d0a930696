"""``/health``: whether this server can serve, for a load balancer or a monitor.

It says whether the database answers, whether its schema is the one this code expects, and
whether the scheduler's work is recent: the reminder pass, and the nightly backup where it is
on (``ok``, ``running``, ``late``, ``failed``, ``never`` or ``off``). It says nothing else: no
version, no secret, no count of people. It answers 503 when the server cannot serve (database
unreachable, schema other than the code's), so a load balancer stops sending users to it; late
or failed scheduled work is ``degraded`` with 200, since the pages still work, for a monitor to
raise.
"""

import functools

from alembic.script import ScriptDirectory
from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..database import MIGRATIONS
from ..extensions import csrf, db
from . import runs, status

bp = Blueprint("health", __name__)


@functools.cache
def _head() -> str:
    return ScriptDirectory(MIGRATIONS).get_current_head()


def schema_state() -> str:
    """``current``, ``behind`` (migrations to run), ``ahead`` (a newer release's database) or
    ``empty``. Raises the database's error if it cannot be reached."""
    try:
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as error:
        if error.connection_invalidated or "alembic_version" not in str(error.orig):
            raise
        db.session.rollback()
        return "empty"
    if version == _head():
        return "current"
    if version is None:
        return "empty"
    known = {script.revision for script in ScriptDirectory(MIGRATIONS).walk_revisions()}
    return "behind" if version in known else "ahead"


@bp.get("/health")
@csrf.exempt
def health():
    answer = {"status": "ok"}
    try:
        answer["database"] = "ok"
        answer["schema"] = schema_state()
    except (DBAPIError, PoolTimeout):
        db.session.rollback()
        answer.update(status="unavailable", database="unreachable", schema="unknown")
        return answer, 503, {"Cache-Control": "no-store"}
    if answer["schema"] != "current":
        answer["status"] = "unavailable"
        return answer, 503, {"Cache-Control": "no-store"}
    scheduled = {task.name: task for task in status.tasks()}
    answer["reminder_pass"] = scheduled[runs.REMINDER_PASS].state.value
    answer["backup"] = scheduled[runs.BACKUP].state.value
    if any(task.alarming for task in scheduled.values() if task.name != runs.DIGEST):
        answer["status"] = "degraded"
    db.session.rollback()
    return answer, 200, {"Cache-Control": "no-store"}
