"""Small helpers every blueprint's views use."""

import io
from typing import Any, TypeVar
from urllib.parse import urlsplit

import flask
from flask import abort, current_app, redirect, request, url_for
from sqlalchemy import Select
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import DomainError
from .extensions import db
from .forms import attach_error
from .submissions import claim, record_result


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, never another host (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if len(target) > 2000 or not target.isprintable():
        return None  # a crafted link: the login must not carry it into its form
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


Found = TypeVar("Found")


def one_or_404(query: Select[Found]) -> Found:
    """The one record ``query`` finds, or 404. Every ``<thing>_or_404`` of a domain is this
    over a query that carries the user's scope condition: a record out of scope answers as if
    it did not exist, in one statement."""
    found = db.session.scalar(query)
    if found is None:
        abort(404)
    return found


def saved_redirect(endpoint: str, **values):
    """Post/Redirect/Get after a save: a form's one-time key remembers the page, for the form
    sent again (submissions.py). The request commits after the view (unit_of_work.py), this
    record with the save."""
    target = url_for(endpoint, **values)
    record_result(target)
    return redirect(target)


def page_url(number: int) -> str:
    """This page's address with the same filters and another page number. A name url_for
    reads itself (``endpoint``, ``_external``, ``_scheme``..., or one of the address's own) is
    not a filter: it is left out, so that no query string can break or redirect the link."""
    view_args = request.view_args or {}
    # As url_for takes the values of an address: its own keywords (``_external``...) are out.
    args: dict[str, Any] = {
        name: value
        for name, value in request.args.items()
        if not name.startswith("_") and name != "endpoint" and name not in view_args
    }
    args["page"] = number
    if request.endpoint is None:
        raise RuntimeError("a page number for a request that matched no page")
    return url_for(request.endpoint, **view_args, **args)


def made(form, change):
    """Like ``applied``, and hands back what the change made (None when a rule refused it)."""
    results = []
    return results[0] if applied(form, lambda: results.append(change())) else None


def applied(form, change) -> bool:
    """Run ``change``; when a rule refuses it, undo everything and show why on ``form``.

    The form's one-time key is spent first, in the same transaction (submissions.py)."""
    try:
        claim(form)
        change()
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return False
    return True


class Request(flask.Request):
    """Uploaded files are kept in memory, never spooled to a temporary file: an import's
    spreadsheet names people, and werkzeug writes an upload of more than 500 KB to the system's
    temporary folder in clear. Only the import takes a file, and its request is limited to
    IMPORT_MAX_BYTES (imports/views.py); a file sent anywhere larger than that is refused."""

    def _get_file_stream(
        self, total_content_length, content_type, filename=None, content_length=None
    ):
        most = current_app.config["IMPORT_MAX_BYTES"] + UPLOAD_ALLOWANCE
        if total_content_length is None or total_content_length > most:
            raise RequestEntityTooLarge()
        return io.BytesIO()


# Room in an upload's request for the form's other fields and the multipart boundaries.
UPLOAD_ALLOWANCE = 64 * 1024
