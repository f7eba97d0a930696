"""Small helpers every blueprint's views use."""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Section:
    """One section of a page, made by a domain above the page's: the template that draws it
    and the values that template reads (as ``section.values``)."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)


class Sections:
    """A named place on a page of a lower domain where domains above it add sections.

    The layers (ARCHITECTURE.md) let a domain import only the domains below it. Yet some pages
    of a lower domain show what a higher one knows: the facility page (shelter) and the course
    page (training) show the job outcome of their people, which employment computes. The page
    cannot import employment; instead its domain declares a place, ``facility_sections =
    Sections("facility")``, passes ``facility_sections.made(facility, user)`` to its template,
    and draws them where they go, knowing nothing of what fills the place::

        {% for section in sections %}{% include section.template %}{% endfor %}

    The higher domain imports the lower one (downward, as allowed) and registers a maker when
    its views module is imported::

        @facility_sections.register
        def facility_outcome_section(facility, user) -> Section:
            outcome = facility_outcome(facility, user)
            return Section("employment/_facility_outcome.html", {"outcome": outcome})

    ``create_app`` imports every blueprint's views before the first request, so every section
    is registered before a page is drawn. A maker takes the page's arguments; the sections come
    in the order registered. The page's own template draws them, escaping as everywhere else.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        # Keyed by the maker's module and name: a module imported again replaces its section.
        self.makers: dict[str, Callable[..., Section]] = {}

    def register(self, maker: Callable[..., Section]) -> Callable[..., Section]:
        """Add ``maker``'s section; used as a decorator."""
        self.makers[f"{maker.__module__}.{maker.__qualname__}"] = maker
        return maker

    def made(self, *args: Any, **kwargs: Any) -> list[Section]:
        """Every registered section for these page arguments, in the order registered."""
        return [maker(*args, **kwargs) for maker in self.makers.values()]

    def __repr__(self) -> str:
        return f"Sections({self.name!r})"


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
