"""Folding Vietnamese text for search."""

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
