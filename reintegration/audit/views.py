from collections.abc import Sequence
from datetime import datetime, time, timedelta

from flask import Blueprint, Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, false, func, select
from wtforms import SelectField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, Optional

from .. import clock
from ..access import Permission, require
from ..extensions import db
from ..forms import DayField, FilterForm, number_arg
from ..operations import runs
from .models import Action, AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

PER_PAGE = 100


class AuditFilterForm(FilterForm):
    username = StringField(_l("User"), validators=[Optional(), Length(max=80)])
    action = SelectField(_l("Action"), validators=[Optional()])
    entity = SelectField(_l("Record"), validators=[Optional()])
    case_code = StringField(_l("Case code"), validators=[Optional(), Length(max=20)])
    date_from = DayField(_l("From"), validators=[Optional()])
    date_to = DayField(_l("To"), validators=[Optional()])


ENTITIES = {
    "cases": _l("Case"),
    "stays": _l("Stay"),
    "stay_extensions": _l("Extension"),
    "services": _l("Service"),
    "users": _l("User"),
    "facilities": _l("Facility"),
}


def label_columns_with(app: Flask, *forms: type) -> None:
    """Name the columns of audited tables, on the log's page, with the labels of the forms that
    edit them. The app gives the forms (reintegration/__init__.py): the log knows no domain."""
    labels: dict[str, object] = {}
    for form in forms:
        for name in dir(form):
            field = getattr(form, name)
            if isinstance(field, UnboundField) and field.args:
                labels.setdefault(name, field.args[0])
                labels.setdefault(f"{name}_id", field.args[0])
    for column, field in (("consent_given", "consent"), ("kind_id", "kind")):
        if field in labels:
            labels[column] = labels[field]
    app.extensions["audit_labels"] = labels


def _cases() -> Table:
    """The cases table, by name, as an entry names the table it is about (``entity``): the log
    knows no case model, and its ``case_id`` is a plain number that outlives the case."""
    return db.metadata.tables["cases"]


# What the last check of the chain found, as recorded by chain.check ("changed #12").
PROBLEMS = {
    "changed": _l("entry #%(id)s was changed"),
    "removed": _l("entries just before #%(id)s were removed"),
    "inserted": _l("entry #%(id)s was added by hand"),
    "before_key_change": _l("an entry before #%(id)s, where the key changed, was altered"),
    "wrong_key": _l("the log does not match this installation's SECRET_KEY (entry #%(id)s)"),
}


def _verification() -> dict | None:
    """The last check of the chain: when, and the problem it found (None: intact)."""
    run = runs.last_runs().get(runs.AUDIT_VERIFY)
    if run is None:
        return None
    found: dict[str, object] = {"run": run, "problem": None, "unfinished": None}
    if run.failed and run.error:
        problem, _, entry_id = run.error.partition(" #")
        if problem in PROBLEMS and entry_id.isdigit():
            found["problem"] = PROBLEMS[problem] % {"id": entry_id}
        else:
            found["unfinished"] = run.error  # an error's class name: the walk did not finish
    return found


def _start_of(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.VIETNAM)


def _filtered(form: AuditFilterForm):
    query = select(AuditEntry)
    if form.username.data:
        query = query.where(AuditEntry.username == form.username.data.strip().lower())
    if form.action.data:
        query = query.where(AuditEntry.action == Action(form.action.data))
    if form.entity.data:
        query = query.where(AuditEntry.entity == form.entity.data)
    if form.case_code.data:
        cases = _cases()
        case_id = db.session.scalar(
            select(cases.c.id).where(cases.c.code == form.case_code.data.strip().upper())
        )
        # No such case: no entry (case_id == None would match every entry without a case).
        query = query.where(AuditEntry.case_id == case_id if case_id is not None else false())
    if form.date_from.data:
        query = query.where(AuditEntry.at >= _start_of(form.date_from.data))
    if form.date_to.data:
        query = query.where(AuditEntry.at < _start_of(form.date_to.data + timedelta(days=1)))
    return query


@bp.get("/")
@require(Permission.ADMINISTER)
def index():
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _l("All actions")), *Action.choices()]
    form.entity.choices = [("", _l("All records")), *ENTITIES.items()]
    entries: Sequence[AuditEntry] = []
    total = 0
    page = number_arg(request.args, "page", 1)
    if form.validate():
        query = _filtered(form)
        total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        entries = db.session.scalars(
            query.order_by(AuditEntry.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
        ).all()
    cases = _cases()
    codes = dict(
        db.session.execute(
            select(cases.c.id, cases.c.code).where(
                cases.c.id.in_({e.case_id for e in entries if e.case_id})
            )
        ).all()
    )
    return render_template(
        "audit/index.html",
        form=form,
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        codes=codes,
        entities=ENTITIES,
        labels=current_app.extensions["audit_labels"],
        verification=_verification(),
    )
