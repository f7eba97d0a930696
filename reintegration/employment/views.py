from flask import Blueprint, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..access import Permission, Role, can, require
from ..cases.queries import case_or_404
from ..employers import queries as employer_queries
from ..employers import services as employer_services
from ..employers.forms import CheckForm, EmployerForm, answer
from ..employers.models import Employer, EmployerKind
from ..reference.queries import provinces
from ..shelter.views import facility_sections
from ..training.views import course_sections
from ..versions import saved
from ..web import Section, applied, saved_redirect
from . import queries, services
from .forms import EndPlacementForm, PlacementForm
from .models import ContractType, EndReason

bp = Blueprint("employment", __name__)


@bp.get("/employers/")
@require(Permission.VIEW_EMPLOYERS)
def employers():
    return render_template(
        "employment/employers.html", rows=queries.employers_with_checks(current_user)
    )


def _employer_page(employer: Employer, form: CheckForm | None):
    return render_template(
        "employment/employer.html",
        employer=employer,
        checks=employer_queries.checks_of(employer),
        placements=queries.current_placements(employer, current_user),
        refusal=employer_services.refusal(employer),
        problems=employer_services.check_problems,
        form=form,
    )


def _check_form() -> CheckForm:
    form = CheckForm()
    if not form.is_submitted():
        form.checked_on.data = clock.today()
    return form


@bp.get("/employers/<int:employer_id>")
@require(Permission.VIEW_EMPLOYERS)
def employer(employer_id: int):
    employer = employer_queries.employer_or_404(employer_id)
    form = _check_form() if can(current_user, Permission.MANAGE_EMPLOYERS) else None
    return _employer_page(employer, form)


@bp.post("/employers/<int:employer_id>/checks")
@require(Permission.MANAGE_EMPLOYERS)
def record_check(employer_id: int):
    employer = employer_queries.employer_or_404(employer_id)
    form = _check_form()
    if form.validate_on_submit() and applied(
        form,
        lambda: employer_services.record_check(
            employer,
            form.checked_on.data,
            form.checked_by.data or "",
            {name: answer(getattr(form, name).data) for name in employer_services.CHECK_PROBLEMS},
            form.note.data or "",
            current_user,
        ),
    ):
        flash(_("The check is recorded."), "success")
        return saved_redirect("employment.employer", employer_id=employer.id)
    return _employer_page(employer, form)


def _provinces_in_reach():
    """Provinces where the user may register employers: those whose employers they see."""
    if current_user.role == Role.ADMIN:
        return provinces()
    return [p for p in provinces() if p.id == current_user.scope_province_id]


def _employer_form_page(form: EmployerForm, employer: Employer | None):
    form.fill_choices(_provinces_in_reach())
    employer = employer or Employer()
    if not form.is_submitted() and employer.id is None:
        form.province.data = current_user.scope_province_id
    if saved(
        form,
        employer,
        lambda: employer_services.save_employer(
            employer,
            name=form.name.data,
            kind=EmployerKind(form.kind.data),
            sector=form.sector.data or "",
            province_id=form.province.data,
            commune_id=form.commune.data,
            address=form.address.data or "",
            contact_name=form.contact_name.data or "",
            contact_phone=form.contact_phone.data or "",
        ),
    ):
        flash(_("The employer is saved."), "success")
        return saved_redirect("employment.employer", employer_id=employer.id)
    return render_template(
        "employment/employer_form.html", form=form, employer=employer if employer.id else None
    )


@bp.route("/employers/new", methods=["GET", "POST"])
@require(Permission.MANAGE_EMPLOYERS)
def new_employer():
    return _employer_form_page(EmployerForm(), None)


@bp.route("/employers/<int:employer_id>/edit", methods=["GET", "POST"])
@require(Permission.MANAGE_EMPLOYERS)
def edit_employer(employer_id: int):
    employer = employer_queries.employer_or_404(employer_id)
    form = EmployerForm(obj=employer)
    if not form.is_submitted():
        form.kind.data = employer.kind.value
        form.province.data = employer.province_id
        form.commune.data = employer.commune_id
    return _employer_form_page(form, employer)


def _employer_label(row: queries.EmployerRow) -> str:
    if row.last_check is None:
        return _("%(employer)s (not checked yet)", employer=row.employer.name)
    if not row.last_check.passed:
        return _("%(employer)s (failed its latest check)", employer=row.employer.name)
    return row.employer.name


@bp.route("/cases/<int:case_id>/placements/new", methods=["GET", "POST"])
@require(Permission.PLACE_IN_JOBS)
def new_placement(case_id: int):
    case = case_or_404(case_id)
    rows = queries.employers_with_checks(current_user)
    form = PlacementForm()
    form.employer.choices = [("", "—"), *[(row.employer.id, _employer_label(row)) for row in rows]]
    form.course.choices = [
        ("", _("No course")),
        *[(course.id, course.title) for course in queries.completed_courses(case.id)],
    ]
    if not form.is_submitted():
        form.start_on.data = clock.today()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.place(
            case,
            next(row.employer for row in rows if row.employer.id == form.employer.data),
            form.position.data or "",
            form.start_on.data,
            form.checked_wage,
            in_home_province=form.said_yes(form.in_home_province),
            housing_support=form.said_yes(form.housing_support),
            contract_type=ContractType(form.contract_type.data),
            course_id=form.course.data,
            user=current_user,
        ),
    ):
        flash(_("The placement is recorded; follow-ups are planned."), "success")
        return saved_redirect("cases.show", case_id=case.id)
    return render_template("employment/placement_form.html", case=case, form=form)


@bp.route("/placements/<int:placement_id>/end", methods=["GET", "POST"])
@require(Permission.PLACE_IN_JOBS)
def end_placement(placement_id: int):
    placement = queries.placement_or_404(placement_id)
    form = EndPlacementForm()
    if not form.is_submitted():
        form.end_on.data = clock.today()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.end_placement(
            placement, form.end_on.data, EndReason(form.reason.data), form.note.data or ""
        ),
    ):
        flash(_("The end of the job is recorded."), "success")
        return saved_redirect("cases.show", case_id=placement.case_id)
    return render_template(
        "employment/end_form.html", placement=placement, case=placement.case, form=form
    )


@bp.get("/employment/outcomes")
@require(Permission.MANAGE_EMPLOYERS)
def outcomes():
    return render_template(
        "employment/outcomes.html",
        outcomes=queries.outcomes(current_user),
        months=queries.RETENTION_MONTHS,
    )


# The job outcome shown on the facility page and the course page: their domains are below
# employment, so they take it as a section (web.Sections), registered with this module.


@facility_sections.register
def facility_outcome_section(facility, user) -> Section:
    outcome = queries.facility_outcome(facility, user)
    return Section("employment/_facility_outcome.html", {"outcome": outcome})


@course_sections.register
def course_outcome_section(course) -> Section:
    outcome = queries.course_outcome(course)
    return Section("employment/_course_outcome.html", {"outcome": outcome})
