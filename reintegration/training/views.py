from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import clock
from ..access import Permission, Role, can, require
from ..audit.services import record_view
from ..cases.models import Case
from ..cases.queries import case_or_404
from ..extensions import db
from ..formatting import day
from ..forms import Form, day_arg
from ..reference.models import ListItem, ListKind
from ..reference.queries import item_choices, province_choices
from ..versions import saved
from ..web import Sections, applied, saved_redirect
from . import queries, services
from .forms import (
    AttendanceForm,
    CompleteForm,
    CourseForm,
    DropOutForm,
    EnrolForm,
    ReferralForm,
)
from .models import ENROLMENT_MOVES, Course, CourseKind, EnrolmentStatus

bp = Blueprint("training", __name__)

# The course page's sections from the domains above training (web.Sections): each maker takes
# the course.
course_sections = Sections("course")


@bp.get("/courses/")
@require(Permission.VIEW_COURSES)
def courses():
    return render_template(
        "training/courses.html", summaries=queries.course_summaries(current_user)
    )


@bp.get("/courses/<int:course_id>")
@require(Permission.VIEW_COURSES, refusal=404)
def course(course_id: int):
    course = queries.course_or_404(course_id, *queries.COURSE_PAGE)
    record_view(course)  # the page names the trainees
    everyone = queries.trainees(course)
    summary = queries.CourseSummary(course)
    summary.counts.update(enrolment.status for enrolment in everyone)
    enrolments = queries.shown_to(current_user, course, everyone)
    return render_template(
        "training/course.html",
        course=course,
        summary=summary,
        enrolments=enrolments,
        sessions=queries.sessions_with_presence(course),
        sections=course_sections.made(course),
        can_manage=can(current_user, Permission.MANAGE_COURSES),
        moves=ENROLMENT_MOVES,
        Status=EnrolmentStatus,
        today=clock.today(),
        attending_form=Form(),
    )


def _topic_choices() -> dict:
    return {
        ListKind.TRADE.label: item_choices(ListKind.TRADE, blank=False),
        ListKind.SOFT_SKILL.label: item_choices(ListKind.SOFT_SKILL, blank=False),
    }


def _course_form(course: Course | None) -> CourseForm:
    form = CourseForm(obj=course)
    form.topic.choices = _topic_choices()
    form.province.choices = province_choices()
    if current_user.role == Role.ADMIN:
        form.trainer.choices = [("", "—"), *queries.trainer_choices()]
    else:
        del form.trainer  # a trainer keeps their own courses
    if course is not None and not form.is_submitted():
        form.topic.data = course.topic_id
        form.province.data = course.province_id
        form.employers.data = [employer.id for employer in course.employers]
        if "trainer" in form:
            form.trainer.data = course.trainer_id
    elif course is None and not form.is_submitted():
        form.province.data = current_user.scope_province_id
        form.start_on.data = clock.today()
    form.employers.choices = queries.employer_choices(form.province.data)
    return form


def _course_form_page(form: CourseForm, course: Course | None):
    course = course or Course()
    if saved(
        form,
        course,
        lambda: services.save_course(
            course,
            current_user,
            kind=CourseKind(form.kind.data),
            topic=db.get_or_404(ListItem, form.topic.data),
            start_on=form.start_on.data,
            end_on=form.end_on.data,
            employer_ids=form.employers.data or [],
            trainer_id=form.trainer.data if "trainer" in form else None,
            title=form.title.data,
            provider=form.provider.data,
            province_id=form.province.data,
            schedule=form.schedule.data or "",
            capacity=form.capacity.data,
            cost_per_trainee=form.cost_per_trainee.data,
            market_demand=form.market_demand.data or "",
        ),
    ):
        flash(_("The course is saved."), "success")
        return saved_redirect("training.course", course_id=course.id)
    return render_template(
        "training/course_form.html", form=form, course=course if course.id else None
    )


