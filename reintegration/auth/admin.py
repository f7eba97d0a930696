"""Administrators manage accounts: create, change role and scope, reset, deactivate."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..access import Permission, Role, require
from ..errors import DomainError
from ..extensions import db
from ..reference.models import Province
from ..reference.queries import NONE_CHOICE, province_choices
from ..shelter.models import Facility
from ..versions import read_at, saved
from ..web import applied, saved_redirect
from . import services
from .forms import ActiveForm, NewUserForm, PasswordForm, UserForm
from .models import User

bp = Blueprint("users", __name__, url_prefix="/admin/users")


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _fill_choices(form: UserForm) -> None:
    facilities = db.session.scalars(select(Facility).order_by(Facility.name)).all()
    form.facility.choices = [NONE_CHOICE, *[(f.id, f.name) for f in facilities]]
    form.province.choices = province_choices()


def _scope_values(form: UserForm):
    facility = db.session.get(Facility, form.facility.data) if form.facility.data else None
    province = db.session.get(Province, form.province.data) if form.province.data else None
    return facility, province


@bp.get("/")
@require(Permission.ADMINISTER)
def index():
    users = db.session.scalars(
        select(User)
        .options(selectinload(User.facility), selectinload(User.province))
        .order_by(User.active.desc(), User.username)
    ).all()
    return render_template("auth/users.html", users=users)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def new():
    form = NewUserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        facility, province = _scope_values(form)
        if applied(
            form,
            lambda: services.create_user(
                form.username.data or "",
                form.password.data or "",
                Role(form.role.data),
                facility=facility,
                province=province,
                full_name=form.full_name.data or "",
                email=form.email.data,
            ),
        ):
            flash(_("The account is created."), "success")
            return saved_redirect("users.index")
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def edit(user_id: int):
    user = _user_or_404(user_id)
    form = UserForm(obj=user, role=user.role.value, facility=user.facility_id)
    if not form.is_submitted():
        form.province.data = user.province_id
    _fill_choices(form)
    form.username.render_kw = {"readonly": True}
    if saved(form, user, lambda: _update(form, user)):
        flash(_("The account is saved."), "success")
        return saved_redirect("users.index")
    return render_template(
        "auth/user_form.html",
        form=form,
        user=user,
        password_form=PasswordForm(),
        active_form=ActiveForm(),
    )


def _update(form: UserForm, user: User) -> None:
    facility, province = _scope_values(form)
    services.update_user(
        user,
        Role(form.role.data),
        facility,
        province,
        form.full_name.data or "",
        form.email.data,
        current_user,
    )


@bp.post("/<int:user_id>/password")
@require(Permission.ADMINISTER)
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    form = PasswordForm()
    if form.validate_on_submit() and applied(
        form, lambda: services.set_password(user, form.password.data or "")
    ):
        flash(_("The password is reset; the user's open sessions are ended."), "success")
        return saved_redirect("users.edit", user_id=user.id)
    # Not read from this request's form (the password's): the stored values and version.
    edit_form = UserForm(formdata=None, obj=user, role=user.role.value, facility=user.facility_id)
    read_at(edit_form, user)
    edit_form.province.data = user.province_id
    _fill_choices(edit_form)
    return render_template(
        "auth/user_form.html",
        form=edit_form,
        user=user,
        password_form=form,
        active_form=ActiveForm(),
    ), 400


@bp.post("/<int:user_id>/active")
@require(Permission.ADMINISTER)
def set_active(user_id: int):
    user = _user_or_404(user_id)
    form = ActiveForm()
    if form.validate_on_submit():
        try:
            services.set_active(user, form.active.data, current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            return redirect(url_for("users.edit", user_id=user.id))
        flash(
            _("The account is active.") if user.active else _("The account is deactivated."),
            "success",
        )
        return saved_redirect("users.edit", user_id=user.id)
    return redirect(url_for("users.edit", user_id=user.id))
