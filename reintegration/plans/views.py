from flask import Blueprint, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..access import Permission, require
from ..cases.queries import case_or_404
from ..versions import saved
from ..web import saved_redirect
from . import services
from .forms import GoalForm, PlanForm
from .models import GoalStatus
from .queries import plan_for_case

bp = Blueprint("plans", __name__)


@bp.route("/cases/<int:case_id>/plan", methods=["GET", "POST"])
@require(Permission.MANAGE_PLANS)
def edit_plan(case_id: int):
    case = case_or_404(case_id)
    plan = plan_for_case(case.id)
    form = PlanForm(obj=plan)
    if saved(
        form,
        plan,
        lambda: services.save_plan(
            case, plan, form.agreed_on.data, form.note.data or "", current_user
        ),
    ):
        flash(_("The plan is saved."), "success")
        return saved_redirect("cases.show", case_id=case.id, _anchor="plan")
    return render_template("plans/plan_form.html", case=case, plan=plan, form=form)


@bp.route("/cases/<int:case_id>/plan/goals/new", methods=["GET", "POST"])
@bp.route("/cases/<int:case_id>/plan/goals/<int:goal_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_PLANS)
def edit_goal(case_id: int, goal_id: int | None = None):
    case = case_or_404(case_id)
    plan = plan_for_case(case.id)
    if plan is None:
        abort(404)
    goal = next((g for g in plan.goals if g.id == goal_id), None) if goal_id else None
    if goal_id and goal is None:
        abort(404)
    form = GoalForm(obj=goal)
    if goal is not None and not form.is_submitted():
        form.dimension.data = goal.dimension.value
        form.status.data = goal.status.value
    elif goal is None and not form.is_submitted():
        form.status.data = GoalStatus.PLANNED.value
    if saved(
        form,
        goal,
        lambda: services.save_goal(
            plan,
            goal,
            form.dimension.data,
            form.description.data or "",
            form.owner.data or "",
            form.target_on.data,
            form.status.data,
        ),
    ):
        flash(_("The goal is saved."), "success")
        return saved_redirect("cases.show", case_id=case.id, _anchor="plan")
    return render_template("plans/goal_form.html", case=case, goal=goal, form=form)
