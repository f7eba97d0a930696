"""Making the support workbook and the anonymised dataset; every export is written to the audit
log."""

import io
import tempfile
from collections import Counter
from typing import IO

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..audit.models import Action
from ..audit.services import record
from ..errors import DomainError
from . import dataset, support
from .queries import Filters

REASON_NEEDED = _l("Say why the names are needed: the reason goes into the audit log.")


def export_support(filters: Filters, scope, target: IO[bytes], reason: str = "") -> Counter:
    """Write the workbook of ``filters`` to ``target``, for the cases matching ``scope`` too,
    and record the export with its filters (and the reason, when names are in it).

    Returns the rows written per sheet. The caller commits, once the file is ready to leave.
    """
    reason = reason.strip()
    if filters.names and not reason:
        raise DomainError(REASON_NEEDED, "reason")
    rows = support.write(filters, scope, target)
    changes = {
        "workbook": "support",
        **filters.audit(),
        "language": str(get_locale() or "vi"),
        "rows": sum(rows.values()),
    }
    if filters.names:
        changes["reason"] = reason
    place = filters.facility if filters.facility is not None else filters.province
    record(Action.EXPORT, place.__tablename__, place.id, changes=changes)
    return rows


def export_dataset(user, year_from, year_to, file_format: str, language: str):
    """The anonymised dataset as a temporary file, and how much was suppressed.

    Audited with the settings and the counts, never the rows."""
    rows, report = dataset.suppress(dataset.records(user, year_from, year_to))
    stream = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it)
    if file_format == "csv":
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        dataset.write_csv(rows, text, language)
        text.flush()
        text.detach()
    else:
        dataset.write_xlsx(rows, stream, language)
    stream.seek(0)
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
    return stream, report
