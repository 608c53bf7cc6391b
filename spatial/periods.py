"""One period model: a period is a year, and the Jalali year 1403 and the Gregorian
year 2024 are the same period.

Convention: a period is **stored as the Gregorian year in which its Jalali (Solar Hijri)
year begins** — Jalali 1403 begins at Nowruz, 20 March 2024, so it is stored as ``'2024'``
(Jalali year + 621). Input is accepted in either calendar and in Persian or Latin digits
(``'1403'``, ``'۱۴۰۳'``, ``'2024'``); a four-digit year below 1800 is read as Jalali (Jalali
1179 is Gregorian 1800, so the two ranges cannot meet for years a plan speaks of). Views
show the Jalali year in Persian digits on Persian pages and the Gregorian year on
English ones. A label that is not a year (a benchmark's ``'bench'``) is kept as written.

Examples
--------
>>> period_key("1403"), period_key("۱۴۰۳"), period_key(" 2024 ")
('2024', '2024', '2024')
>>> show_period("2024", "fa"), show_period("2024", "en")
('۱۴۰۳', '2024')
"""

from __future__ import annotations

import re

from spatial.errors import InvalidInput
from spatial.jalali import latin_digits, persian_digits

#: Gregorian year in which a Jalali year begins, minus that Jalali year.
JALALI_OFFSET = 621
#: Four-digit years below this are Jalali; from it on, Gregorian.
FIRST_GREGORIAN = 1800
_YEAR = re.compile(r"^\d{4}$")


def period_key(text: str, field: str = "period") -> str:
    """The stored form of a period typed as ``text`` (Jalali or Gregorian year, any digits).

    Raises :class:`InvalidInput` naming ``field`` when ``text`` is empty.
    """
    cleaned = latin_digits(str(text)).strip()
    if not cleaned:
        raise InvalidInput("Name the period as a year, e.g. 1403 or 2024.", field=field)
    if _YEAR.match(cleaned) and int(cleaned) < FIRST_GREGORIAN:
        return str(int(cleaned) + JALALI_OFFSET)
    return cleaned


def optional_period_key(text: str | None) -> str | None:
    """:func:`period_key` of ``text``, or ``None`` when no period is named (the latest is meant)."""
    return None if text is None or not str(text).strip() else period_key(text)


def show_period(period: str | None, lang: str = "fa") -> str:
    """A stored period for display: the Jalali year in Persian digits (``fa``), else as stored."""
    if period is None or period == "":
        return "—"
    if lang != "fa":
        return str(period)
    if _YEAR.match(str(period)) and int(period) >= FIRST_GREGORIAN:
        return persian_digits(int(period) - JALALI_OFFSET)
    return persian_digits(period)
