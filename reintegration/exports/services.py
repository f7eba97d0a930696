"""Making the support workbook and the anonymised dataset; every export is written to the audit
log."""

import io
from collections import Counter
from typing import IO

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..audit.models import Action
from ..audit.services import record
from ..errors import DomainError
from . import dataset, support
from .filters import Filters
from .jobs import Job
from .spool import Spool

REASON_NEEDED = _l("Say why the names are needed: the reason goes into the audit log.")


def export_support(filters: Filters, scope, target: IO[bytes] | Spool, reason: str = "") -> Counter:
    """Write the workbook of ``filters`` to ``target``, for the cases matching ``scope`` too,
    and record the export with its filters (and the reason, when names are in it).

    Returns the rows written per sheet. The caller commits, once the file is ready to leave.
    """
    rows = write_support(filters, scope, target, reason)
    record_support(filters, reason, rows)
    return rows


def write_support(filters: Filters, scope, target: IO[bytes] | Spool, reason: str = "") -> Counter:
    """Only the writing: a page request reads for it without holding SQLite's write lock,
    then records the export (``record_support``) in a short transaction of its own."""
    _reason(filters, reason)
    return support.write(filters, scope, target)


def record_support(filters: Filters, reason: str, rows: Counter) -> None:
    _record_support(filters, _reason(filters, reason), {"rows": sum(rows.values())})


def start_support_export(filters: Filters, reason: str, expected: int) -> None:
    """Record the export of a workbook made in the background as it starts, with the rows
    counted for it; the caller commits, then starts the job."""
    _record_support(filters, _reason(filters, reason), {"rows": expected, "background": True})


def record_support_download(job: Job) -> None:
    """A workbook made in the background leaves the server: audited again, with its filters."""
    changes = {"workbook": "support", "download": True, **job.audit, "rows": job.written}
    record(Action.EXPORT, job.entity, job.entity_id, changes=changes)


def record_support_again(job: Job) -> None:
    """A failed background workbook started again by its requester, with the same filters."""
    changes = {
        "workbook": "support",
        **job.audit,
        "rows": job.expected,
        "background": True,
        "again": True,
    }
    record(Action.EXPORT, job.entity, job.entity_id, changes=changes)


def _reason(filters: Filters, reason: str) -> str:
    reason = reason.strip()
    if filters.names and not reason:
        raise DomainError(REASON_NEEDED, "reason")
    return reason


def _record_support(filters: Filters, reason: str, extra: dict) -> None:
    changes = {
        "workbook": "support",
        **filters.audit(),
        "language": str(get_locale() or "vi"),
        **extra,
    }
    if filters.names:
        changes["reason"] = reason
    record(Action.EXPORT, filters.subject.__tablename__, filters.subject.id, changes=changes)


def make_dataset(user, year_from, year_to, file_format: str, language: str):
    """The anonymised dataset as a file in memory (one short row per case: a few MB for a
    national decade; never on disk), and how much was suppressed."""
    rows, report = dataset.suppress(dataset.records(user, year_from, year_to))
    stream = io.BytesIO()
    if file_format == "csv":
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        dataset.write_csv(rows, text, language)
        text.flush()
        text.detach()
    else:
        dataset.write_xlsx(rows, stream, language)
    stream.seek(0)
    return stream, report


def record_dataset(year_from, year_to, file_format: str, report) -> None:
    """Audited with the settings and the counts, never the rows."""
    record(
        Action.EXPORT,
        "anonymised_dataset",
        changes={
            "format": file_format,
            "years": [year_from, year_to],
            "k": report.k,
            "published": report.published,
            "generalised": report.generalised,
            "dropped": report.dropped,
        },
    )
