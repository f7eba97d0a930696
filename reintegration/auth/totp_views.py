"""Two-factor login pages: the code after the password, enrolment, the account's settings, and
an administrator's reset.

Between the password and the code the session holds only a short-lived, signed "pending"
marker (user, password time, expiry, where to go next), never a logged-in session.
"""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from .. import clock
from ..access import Permission, require
from ..extensions import db
from ..forms import Form
from ..web import local_path
from . import totp
from .models import User

bp = Blueprint("second_factor", __name__)

PENDING = "totp_pending"
MUST_ENROL = "totp_must_enrol"
# What a user who must enrol may still reach before enrolling.
OPEN_WHILE_ENROLLING = frozenset(
    {"second_factor.enrol", "auth.logout", "auth.language", "auth.setup", "static"}
)


class CodeForm(Form):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Type the code.")), Length(max=40)],
    )


class EnrolForm(CodeForm):
    offer = HiddenField()


class ResetForm(Form):
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Say why (a lost phone...).")), Length(max=200)],
    )


def _refuse(form: CodeForm, message) -> None:
    """The message beside the field, emptied: a code is typed afresh, never corrected."""
    form.code.errors = [*form.code.errors, message]
    form.code.raw_data = []
    form.code.data = ""


# -- the pending marker ----------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="second factor pending")


def _set_pending(user: User, next_path: str | None) -> None:
    now = clock.utcnow().timestamp()
    minutes = current_app.config["TOTP_PENDING_MINUTES"]
    session[PENDING] = _serializer().dumps(
        {
            "user": user.id,
            "version": user.session_version,
            "password_at": now,
            "until": now + minutes * 60,
            "next": next_path,
        }
    )


def _pending() -> tuple[User | None, dict]:
    """The user who typed the right password a moment ago, or None (no marker, expired,
    altered, or the account changed since)."""
    token = session.get(PENDING)
    if not token:
        return None, {}
    try:
        marker = _serializer().loads(token)
    except BadSignature:
        return None, {}
    if not isinstance(marker, dict) or marker.get("until", 0) < clock.utcnow().timestamp():
        return None, {}
    user = db.session.get(User, marker.get("user"))
    if user is None or not user.active or user.session_version != marker.get("version"):
        return None, {}
    return user, marker


def after_password(user: User, next_path: str | None):
    """The answer to a right password: the code page for a user with two-factor login; a
    session at once otherwise (and the enrolment first for a role that requires it)."""
    from .views import start_session

    if totp.enrolled(user):
        language = session.get("language") or user.language
        session.clear()
        session["language"] = language  # the code page in the language of the login page
        _set_pending(user, next_path)
        return redirect(url_for("second_factor.code"))
    start_session(user)
    if totp.required(user):
        session[MUST_ENROL] = next_path or url_for("main.home")  # where to go once enrolled
        return redirect(url_for("second_factor.enrol"))
    return redirect(next_path or url_for("main.home"))


def must_enrol_first(user: User) -> None:
    """A session of a role that requires two-factor login, not enrolled yet (setup)."""
    if totp.required(user) and not totp.enrolled(user):
        session[MUST_ENROL] = url_for("main.home")


@bp.before_app_request
def keep_to_enrolment():
    if not session.get(MUST_ENROL) or request.endpoint in OPEN_WHILE_ENROLLING:
        return None
    if not current_user.is_authenticated:
        session.pop(MUST_ENROL, None)
        return None
    return redirect(url_for("second_factor.enrol"))


# -- the code after the password -------------------------------------------------------------


def _start_again():
    session.pop(PENDING, None)
    flash(
        _("Your login was not finished in time. Enter your username and password again."), "warning"
    )
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
def code():
    user, marker = _pending()
    if user is None:
        return _start_again()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            kind = totp.check_code(user, form.code.data or "", request.remote_addr)
        except totp.CodeRefused as refusal:
            db.session.commit()  # the wrong code is counted, though the page answers 400
            _refuse(form, refusal.message)
        else:
            left = totp.recovery_codes_left(user)
            db.session.commit()  # the login, before the session's own row (sessions.begin)
            from .views import start_session

            start_session(user)
            if kind == "recovery":
                flash(
                    _(
                        "You logged in with a recovery code; %(left)s left. Make new ones "
                        "from your account page.",
                        left=left,
                    ),
                    "warning",
                )
            return redirect(local_path(marker.get("next")) or url_for("main.home"))
    return render_template("auth/totp_code.html", form=form), 200 if not form.errors else 400


@bp.post("/login/cancel")
def cancel():
    session.pop(PENDING, None)
    return redirect(url_for("auth.login"))


# -- the account's settings ------------------------------------------------------------------


