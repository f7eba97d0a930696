"""Reading cases: the scope a user sees, one case by its id, and the search by code or name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask_login import current_user
from sqlalchemy import ColumnElement, and_, or_, select

from ..access import scope_condition
from ..keys import tokens
from ..text import like_pattern
from ..web import one_or_404
from .models import Case

if TYPE_CHECKING:
    from ..auth.models import User


def case_scope(user: User) -> ColumnElement[bool]:
    """The condition on Case that ``user`` may see: shelter staff their facility's cases,
    officers and case workers those received in or coming home to their province."""
    return scope_condition(
        user, provinces=(Case.province_id, Case.home_province_id), facility=Case.facility_id
    )


def case_or_404(case_id: int, *options) -> Case:
    return one_or_404(
        select(Case).where(Case.id == case_id, case_scope(current_user)).options(*options)
    )


def matching(text: str) -> ColumnElement[bool]:
    """Cases whose code begins with ``text`` or ends with its digits ("0037" finds
    NA-2026-0037), whose name has a word beginning with each word of ``text``, in any order,
    with or without diacritics, or whose phone number is ``text``'s digits.

    Names and phones are encrypted: they are found by their keyed tokens (keys.tokens)."""
    found: list[ColumnElement[bool]] = [
        Case.code.like(f"{like_pattern(text.upper())}%", escape="\\")
    ]
    if CODE_DIGITS.fullmatch(text):
        found.append(Case.code.like(f"%-{like_pattern(text)}", escape="\\"))
    if words := tokens.name_matches(text):
        found.append(and_(*words))
    if (phone := tokens.same_phone(text)) is not None:
        found.append(phone)
    return or_(*found)


CODE_DIGITS = re.compile(r"\d+(-\d+)?")
