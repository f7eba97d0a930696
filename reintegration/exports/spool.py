"""Bytes too many to hold in memory, kept on disk sealed: a workbook's sheets while it is made,
and a large workbook before it is stored or written where an officer asked.

A support workbook of a whole province holds about 700 bytes of sheet XML a row (1.76 million
rows: 1.2 GB), in clear: names, homes and trafficking details. In memory that would make a
web worker a gigabyte larger; on disk in clear a crash, a disk image or a backup of the server
could keep it. So it goes to a file without a name (unlinked as it is made, so a killed process
leaves nothing behind) in the process's own folder (``scratch``), sealed with AES-GCM under a
key made for that file alone and held only in this object's memory: what is on disk cannot be
read by anyone, even while the process runs, and nothing is left that could open it once the
process ends.

The bytes are sealed in chunks of ``CHUNK`` bytes, each with its number as its nonce (the key
seals this one file only) and the last one marked as such, so that a chunk altered, moved or
cut off is refused when read back.
"""

import tempfile
from collections.abc import Iterator

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import has_app_context

from .. import scratch

CHUNK = 256 * 1024
_LENGTH = 4  # bytes of each sealed chunk's length, before it
_MORE, _LAST = b"more", b"last"


class Broken(ValueError):
    """A chunk read back was altered, moved or cut off."""


class Spool:
    """A file-like object to ``write`` to once, then read back with ``chunks`` (several times
    if need be), then ``close``. ``size`` is the count of bytes written."""

    def __init__(self):
        folder = scratch.folder() if has_app_context() else None
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115  (closed by close)
        self._cipher: AESGCM | None = AESGCM(AESGCM.generate_key(bit_length=256))
        self._pending = bytearray()
        self._sealed = 0  # chunks on disk
        self._ended = False
        self.size = 0

    def write(self, data) -> int:
        if self._ended:
            raise ValueError("the spool was read: it takes no more bytes")
        self._pending += data
        self.size += len(data)
        while len(self._pending) >= CHUNK:
            self._seal(bytes(self._pending[:CHUNK]), _MORE)
            del self._pending[:CHUNK]
        return len(data)

    def flush(self) -> None:
        """Nothing to do: what is not yet sealed stays in memory until a chunk is full."""

    def _seal(self, data: bytes, mark: bytes) -> None:
        sealed = self.cipher.encrypt(self._sealed.to_bytes(12, "big"), data, mark)
        self._file.write(len(sealed).to_bytes(_LENGTH, "big") + sealed)
        self._sealed += 1

    @property
    def cipher(self) -> AESGCM:
        if self._cipher is None:
            raise ValueError("the spool is closed")
        return self._cipher

    def chunks(self) -> Iterator[bytes]:
        """The bytes written, in chunks of at most ``CHUNK``; no more can be written."""
        if not self._ended:
            self._seal(bytes(self._pending), _LAST)
            self._pending = bytearray()
            self._ended = True
        self._file.seek(0)
        for number in range(self._sealed):
            length = int.from_bytes(self._file.read(_LENGTH), "big")
            mark = _LAST if number == self._sealed - 1 else _MORE
            try:
                yield self.cipher.decrypt(number.to_bytes(12, "big"), self._file.read(length), mark)
            except Exception as error:
                raise Broken("a chunk of the spool does not open") from error

    def copy_to(self, target) -> None:
        for chunk in self.chunks():
            target.write(chunk)

    def close(self) -> None:
        """The file goes, and the key with it."""
        self._cipher = None
        self._pending = bytearray()
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._cipher is None

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def in_parts(spool: Spool, size: int) -> Iterator[bytes]:
    """The bytes of ``spool`` in parts of ``size`` bytes (the last one shorter)."""
    part = bytearray()
    for chunk in spool.chunks():
        part += chunk
        while len(part) >= size:
            yield bytes(part[:size])
            del part[:size]
    if part:
        yield bytes(part)
