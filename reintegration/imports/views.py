import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..access import Permission, can, require
from ..database import reads_only, writing
from ..errors import DomainError
from ..extensions import db
from ..shelter.queries import facilities_in_scope, facility_or_404
from ..submissions import claim, record_result
from . import pending, services
from .columns import BY_KEY, current_language
from .forms import ConfirmForm, UploadForm
from .parse import FileRefused, max_megabytes, too_large_message
from .services import Preview
from .template import build_template

bp = Blueprint("imports", __name__, url_prefix="/imports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Room in an upload's request for the form's other fields and the multipart boundaries.
FORM_ALLOWANCE = 64 * 1024


@bp.url_value_preprocessor
def limit_upload(endpoint, _values):
    """Refuse an oversized upload before anything reads it: URL value preprocessors run before
    the CSRF check, which reads the whole form."""
    if endpoint == "imports.upload":
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"] + FORM_ALLOWANCE


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    if not can(current_user, Permission.IMPORT_CASES):
        return render_template("errors/400.html"), 400
    form = _upload_form(formdata=None)
    form.facility.data = current_user.facility_id
    form.spreadsheet.errors = [too_large_message()]
    return _upload_page(form), 400


def _upload_form(**kwargs) -> UploadForm:
    form = UploadForm(**kwargs)
    form.facility.choices = [(f.id, f.name) for f in facilities_in_scope(current_user)]
    return form


def _upload_page(form: UploadForm):
    return render_template(
        "imports/upload.html",
        form=form,
        max_megabytes=max_megabytes(),
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
    )


@bp.route("/", methods=["GET", "POST"])
@require(Permission.IMPORT_CASES)
@reads_only  # the check rehearses the rows in short transactions of its own
def upload():
    form = _upload_form()
    if not form.is_submitted():
        form.facility.data = current_user.facility_id
    if form.validate_on_submit():
        facility = facility_or_404(form.facility.data)
        try:
            # One byte more than allowed is enough to know the file is too large.
            data = form.spreadsheet.data.stream.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
            preview = services.check_file(data, facility, current_user)
        except FileRefused as refusal:
            form.spreadsheet.errors.append(refusal.message)
            return _upload_page(form), 400
        db.session.rollback()  # ends the check's reads: keeping the preview is a short write
        with writing():
            token = pending.save(preview.to_json(), current_user.id)
            db.session.flush()  # the request commits it (unit_of_work.py)
        return redirect(url_for("imports.preview", token=token))
    return _upload_page(form)


@bp.get("/template.xlsx")
@require(Permission.IMPORT_CASES)
def template():
    content = build_template(current_app.config["IMPORT_MAX_ROWS"])
    return send_file(
        io.BytesIO(content),
        mimetype=XLSX,
        as_attachment=True,
        download_name="case-import-template.xlsx",
    )


def _preview_or_404(token: str) -> Preview:
    stored = pending.load(token, current_user.id)
    if stored is None:
        abort(404)
    return Preview.from_json(stored)


def _preview_page(token: str, preview: Preview, form: ConfirmForm, status: int = 200):
    facility = facility_or_404(preview.facility_id)
    page = render_template(
        "imports/preview.html",
        token=token,
        preview=preview,
        facility=facility,
        form=form,
        columns=BY_KEY,
        language=current_language(),
    )
    return page, status


@bp.get("/<token>")
@require(Permission.IMPORT_CASES, refusal=404)
def preview(token: str):
    # Previews hold names: none outlives its hour, uploads or not.
    if pending.expired_exist():
        # Why a GET writes: a preview names people, and none outlives its hour. A short
        # transaction of its own, on purpose: the page's reads then never hold the write lock.
        db.session.rollback()
        with writing():
            pending.delete_expired()
            db.session.commit()
    return _preview_page(token, _preview_or_404(token), ConfirmForm())


@bp.post("/<token>")
@require(Permission.IMPORT_CASES, refusal=404)
def confirm(token: str):
    preview = _preview_or_404(token)
    facility = facility_or_404(preview.facility_id)
    form = ConfirmForm()
    if not preview.ready:
        return _preview_page(token, preview, form, 400)
    if not form.validate_on_submit():
        return _preview_page(token, preview, form, 400)
    if preview.duplicates and not form.different_people.data:
        form.different_people.errors = [
            _("Check the possible duplicates, then tick this box to import all the rows.")
        ]
        return _preview_page(token, preview, form, 400)
    try:
        claim(form)  # a second click waits for the first, then is shown what it imported
    except DomainError as error:
        form.form_errors.append(error.message)
        return _preview_page(token, preview, form, 400)
    # In the import's transaction: whatever goes wrong, even a crash, rolls the claim back
    # with the import, and the preview is there to try again.
    if not pending.claim(token, current_user.id):
        db.session.rollback()
        abort(404)  # imported already, by a first click
    try:
        cases = services.import_rows(preview.rows, facility, current_user)
        record_result(url_for("cases.index"))  # committed with the import (unit_of_work.py)
    except services.RowRefused as refusal:
        db.session.rollback()
        form.form_errors.append(services.refused_message(refusal))
        return _preview_page(token, preview, form, 400)
    flash(
        ngettext("%(num)s case is imported.", "%(num)s cases are imported.", len(cases)),
        "success",
    )
    return redirect(url_for("cases.index"))
