"""The administrator's page of the app's own health: scheduled work and the database."""

from flask import Blueprint, current_app, render_template

from ..access import Permission, require
from ..extensions import db
from . import status
from .health import schema_state

bp = Blueprint("operations", __name__, url_prefix="/administration")


@bp.get("/status")
@require(Permission.ADMINISTER)
def overview():
    return render_template(
        "operations/status.html",
        tasks=status.tasks(),
        schema=schema_state(),
        database=db.engine.dialect.name,
        nightly_backup=current_app.config["NIGHTLY_BACKUP"],
        backup_hour=current_app.config["BACKUP_HOUR"],
        backup_keep=current_app.config["BACKUP_KEEP"],
    )
