"""Open sessions: each user's own list (end any one, or all the others), and an administrator's
"end all sessions" of a user."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import Permission, require
from ..audit.models import Action
from ..audit.services import record
from ..extensions import db
from . import sessions
from .models import User
from .session_models import EndReason

bp = Blueprint("sessions", __name__)


@bp.app_template_global()
def open_sessions_of(user_id: int):
    """A user's open sessions, for the administrator's page of the user."""
    return sessions.open_sessions(user_id)


@bp.get("/account/sessions")
@login_required
def mine():
    return render_template(
        "auth/sessions.html",
        sessions=sessions.open_sessions(current_user.id),
        current_id=sessions.current_id(),
    )


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_one(session_id: int):
    row = sessions.own_session_or_404(current_user.id, session_id)
    if sessions.end_one(row, EndReason.BY_USER):
        record(Action.SESSIONS_ENDED, "users", current_user.id)
        flash(_("The session is ended."), "success")
    else:
        flash(_("That session had already ended."), "info")
    return redirect(url_for("sessions.mine"))


@bp.post("/account/sessions/end-others")
@login_required
def end_others():
    if sessions.end_all(current_user.id, EndReason.BY_USER, keep_current=True):
        record(Action.SESSIONS_ENDED, "users", current_user.id)
    flash(_("Your other sessions are ended."), "success")
    return redirect(url_for("sessions.mine"))


@bp.post("/admin/users/<int:user_id>/sessions/end")
@require(Permission.ADMINISTER)
def end_for_user(user_id: int):
    user = db.get_or_404(User, user_id)
    # An administrator ending their own sessions stays logged in here.
    sessions.end_all(user.id, EndReason.BY_ADMINISTRATOR, keep_current=user.id == current_user.id)
    record(Action.SESSIONS_ENDED, "users", user.id)
    flash(_("The user's sessions are ended."), "success")
    return redirect(url_for("users.edit", user_id=user.id))
