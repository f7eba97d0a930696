from flask import Blueprint, current_app, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .. import clock
from ..access import Permission, require
from ..audit.services import record_view
from ..cases.models import Case
from ..cases.queries import case_or_404
from ..extensions import db
from ..reference.models import ListItem, ListKind, ServiceKind
from ..reference.queries import (
    entitled_type_ids,
    item_choices,
    province_choices,
    service_kind_choices,
)
from ..versions import saved
from ..web import Sections, applied, saved_redirect
from . import queries, services
from .forms import (
    AdmitForm,
    DischargeForm,
    DischargePlanForm,
    ExtendForm,
    FacilityForm,
    ServiceForm,
)
from .models import Facility, Stay
from .queries import facilities_in_scope, facility_or_404, stay_or_404

bp = Blueprint("shelter", __name__)

# The facility page's sections from the domains above shelter (web.Sections): each maker takes
# the facility and the user who sees the page.
facility_sections = Sections("facility")


@bp.route("/cases/<int:case_id>/admit", methods=["GET", "POST"])
@require(Permission.MANAGE_STAYS)
def admit(case_id: int):
    case = case_or_404(case_id)
    form = AdmitForm()
    facilities = facilities_in_scope(current_user)
    form.facility.choices = [(f.id, f.name) for f in facilities]
    if not form.is_submitted():
        form.admitted_on.data = clock.today()
        form.facility.data = case.facility_id or (facilities[0].id if facilities else None)
    full = None
    if form.validate_on_submit():
        facility = next(f for f in facilities if f.id == form.facility.data)
        if services.is_full(facility) and not form.confirm_full.data:
            full = facility
        else:
            if applied(
                form, lambda: services.admit(case, facility, form.admitted_on.data, current_user)
            ):
                if queries.residents_count(facility) > facility.capacity:
                    flash(_("The facility is over its capacity."), "warning")
                flash(_("The person is admitted."), "success")
                return saved_redirect("cases.show", case_id=case.id)
    return render_template("shelter/admit.html", case=case, form=form, full=full)


@bp.route("/stays/<int:stay_id>/extend", methods=["GET", "POST"])
@require(Permission.MANAGE_STAYS)
def extend(stay_id: int):
    stay = stay_or_404(stay_id)
    form = ExtendForm()
    if saved(
        form,
        stay,
        lambda: services.extend(
            stay,
            form.new_end.data,
            form.reason.data or "",
            form.approved_by.data or "",
            current_user,
        ),
    ):
        flash(_("The stay is extended."), "success")
        return saved_redirect("cases.show", case_id=stay.case_id)
    return render_template(
        "shelter/extend.html",
        stay=stay,
        case=stay.case,
        form=form,
        legal_end=services.legal_end(stay.admitted_on),
    )


@bp.route("/stays/<int:stay_id>/discharge", methods=["GET", "POST"])
@require(Permission.MANAGE_STAYS)
def discharge(stay_id: int):
    stay = stay_or_404(stay_id)
    form = DischargeForm()
    form.destination.choices = item_choices(ListKind.DESTINATION)
    if not form.is_submitted():
        # The plan may name a day still to come; a discharge is recorded once it has happened.
        form.discharged_on.data = min(stay.discharge_planned_on or clock.today(), clock.today())
        form.destination.data = stay.planned_destination_id
    if saved(
        form,
        stay,
        lambda: services.discharge(
            stay,
            form.discharged_on.data,
            db.get_or_404(ListItem, form.destination.data),
            form.destination_address.data or "",
            form.discharge_note.data or "",
            current_user,
        ),
    ):
        flash(_("The person is discharged."), "success")
        return saved_redirect("cases.show", case_id=stay.case_id)
    return render_template("shelter/discharge.html", stay=stay, case=stay.case, form=form)


@bp.route("/stays/<int:stay_id>/discharge-plan", methods=["GET", "POST"])
@require(Permission.MANAGE_STAYS)
def plan_discharge(stay_id: int):
    stay = stay_or_404(stay_id)
    form = DischargePlanForm()
    form.planned_destination.choices = item_choices(ListKind.DESTINATION)
    if not form.is_submitted():
        form.discharge_planned_on.data = stay.discharge_planned_on
        form.planned_destination.data = stay.planned_destination_id
    if saved(
        form,
        stay,
        lambda: services.plan_discharge(
            stay,
            form.discharge_planned_on.data,
            db.get_or_404(ListItem, form.planned_destination.data),
        ),
    ):
        flash(_("The discharge is planned."), "success")
        return saved_redirect("cases.show", case_id=stay.case_id)
    return render_template(
        "shelter/discharge_plan.html",
        stay=stay,
        case=stay.case,
        form=form,
        legal_end=services.legal_end(stay.admitted_on),
    )


@bp.route("/cases/<int:case_id>/services/new", methods=["GET", "POST"])
@require(Permission.RECORD_SERVICES)
def new_service(case_id: int):
    case = case_or_404(case_id, joinedload(Case.stays))
    form = ServiceForm()
    form.kind.choices = service_kind_choices()
    if not form.is_submitted():
        form.provided_on.data = clock.today()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.record_service(
            case,
            db.get_or_404(ServiceKind, form.kind.data),
            form.provided_on.data,
            form.provider.data or "",
            form.notes.data or "",
            form.checked_cost,
            current_user,
        ),
    ):
        flash(_("The service is recorded."), "success")
        return saved_redirect("cases.show", case_id=case.id)
    return render_template(
        "shelter/service_form.html",
        case=case,
        form=form,
        entitled=entitled_type_ids(case.identification_status),
    )


@bp.get("/facilities/")
@require(Permission.VIEW_FACILITIES)
def facilities():
    return render_template(
        "shelter/facilities.html", rows=queries.facilities_with_occupancy(current_user)
    )


@bp.get("/facilities/<int:facility_id>")
@require(Permission.VIEW_FACILITIES)
def facility(facility_id: int):
    facility = facility_or_404(facility_id)
    record_view(facility)  # the page names the residents
    return render_template(
        "shelter/facility.html",
        overview=queries.facility_overview(facility, current_user),
        sections=facility_sections.made(facility, current_user),
        today=clock.today(),
    )


def _facility_form_page(form: FacilityForm, facility: Facility | None):
    form.province.choices = province_choices()
    facility = facility or Facility()
    if saved(
        form,
        facility,
        lambda: services.save_facility(
            facility,
            code=form.code.data or "",
            name=form.name.data,
            province_id=form.province.data,
            address=form.address.data or "",
            capacity=form.capacity.data,
            standard_stay_days=form.standard_stay_days.data,
            active=form.active.data,
        ),
    ):
        flash(_("The facility is saved."), "success")
        return saved_redirect("shelter.facility", facility_id=facility.id)
    return render_template(
        "shelter/facility_form.html", form=form, facility=facility if facility.id else None
    )


@bp.route("/admin/facilities/new", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def new_facility():
    return _facility_form_page(FacilityForm(), None)


@bp.route("/admin/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def edit_facility(facility_id: int):
    facility = db.get_or_404(Facility, facility_id)
    form = FacilityForm(obj=facility)
    if not form.is_submitted():
        form.province.data = facility.province_id
    return _facility_form_page(form, facility)


@bp.app_template_global()
def stay_badge_class(stay: Stay) -> str:
    """How a resident's line stands out: overstayed, ending soon, or on track."""
    if stay.is_overstayed():
        return "danger"
    if stay.ends_within(current_app.config["STAY_ENDING_SOON_DAYS"], clock.today()):
        return "warning"
    return "secondary"
