"""Keyed search tokens (a blind index) of the encrypted names, phones and birth dates.

A token is HMAC-SHA256 under the key's token key of a kind and a folded text, cut to 16 bytes:
the same word gives the same token, so the database can find it, but a token says nothing of
the word to someone without the key. A name gives a token for each word (folded: lower case,
no diacritics), for each prefix of a word from 2 letters, and for the whole name; a phone, one
for its digits; a birth date, one.

What tokens still tell a holder of the database without the key: how many cases share a token
(so which words are common), and which cases share a name. Not the words themselves.
"""

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, delete, insert, select

from ..extensions import Model, db
from ..text import fold
from .keyring import DataKey, keyring
from .models import SearchToken

WORD = "w"
NAME = "n"
PHONE = "p"
BIRTH = "d"
SHORTEST_PREFIX = 2


def token(key: DataKey, kind: str, text: str) -> str:
    message = f"{kind}\x00{text}".encode()
    return hmac.new(key.token_key, message, hashlib.sha256).hexdigest()[:32]


def words(name: str) -> list[str]:
    return re.findall(r"\w+", fold(name))


def phone_digits(phone: str) -> str:
    """The digits of a phone number, a Vietnamese +84 written as the national 0."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def _texts(full_name: str, phone: str, born: date | None) -> set[tuple[str, str]]:
    texts = set()
    for word in words(full_name):
        texts.add((WORD, word))
        for end in range(SHORTEST_PREFIX, len(word)):
            texts.add((WORD, word[:end]))
    if words(full_name):
        texts.add((NAME, " ".join(words(full_name))))
    if phone_digits(phone or ""):
        texts.add((PHONE, phone_digits(phone)))
    if born is not None:
        texts.add((BIRTH, born.isoformat()))
    return texts


def rows_for(case_id: int, full_name: str, phone: str, born: date | None, key: DataKey):
    return [
        {"token": token(key, kind, text), "case_id": case_id, "key_id": key.id}
        for kind, text in _texts(full_name, phone, born)
    ]


def rows_for_cases(cases: list[dict]) -> list[dict]:
    """The token rows of cases inserted in bulk (as dicts with id, full_name, phone and
    date_of_birth), under the current key."""
    key = keyring().current
    return [
        row
        for case in cases
        for row in rows_for(
            case["id"], case["full_name"], case.get("phone", ""), case.get("date_of_birth"), key
        )
    ]


def case_id_column() -> ColumnElement[int]:
    """``cases.id``, as the tokens' own foreign key names it: the keys know no case model."""
    (foreign_key,) = SearchToken.__table__.c.case_id.foreign_keys
    return foreign_key.column


def case_model() -> type[Model]:
    """The model the tokens index (mapped to the table their foreign key points to)."""
    table = case_id_column().table
    return next(m.class_ for m in Model.registry.mappers if m.local_table is table)


def index_case(case) -> None:
    """Make the case's tokens again from its name, phone and birth date (after a flush).

    The case's row is locked first (PostgreSQL): a save and a key rotation remaking the same
    case's tokens take turns, so neither inserts a token the other has just inserted, and the
    later one reads the name the earlier one committed."""
    case_id = case_id_column()
    db.session.execute(select(case_id).where(case_id == case.id).with_for_update())
    db.session.execute(delete(SearchToken).where(SearchToken.case_id == case.id))
    rows = rows_for(case.id, case.full_name, case.phone, case.date_of_birth, keyring().current)
    if rows:
        db.session.execute(insert(SearchToken), rows)


def _any_key(kind: str, text: str) -> list[str]:
    """The token of ``text`` under every key of the keyring (a rotation may be halfway)."""
    return [token(key, kind, text) for key in keyring().keys]


def cases_with(kind: str, text: str) -> ColumnElement[bool]:
    """A condition on cases.id: the case has this token."""
    return case_id_column().in_(
        select(SearchToken.case_id).where(SearchToken.token.in_(_any_key(kind, text)))
    )


# A search reads at most this many words (a name has fewer): a text of thousands of words
# would otherwise make a query of thousands of conditions.
MOST_WORDS = 8


def name_matches(text: str) -> list[ColumnElement[bool]]:
    """Conditions that each word typed begins a word of the name (a word of one letter must be
    a whole word); empty when nothing was typed that a name holds."""
    typed = list(dict.fromkeys(words(text)))[:MOST_WORDS]
    return [cases_with(WORD, word) for word in typed]


def same_name(full_name: str) -> ColumnElement[bool]:
    return cases_with(NAME, " ".join(words(full_name)))


def same_birth(born: date) -> ColumnElement[bool]:
    return cases_with(BIRTH, born.isoformat())


def same_phone(phone: str) -> ColumnElement[bool] | None:
    digits = phone_digits(phone)
    return cases_with(PHONE, digits) if len(digits) >= 6 else None


def stale_cases(current_id: str, limit: int) -> Sequence[int]:
    """Cases with a token made by another key than the current one (a rotation's work)."""
    return db.session.scalars(
        select(SearchToken.case_id).where(SearchToken.key_id != current_id).distinct().limit(limit)
    ).all()
