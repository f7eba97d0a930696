"""Folding Vietnamese text for search, and the characters no stored text may hold."""

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case ASCII without diacritics, single spaces: "Nguyễn Thị Đào" -> "nguyen thi dao"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"\s+", " ", stripped).strip().lower()


def like_pattern(text: str) -> str:
    """Escape LIKE wildcards typed by a user (the escape character is a backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Characters no page, file or database should be given: control characters (NUL and the like;
# tabs and line breaks aside in a text of several lines), lone surrogates and Unicode's
# noncharacters, which an xlsx file cannot hold.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)
)
_UNWRITABLE = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")
_UNWRITABLE_IN_NOTES = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]"
)


def unwritable(text: str, multiline: bool = False) -> bool:
    """Whether ``text`` holds a character that must not be stored (see above)."""
    if text.isprintable():  # most text, in one pass
        return False
    return (_UNWRITABLE_IN_NOTES if multiline else _UNWRITABLE).search(text) is not None


def without_unwritable(text: str, multiline: bool = False) -> str:
    """``text`` without the characters ``unwritable`` finds, to show a refused text again."""
    return (_UNWRITABLE_IN_NOTES if multiline else _UNWRITABLE).sub("", text)


def writable(text: str) -> str:
    """``text`` without those characters, for a file made of text stored by an older release;
    line breaks are kept, and made plain."""
    if text.isprintable():
        return text
    return _UNWRITABLE_IN_NOTES.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
