from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from ..access import Permission, Role, can
from ..auth.services import any_user_exists
from ..casefile.queries import dashboard
from ..operations import status
from ..training.queries import course_summaries

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if not any_user_exists():
        return redirect(url_for("auth.setup"))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    counts = None
    if can(current_user, Permission.VIEW_CASES):
        counts = dashboard(current_user, current_app.config["STAY_ENDING_SOON_DAYS"])
    summaries = course_summaries(current_user) if current_user.role == Role.TRAINER else None
    return render_template(
        "main/home.html",
        counts=counts,
        summaries=summaries,
        facility=current_user.facility if current_user.role == Role.SHELTER_STAFF else None,
        stalled_tasks=[task for task in status.tasks() if task.alarming]
        if can(current_user, Permission.ADMINISTER)
        else [],
    )
