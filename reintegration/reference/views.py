"""Administrators keep the reference lists and the communes of each province."""

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from ..access import Permission, require
from ..errors import DomainError
from ..extensions import db
from ..forms import attach_error
from ..submissions import claim
from ..web import applied, saved_redirect
from . import queries, services
from .forms import CommunesForm, ListItemEditForm, ListItemForm
from .models import Commune, ListItem, ListKind, Province

bp = Blueprint("reference", __name__, url_prefix="/admin")


def _kind_or_404(kind: str) -> ListKind:
    try:
        return ListKind(kind)
    except ValueError:
        abort(404)


@bp.get("/lists/")
@require(Permission.ADMINISTER)
def lists():
    counts = dict(
        db.session.execute(select(ListItem.kind, func.count()).group_by(ListItem.kind)).all()
    )
    communes = dict(
        db.session.execute(
            select(Commune.province_id, func.count()).group_by(Commune.province_id)
        ).all()
    )
    return render_template(
        "reference/lists.html",
        kinds=list(ListKind),
        counts=counts,
        provinces=queries.provinces(),
        communes=communes,
    )


@bp.route("/lists/<kind>", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def list_items(kind: str):
    kind = _kind_or_404(kind)
    form = ListItemForm()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.add_item(
            kind, form.code.data or "", form.name_vi.data or "", form.name_en.data or ""
        ),
    ):
        flash(_("The entry is added."), "success")
        return saved_redirect("reference.list_items", kind=kind.value)
    items = db.session.scalars(
        select(ListItem).where(ListItem.kind == kind).order_by(ListItem.sort_order)
    ).all()
    return render_template("reference/list_items.html", kind=kind, items=items, form=form)


@bp.route("/lists/<kind>/<int:item_id>", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def edit_item(kind: str, item_id: int):
    kind = _kind_or_404(kind)
    item = db.session.scalar(select(ListItem).where(ListItem.id == item_id, ListItem.kind == kind))
    if item is None:
        abort(404)
    form = ListItemEditForm(obj=item)
    if form.validate_on_submit():
        item.name_vi = (form.name_vi.data or "").strip()
        item.name_en = (form.name_en.data or "").strip()
        item.active = form.active.data
        flash(_("The entry is saved."), "success")
        return saved_redirect("reference.list_items", kind=kind.value)
    return render_template("reference/item_form.html", kind=kind, item=item, form=form)


@bp.route("/provinces/<int:province_id>/communes", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def communes(province_id: int):
    province = db.get_or_404(Province, province_id)
    form = CommunesForm()
    if form.validate_on_submit():
        try:
            claim(form)
            added = services.add_communes(
                province,
                (form.names.data or "").splitlines(),
                (form.english.data or "").splitlines(),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(ngettext("%(num)s commune added.", "%(num)s communes added.", added), "success")
            return saved_redirect("reference.communes", province_id=province.id)
    return render_template(
        "reference/communes.html",
        province=province,
        communes=province.communes,
        form=form,
        next_url=request.path,
    )
