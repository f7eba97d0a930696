"""Data sealed before it is stored: encrypted and authenticated (AES-GCM) with a key derived
from SECRET_KEY (HKDF-SHA256), so that a copy of the database does not carry it in clear.

Each use has its own ``purpose``, from which its own key is derived, so that a value sealed for
one use cannot be opened as another. ``bound_to`` names the record the value belongs to (a
token, a part number): it is authenticated, not stored, so a sealed value copied onto another
record does not open there.

Changing SECRET_KEY makes every sealed value unreadable (``Unreadable``): what is sealed here is
short-lived (a workbook waiting a day for its download, an import's preview waiting an hour),
so after a change of key it is simply gone, as if expired.
"""

import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# The first byte of a sealed value says how it was sealed, so that another way can follow.
VERSION = b"\x01"
NONCE_BYTES = 12
# What sealing adds to a value: the version, the nonce and AES-GCM's 16-byte tag.
OVERHEAD = len(VERSION) + NONCE_BYTES + 16
SALT = b"reintegration sealing"


class Unreadable(ValueError):
    """The value was sealed with another key, for another purpose or record, or altered."""


@lru_cache(maxsize=32)
def _key(secret: str, purpose: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=SALT, info=purpose.encode("utf-8")
    ).derive(secret.encode("utf-8"))
    return AESGCM(derived)


def _cipher(purpose: str) -> AESGCM:
    return _key(str(current_app.config["SECRET_KEY"]), purpose)


def seal(data: bytes, purpose: str, bound_to: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + _cipher(purpose).encrypt(nonce, data, bound_to.encode("utf-8"))


def unseal(sealed: bytes, purpose: str, bound_to: str) -> bytes:
    sealed = bytes(sealed)
    if not sealed.startswith(VERSION) or len(sealed) < 1 + NONCE_BYTES:
        raise Unreadable(purpose)
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return _cipher(purpose).decrypt(nonce, body, bound_to.encode("utf-8"))
    except InvalidTag as error:
        raise Unreadable(purpose) from error
