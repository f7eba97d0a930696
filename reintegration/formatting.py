"""How dates, times and money are written on every page, in both languages."""

from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_decimal
from flask import Flask
from flask_babel import get_locale

from . import clock


def day(value: date | None) -> str:
    """dd/mm/yyyy, the way dates are written in Vietnam."""
    return value.strftime("%d/%m/%Y") if value else ""


def moment(value: datetime | None) -> str:
    """A stored UTC time, shown in Vietnam's time as dd/mm/yyyy HH:MM."""
    return clock.local(value).strftime("%d/%m/%Y %H:%M") if value else ""


def money(value: int | None) -> str:
    """Whole dong: 1.500.000 ₫ in Vietnamese, 1,500,000 ₫ in English."""
    if value is None:
        return ""
    locale = get_locale() or "vi"
    return f"{format_decimal(value, format='#,##0', locale=locale)} ₫"


def number(value: int | None) -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0", locale=get_locale() or "vi")


def coefficient(value: Decimal | None) -> str:
    """1,5 in Vietnamese, 1.5 in English: no grouping, so a form field reads it back."""
    if value is None:
        return ""
    return format_decimal(value, format="0.##", locale=get_locale() or "vi")


def percent(share: float | None) -> str:
    """A share as a whole percentage; a dash when nothing was counted."""
    return "—" if share is None else f"{round(share * 100)}%"


def register_filters(app: Flask) -> None:
    app.add_template_filter(day)
    app.add_template_filter(moment)
    app.add_template_filter(money)
    app.add_template_filter(number)
    app.add_template_filter(percent)
    app.add_template_filter(coefficient)
