from collections.abc import Sequence
from datetime import date

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..access import Permission, can, require
from ..audit.services import record_view
from ..cases.queries import case_or_404
from ..dates import month_end, month_start
from ..errors import DomainError
from ..extensions import db
from ..forms import attach_error, check_text, day_arg, ids_sent
from ..shelter.models import Facility
from ..shelter.queries import facility_or_404, facility_scope
from ..submissions import claim
from ..support import policy
from ..types import text_length
from ..versions import read_at, saved
from ..web import applied, made, saved_redirect
from . import queries, services
from .forms import CancelForm, CorrectionForm, DecisionForm, PaymentForm, RegisterForm, RequestForm
from .models import Allowance, AllowanceStatus, Payment, PaymentMethod

bp = Blueprint("allowances", __name__)

RECEIPT_LENGTH = text_length(Payment.__table__.c.receipt_number)


@bp.app_template_global("rule_summary")
def rule_summary(rule) -> str:
    return policy.summary(rule, clock.today())


def _request_page(case, form: RequestForm, kinds, preview=None):
    return render_template(
        "allowances/request.html",
        case=case,
        form=form,
        preview=preview,
        limits=queries.entitlements(case, kinds),
    )


@bp.route("/cases/<int:case_id>/allowances/new", methods=["GET", "POST"])
@require(Permission.REQUEST_ALLOWANCES)
def new(case_id: int):
    case = case_or_404(case_id)
    kinds = {kind.id: kind for kind in queries.kinds()}
    form = RequestForm()
    form.fill_choices(kinds.values())
    if not form.is_submitted():
        form.applied_on.data = clock.today()
    if not form.validate_on_submit():
        return _request_page(case, form, kinds.values())
    allowance = made(
        form,
        lambda: services.request_allowance(
            case,
            kinds[form.kind.data],
            form.period_from.data,
            form.period_to.data,
            form.applied_on.data,
            form.documents.data or "",
            current_user,
        ),
    )
    if allowance is None:
        return _request_page(case, form, kinds.values())
    if "preview" in request.form:
        preview = _preview(allowance)
        db.session.rollback()
        return _request_page(case, form, kinds.values(), preview)
    flash(_("The request is recorded; a provincial officer decides it."), "success")
    return saved_redirect("allowances.show", allowance_id=allowance.id)


def _preview(allowance: Allowance) -> dict:
    """What the request would come to, read before the request is undone."""
    return {
        "amount": allowance.amount,
        "lines": policy.explain(allowance.computation),
        "due": allowance.decision_due_on,
    }


def _show_page(allowance: Allowance, **forms):
    return render_template(
        "allowances/show.html",
        allowance=allowance,
        case=allowance.case,
        lines=policy.explain(allowance.computation),
        today=clock.today(),
        working_days_left=(
            policy.working_days_between(clock.today(), allowance.decision_due_on)
            if allowance.decision_due_on
            else None
        ),
        decision_form=forms.get("decision_form") or read_at(DecisionForm(formdata=None), allowance),
        cancel_form=forms.get("cancel_form") or read_at(CancelForm(formdata=None), allowance),
        payment_form=forms.get("payment_form") or _payment_form(formdata=None),
        may_pay=_may_pay(allowance),
    )


def _payment_form(**kwargs) -> PaymentForm:
    """The payment form, dated today unless the user sent a date."""
    form = PaymentForm(**kwargs)
    if form.paid_on.raw_data is None:
        form.paid_on.data = clock.today()
    return form


def _may_pay(allowance: Allowance) -> bool:
    """Only those who handle the paying facility's money record its payments."""
    if not can(current_user, Permission.PAY_ALLOWANCES):
        return False
    return (
        db.session.scalar(
            select(Facility.id).where(
                Facility.id == allowance.facility_id, facility_scope(current_user)
            )
        )
        is not None
    )


@bp.get("/allowances/<int:allowance_id>")
@require(Permission.VIEW_CASES, refusal=404)
def show(allowance_id: int):
    allowance = queries.allowance_or_404(allowance_id)
    record_view(allowance.case)
    return _show_page(allowance)


@bp.post("/allowances/<int:allowance_id>/decision")
@require(Permission.DECIDE_ALLOWANCES)
def decide(allowance_id: int):
    allowance = queries.allowance_or_404(allowance_id)
    form = DecisionForm()
    if saved(
        form,
        allowance,
        lambda: services.decide(
            allowance, form.decision.data == "approve", form.reason.data or "", current_user
        ),
    ):
        flash(_("The decision is recorded."), "success")
        return saved_redirect("allowances.show", allowance_id=allowance.id)
    return _show_page(queries.allowance_or_404(allowance_id), decision_form=form)


@bp.post("/allowances/<int:allowance_id>/cancel")
@require(Permission.REQUEST_ALLOWANCES)
def cancel(allowance_id: int):
    allowance = queries.allowance_or_404(allowance_id)
    form = CancelForm()
    if saved(
        form, allowance, lambda: services.cancel(allowance, form.reason.data or "", current_user)
    ):
        flash(_("The allowance is cancelled."), "success")
        return saved_redirect("allowances.show", allowance_id=allowance.id)
    return _show_page(queries.allowance_or_404(allowance_id), cancel_form=form)


