from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..access import Role
from ..audit.models import Action
from ..audit.services import record
from ..database import reads_only
from ..errors import DomainError
from ..extensions import db
from ..forms import attach_error
from ..web import applied, local_path
from . import services, sessions
from .forms import ChangePasswordForm, LanguageForm, LoginForm, SetupForm
from .totp_views import after_password, must_enrol_first

bp = Blueprint("auth", __name__)


def start_session(user) -> None:
    session.clear()
    login_user(user)
    session.permanent = True
    sessions.begin(user.id)


@bp.route("/login", methods=["GET", "POST"])
@reads_only  # until the password is checked: authenticate writes in a transaction of its own
def login():
    if not services.any_user_exists():
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm(next=local_path(request.args.get("next")))
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.username.data or "", form.password.data or "", request.remote_addr
            )
        except services.LoginRefused as refusal:
            # Failed attempts and lockouts are kept whatever the page answers: the
            # throttle's counters, committed at once (auth/throttle.py).
            db.session.commit()
            form.form_errors.append(refusal.message)
        else:
            db.session.commit()  # the outcome, before the session's own row (sessions.begin)
            return after_password(user, local_path(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    sessions.end_current(sessions.EndReason.LOGOUT)
    record(Action.LOGOUT, "users", current_user.id)
    db.session.commit()  # while the user is logged in: the audit entries name them
    language = current_user.language
    logout_user()
    session.clear()
    session["language"] = language  # the login page stays in the language the user reads
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """Create the first administrator: open only while the database has no user."""
    if request.method == "POST":
        services.lock_setup()
    if services.any_user_exists():
        if request.method == "POST":  # sent twice: the first sending made the administrator
            return redirect(url_for("auth.login"))
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.username.data or "",
                form.password.data or "",
                Role.ADMIN,
                full_name=form.full_name.data or "",
                language=get_locale().language,  # the language the setup page was read in
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()  # the administrator, before the session's own row (sessions.begin)
            start_session(user)
            must_enrol_first(user)
            flash(_("Welcome. You are the administrator of this installation."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/setup.html", form=form)


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.language = form.language.data
        session["language"] = form.language.data
    return redirect(local_path(form.next.data) or url_for("main.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not services.current_password_accepted(
            current_user, form.current.data or "", request.remote_addr
        ):
            db.session.commit()  # the failed guess is counted whatever the page answers
            form.current.errors = [
                *form.current.errors,
                _(
                    "This is not your current password, or too many attempts: wait a moment "
                    "and try again."
                ),
            ]
        elif applied(form, lambda: services.set_password(current_user, form.password.data or "")):
            db.session.commit()  # the password, before the new session's own row (sessions.begin)
            # The user, not the proxy: stored as the session's user, the proxy would
            # resolve to itself and recurse without end.
            start_session(current_user._get_current_object())
            flash(_("Your password is changed."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
