import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    send_file,
    stream_with_context,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale
from flask_login import current_user

from .. import clock, scratch
from ..access import Permission, can, require
from ..cases.queries import case_scope
from ..database import reads_only, writing
from ..extensions import db
from ..forms import Form
from ..web import made
from . import dataset as anonymised
from . import jobs, queries, services, tasks
from .forms import DatasetForm, SupportWorkbookForm

bp = Blueprint("exports", __name__, url_prefix="/exports")


def _sweep(state: BlueprintSetupState) -> None:
    """What crashed processes left in the app's temporary folder goes as the app starts."""
    scratch.sweep(state.app)


bp.record_once(_sweep)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(form: SupportWorkbookForm):
    return render_template("exports/support.html", form=form)


# POST, so that the place, the period and a reason for names never appear in a URL or a log.
@bp.route("/support", methods=["GET", "POST"])
@require(Permission.EXPORT_SUPPORT)
@reads_only  # counting and making the workbook read; its audit entry is a short write of its own
def support():
    form = SupportWorkbookForm(may_name=can(current_user, Permission.EXPORT_NAMES))
    form.fill_choices(*queries.places(current_user))
    if not form.is_submitted():
        today = clock.today()
        form.start.data, form.end.data = today.replace(month=1, day=1), today
    if not form.validate_on_submit():
        return _page(form)
    filters, scope = form.filters(), case_scope(current_user)
    expected = queries.rows_expected(filters, scope)
    if expected > current_app.config["EXPORT_INLINE_MAX_ROWS"]:
        return _in_background(form, filters, expected)
    return _at_once(form, filters, scope)


def _at_once(form: SupportWorkbookForm, filters, scope):
    # In memory, never on disk in clear (its sheets wait sealed on disk until it is saved):
    # at most EXPORT_INLINE_MAX_ROWS rows, a file of about 2 MB.
    workbook = io.BytesIO()
    db.session.rollback()  # ends what the request read so far; the workbook's reads start afresh
    with writing(False), scratch.in_use():  # on SQLite, others' saves need not wait for reads
        rows = made(
            form, lambda: services.write_support(filters, scope, workbook, form.reason_given)
        )
        db.session.rollback()
    if rows is None:
        return _page(form)
    with writing():  # the audit entry: the request commits it (unit_of_work.py)
        services.record_support(filters, form.reason_given, rows)
        db.session.flush()
    workbook.seek(0)
    return send_file(workbook, mimetype=XLSX, as_attachment=True, download_name=filters.filename)


def _in_background(form: SupportWorkbookForm, filters, expected: int):
    """Too large to make before a web server gives up on the request: audited now, made in a
    thread, followed on a page of its own that any web worker or server shows."""
    db.session.rollback()  # ends the count's read: the audit entry's transaction begins writing
    language = str(get_locale() or "vi")

    def begin():
        services.start_support_export(filters, form.reason_given, expected)
        return tasks.start(filters, current_user, language, expected)

    with writing():
        _tidy()
        job = made(form, begin)
        if job is not None:
            token, runner = job.token, job.runner
            # Committed before the request ends, on purpose: the thread that makes the
            # workbook reads its job through a connection of its own.
            db.session.commit()
    if job is None:
        return _page(form)
    tasks.launch(token, runner)
    return redirect(url_for("exports.job", token=token))


def _tidy() -> None:
    """Jobs older than EXPORT_FILE_HOURS go, with their workbooks; the caller commits."""
    jobs.delete_expired()
    scratch.sweep()


def _job_or_404(token: str) -> jobs.Job:
    """The requester's own job; to anyone else, or once expired, there is no such page. A job
    with names needs the right to them still. A job whose process stopped is taken over here,
    or failed once it has had its attempts."""
    job = jobs.find(token, current_user.id)
    if job is None or (job.names and not can(current_user, Permission.EXPORT_NAMES)):
        abort(404)
    if tasks.pick_up(job):
        job = jobs.find(token, current_user.id) or abort(404)
    return job


@bp.get("/jobs/<token>")
@require(Permission.EXPORT_SUPPORT, refusal=404)
def job(token: str):
    if jobs.expired_exist():
        # Why a GET writes: a workbook with names outlives its hours on no page. A short
        # transaction of its own, on purpose: the page's reads then never hold the write lock.
        db.session.rollback()
        with writing():
            _tidy()
            db.session.commit()
    job = _job_or_404(token)
    return render_template("exports/job.html", job=job, form=Form(), max_attempts=jobs.MAX_ATTEMPTS)


@bp.get("/jobs/<token>/progress")
@require(Permission.EXPORT_SUPPORT, refusal=404)
def progress(token: str):
    job = _job_or_404(token)
    return {"state": job.state, "percent": job.percent}


@bp.post("/jobs/<token>/again")
@require(Permission.EXPORT_SUPPORT, refusal=404)
def again(token: str):
    """A failed job made again, with the same order, by its requester."""
    job = _job_or_404(token)
    if not Form().validate_on_submit() or job.state != jobs.State.FAILED:
        return redirect(url_for("exports.job", token=token))
    runner = jobs.new_runner()
    with writing():
        if jobs.start_again(token, runner):
            services.record_support_again(job)
            db.session.commit()  # before its thread starts, as for a new job (_in_background)
            tasks.launch(token, runner)
        else:
            db.session.rollback()  # started again by a first click
    return redirect(url_for("exports.job", token=token))


@bp.get("/jobs/<token>/download")
@require(Permission.EXPORT_SUPPORT, refusal=404)
def download(token: str):
    job = _job_or_404(token)
    workbook = jobs.open_workbook(job) if job.state == jobs.State.DONE else None
    if workbook is None:
        abort(404)
    filename = job.filename
    # Why a GET writes: a download of a file of people is audited. The reads end here, as a
    # GET writes only in a transaction begun to write; the request commits the entry
    # (unit_of_work.py).
    db.session.rollback()
    with writing():
        found = jobs.find(token, current_user.id)
        if found is None:  # expired since it was read above: nothing is sent, nothing audited
            abort(404)
        services.record_support_download(found)
        db.session.flush()
    # Unsealed a part at a time as it is sent: the workbook is never whole in memory, nor in
    # clear on disk.
    response = Response(stream_with_context(workbook.parts), mimetype=XLSX)
    response.content_length = workbook.size
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


@bp.route("/dataset", methods=["GET", "POST"])
@require(Permission.EXPORT_DATASET)
def dataset():
    """Case-level records without identifiers, every combination shared by at least k records."""
    form = DatasetForm()
    if not form.validate_on_submit():
        return render_template("exports/dataset.html", form=form, k=anonymised.dataset_k())
    years, kind = (form.year_from.data, form.year_to.data), form.file_format.data
    language = current_user.language
    db.session.rollback()  # ends the request's reads: the dataset's own begin afresh
    # A long read: on SQLite, other users' saves need not wait for it. Its file is made in
    # memory (one row per case, anonymised), its sheet sealed on disk until then.
    with writing(False), scratch.in_use():
        stream, report = services.make_dataset(current_user, *years, kind, language)
        db.session.rollback()
    with writing():  # the audit entry: the request commits it (unit_of_work.py)
        services.record_dataset(*years, kind, report)
        db.session.flush()
    return send_file(
        stream,
        mimetype=XLSX if kind == "xlsx" else "text/csv",
        as_attachment=True,
        download_name=f"anonymised-dataset-k{report.k}-{clock.today().isoformat()}.{kind}",
    )