@bp.post("/allowances/<int:allowance_id>/payment")
@require(Permission.PAY_ALLOWANCES)
def pay(allowance_id: int):
    allowance = queries.allowance_or_404(allowance_id)
    if not _may_pay(allowance):
        abort(403)
    form = _payment_form()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.pay(
            allowance,
            form.paid_on.data,
            PaymentMethod(form.method.data),
            form.receipt_number.data or "",
            current_user,
        ),
    ):
        flash(_("The payment is recorded."), "success")
        return saved_redirect("allowances.show", allowance_id=allowance.id)
    return _show_page(queries.allowance_or_404(allowance_id), payment_form=form)


@bp.route("/payments/<int:payment_id>/correction", methods=["GET", "POST"])
@require(Permission.PAY_ALLOWANCES)
def correct(payment_id: int):
    payment = queries.payment_or_404(payment_id)
    allowance = queries.allowance_or_404(payment.allowance_id)
    if not _may_pay(allowance):
        abort(403)
    form = CorrectionForm()
    if not form.is_submitted():
        form.paid_on.data = clock.today()
    if form.validate_on_submit() and applied(
        form,
        lambda: services.correct(
            payment,
            form.signed_amount,
            form.paid_on.data,
            PaymentMethod(form.method.data),
            form.receipt_number.data or "",
            form.reason.data or "",
            current_user,
        ),
    ):
        flash(_("The correction is recorded; the totals count it."), "success")
        return saved_redirect("allowances.show", allowance_id=allowance.id)
    return render_template(
        "allowances/correction.html",
        form=form,
        payment=payment,
        allowance=allowance,
        case=allowance.case,
    )


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else clock.today().year


@bp.get("/allowances/")
@require(Permission.OVERSEE_ALLOWANCES)
def index():
    year = _year()
    return render_template(
        "allowances/index.html",
        waiting=queries.waiting(current_user),
        totals=queries.totals(current_user, year),
        year=year,
        today=clock.today(),
    )


def _day_arg(name: str, default: date) -> date:
    return day_arg(request.args, name) or default


def _register_period() -> tuple[date, date]:
    today = clock.today()
    start, end = _day_arg("start", month_start(today)), _day_arg("end", month_end(today))
    return (start, end) if start <= end else (end, start)


def _pay_chosen(form: RegisterForm, rows: Sequence[Allowance], chosen: set[int]) -> list[Payment]:
    """Pay the chosen rows of the register, each with the receipt number typed on its row;
    DomainError (nothing paid) when a receipt number or the payment is refused."""
    receipts = {row.id: request.form.get(f"receipt_{row.id}", "") for row in rows}
    for row_id in chosen & receipts.keys():
        check_text(receipts[row_id], RECEIPT_LENGTH, f"receipt_{row_id}")
    claim(form)
    return services.pay_many(
        [row for row in rows if row.id in chosen],
        receipts,
        form.paid_on.data,
        PaymentMethod(form.method.data),
        current_user,
    )


def _receipt_row(field: str | None) -> int | None:
    """The register row whose receipt number a refusal names (field ``receipt_<id>``)."""
    if not field or not field.startswith("receipt_"):
        return None
    row_id = field.removeprefix("receipt_")
    return int(row_id) if row_id.isdigit() else None


def _refused_on_register(form: RegisterForm, error: DomainError, row_errors: dict[int, str]):
    """A refusal's message, beside the receipt number of its row or else on the form."""
    row_id = _receipt_row(error.field)
    if row_id is None:
        attach_error(form, error)
    else:
        row_errors[row_id] = error.message


@bp.route("/facilities/<int:facility_id>/payment-register", methods=["GET", "POST"])
@require(Permission.PAY_ALLOWANCES)
def register(facility_id: int):
    facility = facility_or_404(facility_id)
    start, end = _register_period()
    rows = queries.approved_for(facility, start, end, current_user)
    form = RegisterForm()
    if not form.is_submitted():
        form.paid_on.data = clock.today()
    row_errors: dict[int, str] = {}
    chosen = ids_sent(request.form.getlist("allowance"))
    if form.validate_on_submit():
        try:
            paid = _pay_chosen(form, rows, chosen)
        except DomainError as error:
            db.session.rollback()
            _refused_on_register(form, error, row_errors)
            rows = queries.approved_for(facility, start, end, current_user)
        else:
            flash(
                ngettext(
                    "%(num)s payment is recorded.", "%(num)s payments are recorded.", len(paid)
                ),
                "success",
            )
            return saved_redirect(
                "allowances.register",
                facility_id=facility.id,
                start=start.isoformat(),
                end=end.isoformat(),
            )
    return render_template(
        "allowances/register.html",
        facility=facility,
        rows=rows,
        form=form,
        start=start,
        end=end,
        row_errors=row_errors,
        chosen=chosen,
        statuses=AllowanceStatus,
    )
