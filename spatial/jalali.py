"""Persian display helpers: Persian digits and Jalali (Solar Hijri) dates.

Dates are stored as ISO dates; only views convert them, through this module.

Examples
--------
>>> persian_digits("1403/06/12")
'۱۴۰۳/۰۶/۱۲'
>>> format_date(date(2024, 9, 2), "fa")
'۱۲ شهریور ۱۴۰۳'
>>> format_date(date(2024, 9, 2), "en")
'2024-09-02'
>>> jalali_numeric(date(2024, 9, 2))
'1403/06/12'
"""

from __future__ import annotations

from datetime import date

import jdatetime

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_MONTHS_FA = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)


def persian_digits(value: object) -> str:
    """``value`` as text with Western digits replaced by Persian ones."""
    return str(value).translate(_PERSIAN_DIGITS)


def to_jalali(day: date) -> tuple[int, int, int]:
    """The (year, month, day) of ``day`` in the Solar Hijri calendar."""
    j = jdatetime.date.fromgregorian(date=day)
    return j.year, j.month, j.day


def format_date(day: date | None, lang: str = "fa") -> str:
    """``day`` for display: '۱۲ شهریور ۱۴۰۳' in Persian, ISO in English; '' for None."""
    if day is None:
        return ""
    if lang != "fa":
        return day.isoformat()
    year, month, dd = to_jalali(day)
    return persian_digits(f"{dd} {_MONTHS_FA[month - 1]} {year}")


def jalali_numeric(day: date | None, persian: bool = False) -> str:
    """``day`` as a sortable Jalali ``YYYY/MM/DD`` (for spreadsheets and tables); '' for None."""
    if day is None:
        return ""
    year, month, dd = to_jalali(day)
    text = f"{year:04d}/{month:02d}/{dd:02d}"
    return persian_digits(text) if persian else text


def format_number(value: float | int | None, lang: str = "fa", decimals: int = 1) -> str:
    """A number for display, grouped by thousands, in Persian digits for ``fa``."""
    if value is None:
        return "—" if lang != "fa" else "بدون داده"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.{decimals}f}"
    if lang == "fa":
        return persian_digits(text.replace(",", "٬").replace(".", "٫"))
    return text
