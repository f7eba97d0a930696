import tempfile

from flask import Blueprint, render_template, send_file
from flask_login import current_user

from .. import clock
from ..auth.scopes import Permission, can, case_scope, require
from ..extensions import db
from ..web import applied
from . import dataset as anonymised
from . import queries, services
from .forms import DatasetForm, SupportWorkbookForm

bp = Blueprint("exports", __name__, url_prefix="/exports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(form: SupportWorkbookForm):
    return render_template("exports/support.html", form=form)


# POST, so that the place, the period and a reason for names never appear in a URL or a log.
@bp.route("/support", methods=["GET", "POST"])
@require(Permission.EXPORT_SUPPORT)
def support():
    form = SupportWorkbookForm(may_name=can(current_user, Permission.EXPORT_NAMES))
    form.fill_choices(*queries.places(current_user))
    if not form.is_submitted():
        today = clock.today()
        form.start.data, form.end.data = today.replace(month=1, day=1), today
    if not form.validate_on_submit():
        return _page(form)
    filters = form.filters()
    # On disk, not in memory, whatever the size; deleted when the response is closed.
    workbook = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it)
    if not applied(
        form,
        lambda: services.export_support(
            filters, case_scope(current_user), workbook, form.reason_given
        ),
    ):
        workbook.close()
        return _page(form)
    db.session.commit()
    workbook.seek(0)
    return send_file(workbook, mimetype=XLSX, as_attachment=True, download_name=filters.filename)


@bp.route("/dataset", methods=["GET", "POST"])
@require(Permission.EXPORT_DATASET)
def dataset():
    """Case-level records without identifiers, every combination shared by at least k records."""
    form = DatasetForm()
    if not form.validate_on_submit():
        return render_template("exports/dataset.html", form=form, k=anonymised.dataset_k())
    language = current_user.language
    stream, report = services.export_dataset(
        current_user, form.year_from.data, form.year_to.data, form.file_format.data, language
    )
    db.session.commit()
    kind = form.file_format.data
    return send_file(
        stream,
        mimetype=XLSX if kind == "xlsx" else "text/csv",
        as_attachment=True,
        download_name=f"anonymised-dataset-k{report.k}-{clock.today().isoformat()}.{kind}",
    )
