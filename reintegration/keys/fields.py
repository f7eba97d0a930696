"""Personal fields stored encrypted: AES-256-GCM, a fresh nonce each time, and the column's
name authenticated with the value, so that a value copied into another column does not open.

Stored as text: ``ID:BASE64`` where ID names the key (a rotation re-encrypts under the next).
An empty text stays empty (it says nothing about anyone) and NULL stays NULL.

The database cannot compare, sort or search these columns: the name search and the duplicate
check read the keyed tokens of ``tokens`` instead; nothing filters or sorts by them in SQL.
"""

import base64
import os
from datetime import date

from cryptography.exceptions import InvalidTag
from sqlalchemy import Text
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from .keyring import KeyProblem, keyring

NONCE_BYTES = 12


class Unreadable(KeyProblem):
    """A stored value that the keys do not open: another key, another column, or altered."""


def encrypt(purpose: str, text: str) -> str:
    key = keyring().current
    nonce = os.urandom(NONCE_BYTES)
    body = key.cipher.encrypt(nonce, text.encode("utf-8"), purpose.encode("utf-8"))
    return f"{key.id}:{base64.b64encode(nonce + body).decode('ascii')}"


def decrypt(purpose: str, stored: str) -> str:
    key_id, _, encoded = stored.partition(":")
    key = keyring().get(key_id)
    if key is None:
        raise Unreadable(f"{purpose}: no key {key_id!r} in {keyring().source}")
    try:
        raw = base64.b64decode(encoded, validate=True)
        opened = key.cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode("utf-8"))
    except (InvalidTag, ValueError) as error:
        raise Unreadable(f"{purpose}: a value the key {key_id} does not open") from error
    return opened.decode("utf-8")


class NotComparable(TypeError):
    """SQL cannot compare, order or search an encrypted column."""


class Encrypted(TypeDecorator):
    """A text column stored encrypted. ``purpose`` is the column ("cases.full_name");
    ``length`` the most characters a form accepts, as String(n) said before.

    Comparing it in SQL (``Case.full_name == "..."``, LIKE, ORDER BY) would compare
    ciphertexts and silently find nothing: it raises instead. Only ``IS (NOT) NULL`` is
    allowed; a search reads the keyed tokens of ``tokens``."""

    impl = Text
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator):
        def operate(self, op, *other, **kwargs):
            if op in (operators.is_, operators.is_not) and other == (None,):
                return super().operate(op, *other, **kwargs)
            raise NotComparable(
                "an encrypted column cannot be compared, ordered or searched in SQL: "
                "search by keys.tokens"
            )

        def reverse_operate(self, op, other, **kwargs):
            raise NotComparable("an encrypted column cannot be compared in SQL")

    def __init__(self, purpose: str, length: int | None = None):
        super().__init__()
        self.purpose = purpose
        self.length = length

    def dump(self, value) -> str:
        return str(value)

    def load(self, text: str):
        return text

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        return encrypt(self.purpose, self.dump(value))

    def process_result_value(self, value, dialect):
        if value is None or value == "":
            return value
        return self.load(decrypt(self.purpose, value))

    @property
    def python_type(self):
        return str


class EncryptedDate(Encrypted):
    """A date stored encrypted (ISO text inside)."""

    cache_ok = True

    def dump(self, value: date) -> str:
        return value.isoformat()

    def load(self, text: str) -> date:
        return date.fromisoformat(text)

    @property
    def python_type(self):
        return date
