"""``/health``: whether this server can serve, for a load balancer or a monitor.

It says whether the database answers, whether its schema is the one this code expects, and
whether the scheduler's work is recent: the reminder pass, and the nightly backup where it is
on (``ok``, ``running``, ``late``, ``failed``, ``never`` or ``off``). It says nothing else: no
version, no secret, no count of people. It answers 503 when the server cannot serve (database
unreachable, schema other than the code's), so a load balancer stops sending users to it; late
or failed scheduled work is ``degraded`` with 200, since the pages still work, for a monitor to
raise.
"""

from flask import Blueprint
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..extensions import csrf, db
from . import runs, schema, status

bp = Blueprint("health", __name__)


def schema_state() -> str:
    """``current``, ``behind`` (migrations to run), ``ahead`` (a newer release's database) or
    ``empty``. Raises the database's error if it cannot be reached."""
    revision = schema.revision_of(db.session.connection())
    if revision is None:
        return "empty"
    if revision == schema.head():
        return "current"
    return "behind" if schema.is_known(revision) else "ahead"


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
