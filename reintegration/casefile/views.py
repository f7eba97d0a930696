from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..access import Permission, can, require
from ..allowances.queries import case_section as allowance_section
from ..allowances.queries import timeline_events as allowance_events
from ..audit.services import record_view
from ..cases import services as cases
from ..cases.forms import CaseFilterForm, CaseForm, CloseForm, ReopenForm
from ..cases.models import Case, Stage
from ..cases.queries import case_or_404
from ..cases.timeline import timeline
from ..database import reads_only
from ..employment.queries import placements_for_case
from ..employment.queries import timeline_events as placement_events
from ..errors import DomainError
from ..extensions import db
from ..followups.queries import followup_section
from ..followups.queries import timeline_events as followup_events
from ..forms import number_arg
from ..plans.queries import plan_for_case
from ..plans.queries import timeline_events as plan_events
from ..reference.models import IdentificationStatus
from ..reference.queries import entitled_type_ids, provinces, support_types
from ..shelter.models import Facility
from ..shelter.queries import facilities_in_scope
from ..training import queries as training
from ..versions import saved
from ..web import applied, saved_redirect
from . import queries, services

bp = Blueprint("cases", __name__, url_prefix="/cases")


FILTERS = ("facility", "stage", "status", "days", "sort")


def _filter_form(data) -> CaseFilterForm:
    form = CaseFilterForm(data)
    facilities = facilities_in_scope(current_user, active_only=False)
    form.facility.choices = [("", _("All facilities")), *[(f.id, f.name) for f in facilities]]
    form.stage.choices = [("", _("All stages")), *Stage.choices()]
    form.status.choices = [("", _("All statuses")), *IdentificationStatus.choices()]
    form.days.choices = [("", _("Any")), *[(k, str(v)) for k, v in queries.DAY_FILTERS.items()]]
    form.sort.choices = [(k, str(v[0])) for k, v in queries.SORTS.items()]
    form.validate()
    return form


def _case_list(data):
    form = _filter_form(data)
    filters = queries.CaseFilters(
        q=(form.q.data or "").strip(),
        facility_id=form.facility.data if not form.facility.errors else None,
        stage=form.stage.data or "",
        status=form.status.data or "",
        days=form.days.data or "",
        sort=form.sort.data or "received",
    )
    page = queries.search_cases(
        current_user, filters, number_arg(data, "page", 1), current_app.config["CASES_PER_PAGE"]
    )
    return render_template("cases/index.html", form=form, page=page, today=clock.today())


@bp.get("/")
@require(Permission.VIEW_CASES)
def index():
    """The list with its filters in the address, so it can be bookmarked. A search text is
    never taken from the address (it may be a name, which an address carries into server logs
    and browser history): the same list without it, at an address without it."""
    if "q" in request.args:
        # A name starting with "_" is never a filter, and url_for would read it as its own
        # option (_scheme, _external...): left out of the address.
        kept: dict[str, Any] = {
            name: value
            for name, value in request.args.items()
            if name != "q" and not name.startswith("_")
        }
        return redirect(url_for("cases.index", **kept), 303)
    return _case_list(request.args)


@bp.post("/")
@require(Permission.VIEW_CASES)
@reads_only
def search():
    """The same list searched by code or name. The text may be a name: it is posted, and
    kept neither in the address (server logs, browser history) nor in the session cookie."""
    if not (request.form.get("q") or "").strip():
        chosen: dict[str, Any] = {
            name: value for name in FILTERS if (value := request.form.get(name))
        }
        return redirect(url_for("cases.index", **chosen))
    return _case_list(request.form)


def _case_form(case: Case | None = None) -> CaseForm:
    form = CaseForm()
    form.fill_choices(facilities_in_scope(current_user))
    if case is not None and not form.is_submitted():
        form.load(case)
    return form


def _intake_province(form: CaseForm):
    """The province that receives the case: the facility's, else the user's."""
    if form.facility.data:
        return db.get_or_404(Facility, form.facility.data).province
    province_id = current_user.scope_province_id
    if province_id is None:
        raise DomainError(_("Choose the facility that receives the person."), "facility")
    return next(p for p in provinces() if p.id == province_id)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.CREATE_CASES)
