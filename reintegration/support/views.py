"""Administrators keep the support policy as dated data: who is entitled to which support type,
the standard social-assistance level, allowance kinds and their rules, and public holidays."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock, versions
from ..access import Permission, require
from ..extensions import db
from ..formatting import day
from ..reference.models import IdentificationStatus
from ..reference.queries import entitlement_table, province_choices
from ..web import applied, made, saved_redirect
from . import policy, queries, services
from .forms import (
    DeleteForm,
    EntitlementForm,
    HolidayForm,
    KindEditForm,
    KindForm,
    LevelForm,
    RuleEndForm,
    RuleForm,
    cell,
    rule_data,
)
from .models import AllowanceKind, AllowanceRule, AssistanceLevel, Holiday

bp = Blueprint("policy", __name__, url_prefix="/admin/policy")


@bp.context_processor
def shared():
    return {
        "times_level": policy.times_level,
        "today": clock.today(),
    }


def _refused(form, endpoint: str, **values):
    """A button with nothing to fill in: its refusal is shown above the page it came from."""
    for messages in form.errors.values():
        for message in messages:
            flash(message, "danger")
    return redirect(url_for(endpoint, **values))


# The overview and the entitlement table


@bp.route("/", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def overview():
    types = queries.support_types()
    form = EntitlementForm(types)
    if form.validate_on_submit() and applied(
        form, lambda: services.save_entitlements(form.chosen())
    ):
        flash(_("The entitlement table is saved."), "success")
        return saved_redirect("policy.overview")
    return render_template(
        "support/overview.html",
        form=form,
        types=types,
        statuses=list(IdentificationStatus),
        cell=cell,
        ticked=_ticked(form),
        summary=queries.summary(clock.today()),
    )


def _ticked(form: EntitlementForm) -> set[str]:
    """The boxes to show ticked: as sent when the form comes back, else as stored."""
    if form.is_submitted():
        return set(form.entitled.data or [])
    return {
        cell(status, type_id)
        for status, type_ids in entitlement_table().items()
        for type_id in type_ids
    }


# The standard social-assistance level


@bp.route("/levels", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def levels():
    form = LevelForm()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.add_level(
            form.valid_from.data, form.checked_amount, form.legal_basis.data or ""
        ),
    ):
        flash(_("The level is added."), "success")
        return saved_redirect("policy.levels")
    all_levels = queries.levels()
    return render_template(
        "support/levels.html",
        form=form,
        levels=all_levels,
        in_force=queries.level_in_force(all_levels, clock.today()),
    )


@bp.post("/levels/<int:level_id>/delete")
@require(Permission.ADMINISTER)
def delete_level(level_id: int):
    level = db.get_or_404(AssistanceLevel, level_id)
    start, form = level.valid_from, DeleteForm()
    if form.validate_on_submit() and applied(form, lambda: services.delete_level(level)):
        flash(_("The level in force from %(day)s is deleted.", day=day(start)), "success")
        return saved_redirect("policy.levels")
    return _refused(form, "policy.levels")


# Allowance kinds


@bp.get("/kinds/")
@require(Permission.ADMINISTER)
def kinds():
    return render_template(
        "support/kinds.html",
        groups=queries.kinds_by_type(),
        uses=services.uses(),
        level=queries.level_on(clock.today()),
        ordered=queries.ordered_rules,
    )


@bp.route("/kinds/new", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def new_kind():
    form = KindForm(queries.support_types())
    if form.validate_on_submit():
        kind = made(form, lambda: services.add_kind(form.code.data or "", **form.fields()))
        if kind is not None:
            flash(_("The allowance kind is added: now give it a rule."), "success")
            return saved_redirect("policy.kind", kind_id=kind.id)
    return render_template("support/kind_form.html", form=form, kind=None)


def _kind_or_404(kind_id: int) -> AllowanceKind:
    kind = queries.kind(kind_id)
    if kind is None:
        abort(404)
    return kind


def _kind_data(kind: AllowanceKind) -> dict:
    return {
        "support_type": kind.support_type_id,
        "name_vi": kind.name_vi,
        "name_en": kind.name_en,
        "legal_basis": kind.legal_basis,
        "decision_days": kind.decision_days,
        "active": kind.active,
    }


@bp.route("/kinds/<int:kind_id>", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def kind(kind_id: int):
    kind = _kind_or_404(kind_id)
    form = KindEditForm(queries.support_types(), data=_kind_data(kind))
    if versions.saved(form, kind, lambda: services.update_kind(kind, **form.fields())):
        flash(_("The allowance kind is saved."), "success")
        return saved_redirect("policy.kind", kind_id=kind.id)
    return render_template(
        "support/kind_form.html",
        form=form,
        kind=kind,
        rules=queries.ordered_rules(kind),
        uses=services.uses(kind.id),
        level=queries.level_on(clock.today()),
    )


# Rules of a kind


def _closed_message(closed: AllowanceRule | None) -> str:
    if closed is None:
        return _("The rule is saved.")
    return _(
        "The rule is saved. The earlier rule in force from %(start)s now ends on %(end)s.",
        start=day(closed.valid_from),
        end=day(closed.valid_to),
    )


@bp.route("/kinds/<int:kind_id>/rules/new", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def new_rule(kind_id: int):
    kind = _kind_or_404(kind_id)
    form = RuleForm(province_choices())
    if form.validate_on_submit():
        saved = made(form, lambda: services.add_rule(kind, form.terms()))
        if saved is not None:
            flash(_closed_message(saved[1]), "success")
            return saved_redirect("policy.kind", kind_id=kind.id)
    return render_template("support/rule_form.html", form=form, kind=kind, rule=None)


def _rule_or_404(rule_id: int) -> AllowanceRule:
    rule = queries.rule(rule_id)
    if rule is None:
        abort(404)
    return rule


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def rule(rule_id: int):
    """An unused rule is edited in full; once an allowance uses it, only its end date moves."""
    rule = _rule_or_404(rule_id)
    use = services.use_of(rule)
    if use.count:
        return _end_rule(rule, use)
    return _change_rule(rule)


def _change_rule(rule: AllowanceRule):
    form = RuleForm(province_choices(), data=rule_data(rule))
    changed = versions.made(form, rule, lambda: services.update_rule(rule, form.terms()))
    if changed is not None:
        flash(_closed_message(changed[1]), "success")
        return saved_redirect("policy.kind", kind_id=rule.kind_id)
    return render_template(
        "support/rule_form.html",
        form=form,
        kind=rule.kind,
        rule=rule,
    )


def _end_rule(rule: AllowanceRule, use: services.Use):
    form = RuleEndForm(data={"valid_to": rule.valid_to})
    if versions.saved(form, rule, lambda: services.end_rule(rule, form.valid_to.data)):
        flash(_("The end date of the rule is saved."), "success")
        return saved_redirect("policy.kind", kind_id=rule.kind_id)
    return render_template("support/rule_end.html", form=form, kind=rule.kind, rule=rule, use=use)


@bp.post("/rules/<int:rule_id>/delete")
@require(Permission.ADMINISTER)
def delete_rule(rule_id: int):
    rule = _rule_or_404(rule_id)
    kind_id, form = rule.kind_id, DeleteForm()
    if form.validate_on_submit() and applied(form, lambda: services.delete_rule(rule)):
        flash(_("The rule is deleted."), "success")
        return saved_redirect("policy.kind", kind_id=kind_id)
    return _refused(form, "policy.rule", rule_id=rule_id)


# Public holidays


def _year() -> int:
    """The year asked for in ?year=, else the current one."""
    year = request.args.get("year", type=int)
    return year if year is not None and 2000 <= year <= 2100 else clock.today().year


@bp.route("/holidays", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def holidays():
    form, year = HolidayForm(), _year()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.add_holiday(
            form.day.data, form.name_vi.data or "", form.name_en.data or ""
        ),
    ):
        flash(_("The holiday is added."), "success")
        return saved_redirect("policy.holidays", year=form.day.data.year)
    return render_template(
        "support/holidays.html",
        form=form,
        listing=queries.holiday_year(year, clock.today()),
    )


@bp.post("/holidays/<int:holiday_id>/delete")
@require(Permission.ADMINISTER)
def delete_holiday(holiday_id: int):
    holiday = db.get_or_404(Holiday, holiday_id)
    year, form = holiday.day.year, DeleteForm()
    if form.validate_on_submit() and applied(form, lambda: services.delete_holiday(holiday)):
        flash(_("The holiday is deleted."), "success")
        return saved_redirect("policy.holidays", year=year)
    return _refused(form, "policy.holidays", year=year)