@bp.get("/account/two-factor")
@login_required
def account():
    factor = totp.factor_of(current_user)
    return render_template(
        "auth/totp_account.html",
        factor=factor,
        required=totp.required(current_user),
        left=totp.recovery_codes_left(current_user) if factor else 0,
        renew_form=CodeForm(prefix="renew"),
        disable_form=CodeForm(prefix="disable"),
    )


def _enrolment_page(form: EnrolForm, status: int = 200):
    secret = totp.offered_secret(current_user, form.offer.data or "")
    if secret is None:
        form.offer.data = totp.offer(current_user)
        secret = totp.offered_secret(current_user, form.offer.data)
        assert secret is not None, "an offer just made always unseals"
    parts = totp.uri_parts(secret, current_user.username)
    return render_template(
        "auth/totp_enrol.html",
        form=form,
        parts=parts,
        qr=totp.qr_svg(parts["uri"]),
        must=bool(session.get(MUST_ENROL)),
    ), status


@bp.route("/account/two-factor/enrol", methods=["GET", "POST"])
@login_required
def enrol():
    if totp.enrolled(current_user):
        session.pop(MUST_ENROL, None)
        return redirect(url_for("second_factor.account"))
    form = EnrolForm()
    if not form.validate_on_submit():
        return _enrolment_page(form, 400 if form.errors else 200)
    secret = totp.offered_secret(current_user, form.offer.data or "")
    if secret is None:  # altered, or made under another key: a new one is offered
        _refuse(form, _("This page is too old. Scan the new code and try again."))
        form.offer.data = ""
        return _enrolment_page(form, 400)
    try:
        codes = totp.enrol(current_user, secret, form.code.data or "")
    except totp.CodeRefused as refusal:
        db.session.rollback()
        _refuse(form, refusal.message)
        return _enrolment_page(form, 400)
    after = local_path(session.pop(MUST_ENROL, None)) or url_for("second_factor.account")
    return _codes_page(codes, _("Two-factor login is on."), after)


def _codes_page(codes: list[str], heading: str, after: str):
    return render_template("auth/totp_codes.html", codes=codes, heading=heading, after=after)


@bp.post("/account/two-factor/recovery-codes")
@login_required
def renew():
    form = CodeForm(prefix="renew")
    if form.validate_on_submit():
        try:
            codes = totp.renew_recovery_codes(
                current_user, form.code.data or "", request.remote_addr
            )
        except totp.CodeRefused as refusal:
            db.session.commit()  # the wrong code is counted, though the page answers 400
            _refuse(form, refusal.message)
        else:
            return _codes_page(codes, _("New recovery codes"), url_for("second_factor.account"))
    return _account_with(renew_form=form)


@bp.post("/account/two-factor/off")
@login_required
def disable():
    if totp.required(current_user):  # the page offers no such form: a crafted request
        flash(_("Your role requires two-factor login: it stays on."), "danger")
        return redirect(url_for("second_factor.account"))
    form = CodeForm(prefix="disable")
    if form.validate_on_submit():
        try:
            totp.disable(current_user, form.code.data or "", request.remote_addr)
        except totp.CodeRefused as refusal:
            db.session.commit()  # the wrong code is counted, though the page answers 400
            _refuse(form, refusal.message)
        else:
            flash(_("Two-factor login is off."), "success")
            return redirect(url_for("second_factor.account"))
    return _account_with(disable_form=form)


def _account_with(**forms):
    factor = totp.factor_of(current_user)
    if factor is None:
        return redirect(url_for("second_factor.account"))
    pages = {"renew_form": CodeForm(prefix="renew"), "disable_form": CodeForm(prefix="disable")}
    pages.update(forms)
    return render_template(
        "auth/totp_account.html",
        factor=factor,
        required=totp.required(current_user),
        left=totp.recovery_codes_left(current_user),
        **pages,
    ), 400


# -- an administrator's reset ----------------------------------------------------------------


@bp.app_template_global()
def second_factor_of(user: User):
    """The user's second factor, or None: for the administrator's page of an account."""
    return totp.factor_of(user)


@bp.route("/admin/users/<int:user_id>/two-factor/reset", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def reset(user_id: int):
    user = db.get_or_404(User, user_id)
    if totp.factor_of(user) is None:
        flash(_("Two-factor login is not on for this account."), "info")
        return redirect(url_for("users.edit", user_id=user.id))
    form = ResetForm()
    if form.validate_on_submit():
        totp.reset(user, form.reason.data or "")
        flash(
            _("Two-factor login is reset: the user sets it up again at the next login."),
            "success",
        )
        return redirect(url_for("users.edit", user_id=user.id))
    status = 400 if form.errors else 200
    return render_template("auth/totp_reset.html", form=form, user=user), status
