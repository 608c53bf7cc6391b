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
>>> parse_jalali("۱۴۰۵/۰۱/۱۵")
datetime.date(2026, 4, 4)
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import jdatetime

from spatial.errors import InvalidInput

#: Iran Standard Time (no daylight saving since 1402): the offices' clock and their "day".
IRAN = timezone(timedelta(hours=3, minutes=30))

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_JALALI = re.compile(r"^\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*$")
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


def iran_today() -> date:
    """Today in Iran: the day a moment recorded now falls on in the workspace's Jalali filters
    (the server's own date differs from 20:30 to midnight UTC)."""
    return datetime.now(IRAN).date()


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


def month_ends(until: date, months: int) -> list[tuple[str, date]]:
    """The last ``months`` Jalali months up to ``until``, oldest first: ``("1405/01", last day)``,
    the current month ending on ``until`` itself.

    Examples
    --------
    >>> month_ends(date(2026, 4, 1), 2)
    [('1404/12', datetime.date(2026, 3, 20)), ('1405/01', datetime.date(2026, 4, 1))]
    """
    j = jdatetime.date.fromgregorian(date=until)
    year, month = j.year, j.month
    ends: list[tuple[str, date]] = []
    for _ in range(months):
        nxt = jdatetime.date(year + month // 12, month % 12 + 1, 1).togregorian()
        ends.append((f"{year:04d}/{month:02d}", min(until, nxt - timedelta(days=1))))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return ends[::-1]


def format_number(value: float | int | None, lang: str = "fa", decimals: int = 1) -> str:
    """A number for display, grouped by thousands, in Persian digits for ``fa``."""
    if value is None:
        return "—" if lang != "fa" else "بدون داده"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.{decimals}f}"
    if lang == "fa":
        return persian_digits(text.replace(",", "٬").replace(".", "٫"))
    return text


def latin_digits(value: str) -> str:
    """``value`` with Persian and Arabic-Indic digits replaced by Western ones."""
    return value.translate(_LATIN_DIGITS)


def parse_jalali(text: str, field: str = "date") -> date:
    """The day a typed Jalali date names: ``۱۴۰۵/۰۱/۱۵``, ``1405/1/15`` or ``1405-01-15``.

    Raises :class:`InvalidInput` naming ``field`` for anything else (including days that
    do not exist, such as 1405/12/31 in a common year).
    """
    found = _JALALI.match(latin_digits(text or ""))
    if found is None:
        raise InvalidInput(f"Write the {field} as a Jalali date like 1405/01/15.", field=field)
    year, month, day = (int(g) for g in found.groups())
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        raise InvalidInput(f"{persian_digits(text)} is not a day of the Jalali calendar.", field=field) from None
