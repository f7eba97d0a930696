"""What a new password must not be (OWASP ASVS 2.1): shorter than 10 characters, one of the
10,000 most common passwords, close to the username or the person's name, or one character
repeated or a sequence.

"Common" is checked case-insensitively, as typed and with its digits and signs taken out, so
that "Password2026!" counts as "password". "Close to the name" means: the password holds the
username (or a part of it), or words of the name (of 3 letters or more, without diacritics),
and fewer than 4 letters of its own besides; a name word inside a longer password of its own
("Thị" inside "nothing") is not refused, or half the women of Vietnam could not use the word
"nothing".
"""

import itertools
import os
import re
import unicodedata
from functools import cache

from flask_babel import lazy_gettext as _l

from ..errors import DomainError

MIN_LENGTH = 10
# Fewer letters than this besides the username or the name, and a password is too close.
OWN_LETTERS = 4
# A password is predictable when this share of its steps, from one character to the next,
# repeats the character or follows a sequence.
PREDICTABLE_SHARE = 0.8

COMMON_PASSWORDS = os.path.join(os.path.dirname(__file__), "common-passwords.txt")

SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)

TOO_COMMON = _l(
    "This password is one of the most common ones (or one of them with digits or signs "
    "added): choose another."
)
TOO_CLOSE = _l("This password is too close to the username or the name: add words of your own.")
TOO_PREDICTABLE = _l(
    "This password is too easy to guess: one character repeated, or a sequence such as "
    "1234567890 or qwertyuiop."
)


@cache
def common_passwords() -> frozenset[str]:
    with open(COMMON_PASSWORDS, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    return frozenset(line.casefold() for line in lines[1:] if line)  # line 1 names the source


def fold(text: str) -> str:
    """Lower case, without diacritics ("Đặng Thị Hà" -> "dang thi ha")."""
    text = text.casefold().replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _compact(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum())


def _letters(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalpha())


def check(password: str, username: str = "", full_name: str = "") -> None:
    """Refuse, with the reason next to the password field, a password that breaks a rule."""
    if len(password) < MIN_LENGTH:
        raise DomainError(_l("Use at least %(count)s characters.", count=MIN_LENGTH), "password")
    if is_common(password):
        raise DomainError(TOO_COMMON, "password")
    if is_close_to(password, username, full_name):
        raise DomainError(TOO_CLOSE, "password")
    if is_predictable(password):
        raise DomainError(TOO_PREDICTABLE, "password")


def is_common(password: str) -> bool:
    common = common_passwords()
    forms = {password.casefold(), _compact(password), _letters(password)}
    return any(form and form in common for form in forms)


def _username_words(username: str) -> set[str]:
    words = {_compact(username), *re.split(r"[^a-z0-9]+", fold(username))}
    return {word for word in words if len(_letters(word)) >= 3}


def _name_words(full_name: str) -> set[str]:
    words = {_compact(word) for word in full_name.split()}
    return {word for word in words if len(_letters(word)) >= 3}


def _mostly(password: str, words: set[str]) -> bool:
    """Whether the password holds some of ``words`` and fewer than OWN_LETTERS letters more."""
    left = _compact(password)
    found = False
    for word in sorted(words, key=len, reverse=True):
        if word in left:
            found = True
            left = left.replace(word, " ")
    return found and len(_letters(left)) < OWN_LETTERS


def is_close_to(password: str, username: str, full_name: str) -> bool:
    """Mostly the username, or mostly the name (each apart: "demo-admin-2026" is neither for
    the demo's "admin", named "Quản trị (demo)")."""
    return _mostly(password, _username_words(username)) or _mostly(password, _name_words(full_name))


def _neighbours(a: str, b: str) -> bool:
    return a == b or any(a + b in s or b + a in s for s in SEQUENCES)


def is_predictable(password: str) -> bool:
    text = _compact(password)
    if len(set(text)) <= 3:
        return True
    steps = list(itertools.pairwise(text))
    predictable = sum(_neighbours(a, b) for a, b in steps)
    return predictable >= PREDICTABLE_SHARE * len(steps)
