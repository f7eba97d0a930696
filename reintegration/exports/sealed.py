"""A write-only workbook whose sheets wait for the save sealed with a key of their own
(``Spool``, spool.py), never in clear on disk."""

import time
from contextlib import suppress
from datetime import UTC, datetime
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from .spool import Spool


class _SealedSheetWriter(WorksheetWriter):
    """openpyxl's writer of a sheet, into a sealed ``Spool`` instead of its temporary file in
    clear (``create_temporary_file``, a named file in the system's temporary folder)."""

    def __init__(self, ws):
        self.spool = Spool()
        super().__init__(ws, out=self.spool)

    def cleanup(self) -> None:
        self.spool.close()


class _SealedSheet(WriteOnlyWorksheet):
    _writer: _SealedSheetWriter | None  # set to None by openpyxl; its stubs do not say

    def _get_writer(self):
        # openpyxl makes the writer at the first row (the sheet's layout is written then),
        # always with a temporary file in clear: this is the one place to give it the spool.
        if self._writer is None:
            self._writer = _SealedSheetWriter(self)
            self._writer.write_top()


class _SpoolingArchive(ZipFile):
    """The xlsx file: a sheet's spool is read back into it chunk by chunk, where openpyxl's
    own ``save`` would give ``ZipFile.write`` the name of its temporary file."""

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        if not isinstance(filename, Spool):
            return super().write(filename, arcname, compress_type, compresslevel)
        entry = ZipInfo(arcname, date_time=time.localtime()[:6])
        entry.compress_type = self.compression
        entry.file_size = filename.size  # for ZipFile to choose ZIP64 for a very large sheet
        with self.open(entry, "w") as target:
            filename.copy_to(target)
        return None


class SealedWorkbook(Workbook):
    """openpyxl's write-only workbook whose sheets wait for the save sealed (``Spool``), never
    in clear on disk: each sheet's XML is about 700 bytes a row, too much to hold in memory for
    a province's workbook, and it holds names and trafficking details.

    ``save`` takes a file object: a file in memory (a workbook made during a request), a
    ``Spool`` (a large one), or the file an officer named."""

    def __init__(self):
        super().__init__(write_only=True)

    def create_sheet(self, title=None, index=None):
        sheet = _SealedSheet(parent=self, title=title)
        # A private method of openpyxl's workbook, which its stubs leave out.
        self._add_sheet(sheet=sheet, index=index)  # type: ignore[attr-defined]
        return sheet

    def save(self, filename) -> None:
        # openpyxl's save_workbook, with the archive that reads the spools.
        if not self.worksheets:
            self.create_sheet()
        self.properties.modified = datetime.now(tz=UTC).replace(tzinfo=None)
        ExcelWriter(self, _SpoolingArchive(filename, "w", ZIP_DEFLATED, allowZip64=True)).save()


def new_workbook() -> SealedWorkbook:
    return SealedWorkbook()


def discard(book: SealedWorkbook) -> None:
    """Drop the rows a failed export already wrote: each sheet waits in its spool until the
    workbook is saved, and a spool left open would keep its file until collected."""
    for ws in book.worksheets:
        if not ws.closed:
            # Ends the sheet's stream, which would otherwise write to the file once collected.
            with suppress(Exception):
                ws.close()
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            writer.cleanup()
