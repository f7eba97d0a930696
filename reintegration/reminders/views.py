from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..access import Permission, Role, require
from ..extensions import db
from ..versions import saved
from ..web import applied, saved_redirect
from . import queries, services
from .forms import DigestForm, DoneForm, RuleForm, SnoozeForm
from .models import Reminder, ReminderRule
from .rules import RULES

bp = Blueprint("reminders", __name__)


@bp.app_context_processor
def task_count():
    """The number beside "Tasks" in the navigation bar."""

    def tasks_waiting() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        return queries.count(current_user, clock.today())

    return {"tasks_waiting": tasks_waiting}


@bp.app_template_filter("reminder_link")
def reminder_link(reminder: Reminder) -> str:
    return RULES[reminder.rule.code].link(reminder)


@bp.app_template_filter("reminder_title")
def reminder_title(reminder: Reminder) -> str:
    return str(RULES[reminder.rule.code].title)


@bp.get("/tasks/")
@login_required
def inbox():
    today = clock.today()
    form = DigestForm(wants_digest=current_user.wants_digest)
    return render_template(
        "reminders/inbox.html",
        reminders=queries.inbox(current_user, today),
        snoozed=queries.snoozed(current_user, today),
        today=today,
        digest_form=form,
    )


@bp.post("/tasks/digest")
@login_required
def digest():
    form = DigestForm()
    if form.validate_on_submit():
        current_user.wants_digest = form.wants_digest.data
        flash(_("Your choice is saved."), "success")
    return redirect(url_for("reminders.inbox"))


def _still_open(reminder: Reminder):
    if reminder.closed_at is not None:
        flash(_("This reminder is already closed."), "info")
        return redirect(url_for("reminders.inbox"))
    return None


@bp.route("/tasks/<int:reminder_id>/done", methods=["GET", "POST"])
@login_required
def done(reminder_id: int):
    reminder = queries.reminder_or_404(reminder_id)
    form = DoneForm()
    if form.is_submitted() and (closed := _still_open(reminder)):
        return closed
    if form.validate_on_submit() and applied(
        form, lambda: services.mark_done(reminder, form.note.data or "", current_user)
    ):
        flash(_("The reminder is marked done."), "success")
        return saved_redirect("reminders.inbox")
    return render_template("reminders/done.html", reminder=reminder, form=form, today=clock.today())


@bp.route("/tasks/<int:reminder_id>/snooze", methods=["GET", "POST"])
@login_required
def snooze(reminder_id: int):
    reminder = queries.reminder_or_404(reminder_id)
    form = SnoozeForm()
    if form.is_submitted() and (closed := _still_open(reminder)):
        return closed
    if form.validate_on_submit() and applied(
        form,
        lambda: services.snooze(reminder, form.until.data, form.reason.data or "", current_user),
    ):
        flash(_("The reminder is snoozed."), "success")
        return saved_redirect("reminders.inbox")
    return render_template(
        "reminders/snooze.html", reminder=reminder, form=form, today=clock.today()
    )


@bp.get("/admin/reminders/")
@require(Permission.ADMINISTER)
def rules():
    return render_template("reminders/rules.html", settings=queries.settings(), rules=RULES)


@bp.route("/admin/reminders/<int:rule_id>", methods=["GET", "POST"])
@require(Permission.ADMINISTER)
def edit_rule(rule_id: int):
    setting = db.get_or_404(ReminderRule, rule_id)
    rule = RULES.get(setting.code) or abort(404)
    form = RuleForm(
        data={
            "enabled": setting.enabled,
            "value": setting.value,
            "repeat_days": setting.repeat_days,
            "roles": [row.role.value for row in setting.roles],
        }
    )
    form.value.label.text = str(rule.value_label)
    if saved(
        form,
        setting,
        lambda: services.save_rule(
            setting,
            form.enabled.data,
            *form.checked_numbers,
            [Role(value) for value in form.roles.data or []],
        ),
    ):
        flash(_("The rule is saved. It applies from the next pass."), "success")
        return saved_redirect("reminders.rules")
    return render_template("reminders/rule_form.html", setting=setting, rule=rule, form=form)