def new():
    form = _case_form()
    if not form.is_submitted():
        form.received_on.data = form.consent_date.data = clock.today()
        form.facility.data = current_user.facility_id
    duplicates = None
    if form.validate_on_submit():
        duplicates = cases.find_duplicates(
            current_user, form.full_name.data or "", form.date_of_birth.data, form.home_commune.data
        )
        if not duplicates or form.confirm_duplicate.data == duplicates.token:
            case = Case()
            form.store(case)
            # Shelter staff receive at their own facility, the only one whose cases they see.
            case.facility_id = form.facility.data or current_user.facility_id
            if applied(form, lambda: cases.create_case(case, _intake_province(form), current_user)):
                flash(_("Case %(code)s is created.", code=case.code), "success")
                return saved_redirect("cases.show", case_id=case.id)
        else:
            form.confirm_duplicate.data = duplicates.token
    return render_template("cases/form.html", form=form, case=None, duplicates=duplicates)


@bp.get("/<int:case_id>")
@require(Permission.VIEW_CASES, refusal=404)
def show(case_id: int):
    case = case_or_404(case_id, *queries.CASE_PAGE)
    record_view(case)
    # Each thing is read once, then given to its section and to the timeline.
    plan = plan_for_case(case.id)
    enrolments = training.enrolments_for_case(case.id)
    placements = placements_for_case(case.id)
    follow_ups = followup_section(case.id)
    entitled = entitled_type_ids(case.identification_status)
    allowances = allowance_section(case, entitled)
    events = (
        timeline(case)
        + plan_events(plan)
        + training.timeline_events(case.id, enrolments)
        + placement_events(case.id, placements)
        + followup_events(case.id, follow_ups)
        + allowance_events(allowances.allowances)
    )
    page = render_template(
        "cases/show.html",
        case=case,
        plan=plan,
        follow_ups=follow_ups,
        placements=placements,
        allowances=allowances,
        enrolments=enrolments,
        events=sorted(events, reverse=True),
        today=clock.today(),
        can_edit=can(current_user, Permission.EDIT_CASES),
        can_manage_stays=can(current_user, Permission.MANAGE_STAYS),
        can_record=can(current_user, Permission.RECORD_SERVICES),
        support_types=support_types(with_kinds=False),
        entitled=entitled,
    )
    return page


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@require(Permission.EDIT_CASES)
def edit(case_id: int):
    case = case_or_404(case_id)
    form = _case_form(case)
    if not form.is_submitted():
        record_view(case)
    if saved(form, case, lambda: _update(form, case)):
        flash(_("The case is saved."), "success")
        return saved_redirect("cases.show", case_id=case.id)
    return render_template("cases/form.html", form=form, case=case, duplicates=None)


def _update(form: CaseForm, case: Case) -> None:
    form.store(case)
    cases.update_case(case, form.facility.data or case.facility_id)


@bp.route("/<int:case_id>/close", methods=["GET", "POST"])
@require(Permission.CLOSE_CASES)
def close(case_id: int):
    case = case_or_404(case_id)
    form = CloseForm()
    if not form.is_submitted():
        form.closed_on.data = clock.today()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.close_case(
            case,
            form.outcome.data,
            form.closed_on.data,
            form.note.data or "",
            form.confirm.data,
            current_user,
        ),
    ):
        flash(_("The case is closed."), "success")
        return saved_redirect("cases.show", case_id=case.id)
    return render_template(
        "cases/close.html", case=case, form=form, open_work=services.open_work(case)
    )


@bp.route("/<int:case_id>/reopen", methods=["GET", "POST"])
@require(Permission.CLOSE_CASES)
def reopen(case_id: int):
    case = case_or_404(case_id)
    form = ReopenForm()
    if not form.is_submitted():
        form.reopened_on.data = clock.today()
    if form.validate_on_submit() and applied(
        form,
        lambda: cases.reopen_case(
            case, form.reopened_on.data, form.reason.data or "", current_user
        ),
    ):
        flash(_("The case is reopened."), "success")
        return saved_redirect("cases.show", case_id=case.id)
    return render_template("cases/reopen.html", case=case, form=form)