@bp.route("/courses/new", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def new_course():
    return _course_form_page(_course_form(None), None)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def edit_course(course_id: int):
    course = queries.course_or_404(
        course_id, selectinload(Course.employers), selectinload(Course.sessions)
    )
    return _course_form_page(_course_form(course), course)


@bp.route("/cases/<int:case_id>/enrolments/new", methods=["GET", "POST"])
@require(Permission.REFER_TO_COURSES)
def refer(case_id: int):
    case = case_or_404(case_id, selectinload(Case.stays))
    summaries = queries.course_summaries(current_user, open_only=True)
    form = ReferralForm()
    form.course.choices = [
        ("", "—"),
        *[(summary.course.id, _course_label(summary)) for summary in summaries],
    ]
    if form.validate_on_submit():
        chosen = next(s.course for s in summaries if s.course.id == form.course.data)
        if applied(form, lambda: services.refer(case, chosen, current_user)):
            flash(_("The person is referred to the course."), "success")
            return saved_redirect("cases.show", case_id=case.id)
    return render_template("training/refer.html", case=case, form=form)


def _course_label(summary: queries.CourseSummary) -> str:
    course = summary.course
    return _(
        "%(title)s · %(province)s · %(start)s to %(end)s · %(left)s of %(places)s places left",
        title=course.title,
        province=course.province.name,
        start=day(course.start_on),
        end=day(course.end_on),
        left=summary.places_left,
        places=course.capacity,
    )


def _enrolment_page(enrolment_id: int, template: str, form, change, success: str):
    """The form of one move of an enrolment; the rule refuses a move that is not allowed."""
    enrolment = queries.enrolment_or_404(enrolment_id)
    if form.validate_on_submit() and applied(form, lambda: change(enrolment)):
        flash(success, "success")
        return saved_redirect("training.course", course_id=enrolment.course_id)
    return render_template(template, form=form, enrolment=enrolment, course=enrolment.course)


@bp.route("/enrolments/<int:enrolment_id>/enrol", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def enrol(enrolment_id: int):
    form = EnrolForm()
    if not form.is_submitted():
        form.enrolled_on.data = clock.today()
    return _enrolment_page(
        enrolment_id,
        "training/enrol.html",
        form,
        lambda enrolment: services.enrol(enrolment, form.enrolled_on.data),
        _("The person is enrolled."),
    )


@bp.route("/enrolments/<int:enrolment_id>/complete", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def complete(enrolment_id: int):
    form = CompleteForm()
    if not form.is_submitted():
        form.completed_on.data = form.certificate_on.data = clock.today()
    return _enrolment_page(
        enrolment_id,
        "training/complete.html",
        form,
        lambda enrolment: services.complete(
            enrolment,
            form.completed_on.data,
            form.certificate_number.data or "",
            form.certificate_on.data,
        ),
        _("The course is completed."),
    )


@bp.route("/enrolments/<int:enrolment_id>/drop-out", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def drop_out(enrolment_id: int):
    form = DropOutForm()
    if not form.is_submitted():
        form.dropped_out_on.data = clock.today()
    return _enrolment_page(
        enrolment_id,
        "training/drop_out.html",
        form,
        lambda enrolment: services.drop_out(
            enrolment, form.dropped_out_on.data, form.reason.data or ""
        ),
        _("The drop-out is recorded."),
    )


@bp.post("/enrolments/<int:enrolment_id>/attending")
@require(Permission.MANAGE_COURSES)
def attending(enrolment_id: int):
    enrolment = queries.enrolment_or_404(enrolment_id)
    form = Form()
    if form.validate_on_submit() and applied(form, lambda: services.mark_attending(enrolment)):
        flash(_("The person is attending."), "success")
        return saved_redirect("training.course", course_id=enrolment.course_id)
    for message in form.form_errors or [_("Nothing was saved. Try again.")]:
        flash(message, "danger")
    return redirect(url_for("training.course", course_id=enrolment.course_id))


def _day_asked():
    """The session day named in the address (?on=dd/mm/yyyy), to open and correct it."""
    return day_arg(request.args, "on")


@bp.route("/courses/<int:course_id>/attendance", methods=["GET", "POST"])
@require(Permission.MANAGE_COURSES)
def attendance(course_id: int):
    course = queries.course_or_404(course_id)
    trainees = queries.class_list(course)
    form = AttendanceForm()
    form.present.choices = [(enrolment.id, enrolment.case.code) for enrolment in trainees]
    if not form.is_submitted():
        _fill_attendance(form, course, trainees)
    if form.validate_on_submit() and applied(
        form,
        lambda: services.record_attendance(
            course, form.held_on.data, set(form.present.data or []), form.topic.data or ""
        ),
    ):
        flash(_("The attendance is saved."), "success")
        return saved_redirect("training.course", course_id=course.id)
    return render_template(
        "training/attendance.html",
        course=course,
        form=form,
        rows=list(zip(trainees, form.present, strict=True)),
    )


def _fill_attendance(form: AttendanceForm, course: Course, trainees) -> None:
    """A day already recorded opens as it was kept; a new day starts with everyone present."""
    held_on = _day_asked() or min(clock.today(), course.end_on)
    form.held_on.data = held_on
    session = queries.session_on(course, held_on)
    if session is None:
        form.present.data = [enrolment.id for enrolment in trainees]
        return
    form.topic.data = session.topic
    form.present.data = [a.enrolment_id for a in session.attendance if a.present]
