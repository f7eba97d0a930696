from collections.abc import Sequence

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..access import Permission, require
from ..cases.queries import case_or_404
from ..extensions import db
from ..plans.models import Dimension
from ..reference.models import ListItem, ListKind
from ..reference.queries import item_choices
from ..versions import outdated, saved
from ..web import applied, saved_redirect
from . import queries, services
from .forms import FollowUpForm, IndicatorEditForm, IndicatorForm, ResolveFlagForm, check_form
from .models import FollowUp, Indicator

bp = Blueprint("followups", __name__)


@bp.get("/followups/")
@require(Permission.RECORD_FOLLOWUPS)
def due():
    return render_template(
        "followups/due.html",
        followups=queries.due_followups(current_user),
        flags=queries.open_flags(current_user),
        today=clock.today(),
    )


def _risk_signs(ids: list[int]) -> Sequence[ListItem]:
    if not ids:
        return []
    return db.session.scalars(
        select(ListItem).where(ListItem.id.in_(ids), ListItem.kind == ListKind.RISK_SIGN)
    ).all()


def _followup_form() -> FollowUpForm:
    form = FollowUpForm(item_choices(ListKind.RISK_SIGN, blank=False))
    if not form.is_submitted():
        form.done_on.data = clock.today()
    return form


def _record(form: FollowUpForm, followup: FollowUp) -> None:
    services.record_followup(
        followup,
        form.done_on.data,
        risk_signs=_risk_signs(form.risk_signs.data or []),
        user=current_user,
        **form.found(),
    )


def _recorded(form: FollowUpForm, followup: FollowUp):
    flash(_("The follow-up is recorded."), "success")
    if followup.risk_signs:
        flash(_("A risk of re-trafficking is flagged on the case."), "warning")
    if form.go_on_to_check.data:
        return saved_redirect("followups.check", followup_id=followup.id)
    return saved_redirect("cases.show", case_id=followup.case_id)


@bp.route("/followups/<int:followup_id>/record", methods=["GET", "POST"])
@require(Permission.RECORD_FOLLOWUPS)
def record(followup_id: int):
    followup = queries.followup_or_404(followup_id)
    form = _followup_form()
    # A form read before someone else recorded it comes back with what they found (versions).
    if followup.is_done and not outdated(form, followup):
        flash(_("This follow-up is already recorded."), "info")
        return redirect(url_for("cases.show", case_id=followup.case_id))
    if saved(form, followup, lambda: _record(form, followup)):
        return _recorded(form, followup)
    return render_template(
        "followups/record.html", form=form, case=followup.case, followup=followup
    )


@bp.route("/cases/<int:case_id>/followups/new", methods=["GET", "POST"])
@require(Permission.RECORD_FOLLOWUPS)
def new(case_id: int):
    case = case_or_404(case_id)
    form = _followup_form()
    followup = services.unplanned_followup(case)
    if form.validate_on_submit() and applied(form, lambda: _record(form, followup)):
        return _recorded(form, followup)
    return render_template("followups/record.html", form=form, case=case, followup=None)


@bp.route("/followups/<int:followup_id>/check", methods=["GET", "POST"])
@require(Permission.RECORD_FOLLOWUPS)
def check(followup_id: int):
    followup = queries.followup_or_404(followup_id)
    if not followup.is_done or followup.check is not None:
        flash(_("A sustainability check is done once, at a recorded follow-up."), "info")
        return redirect(url_for("cases.show", case_id=followup.case_id))
    indicators = services.active_indicators()
    form = check_form(indicators)
    if form.validate_on_submit() and applied(
        form,
        lambda: services.record_check(
            followup, {i.id: form[f"indicator_{i.id}"].data for i in indicators}, indicators
        ),
    ):
        flash(_("The sustainability check is recorded."), "success")
        return saved_redirect("cases.show", case_id=followup.case_id)
    return render_template(
        "followups/check.html",
        form=form,
        case=followup.case,
        followup=followup,
        indicators=indicators,
    )


@bp.route("/risk-flags/<int:flag_id>/resolve", methods=["GET", "POST"])
@require(Permission.RECORD_FOLLOWUPS)
def resolve(flag_id: int):
    flag = queries.risk_flag_or_404(flag_id)
    if not flag.is_open:
        flash(_("This flag is already resolved."), "info")
        return redirect(url_for("cases.show", case_id=flag.case_id))
    form = ResolveFlagForm()
    if not form.is_submitted():
        form.resolved_on.data = clock.today()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.resolve_flag(
            flag, form.resolved_on.data, form.note.data or "", current_user
        ),
    ):
        flash(_("The risk flag is resolved."), "success")
        return saved_redirect("cases.show", case_id=flag.case_id)
    return render_template(
        "followups/resolve.html",
        form=form,
        flag=flag,
        case=case_or_404(flag.case_id),
        section=queries.followup_section(flag.case_id),
    )


@bp.route("/admin/indicators", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def indicators():
    form = IndicatorForm()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.save_indicator(
            Indicator(),
            code=form.code.data,
            dimension=Dimension(form.dimension.data),
            name_vi=form.name_vi.data,
            name_en=form.name_en.data,
            weight=form.weight.data,
        ),
    ):
        flash(_("The indicator is added."), "success")
        return saved_redirect("followups.indicators")
    rows = db.session.scalars(
        select(Indicator).order_by(Indicator.dimension, Indicator.sort_order, Indicator.id)
    ).all()
    return render_template("followups/indicators.html", indicators=rows, form=form)


@bp.route("/admin/indicators/<int:indicator_id>", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def edit_indicator(indicator_id: int):
    indicator = db.get_or_404(Indicator, indicator_id)
    form = IndicatorEditForm(obj=indicator)
    if saved(
        form,
        indicator,
        lambda: services.save_indicator(
            indicator,
            name_vi=form.name_vi.data,
            name_en=form.name_en.data,
            weight=form.weight.data,
            active=form.active.data,
        ),
    ):
        flash(_("The indicator is saved."), "success")
        return saved_redirect("followups.indicators")
    return render_template("followups/indicator_form.html", indicator=indicator, form=form)
