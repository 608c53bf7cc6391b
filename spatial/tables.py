"""Tables for people to take away: an Excel workbook, a CSV file or a PDF, in the
reader's language.

A :class:`Table` holds words already in that language (headers from the message
catalogue, stored codes turned into words by their builders, e.g.
:func:`spatial.planning.exchange.roadmap_tables`) and typed values: numbers stay numbers
and days stay :class:`~datetime.date`, written here as Persian readers read them —
Jalali (``1403/06/12``) in Persian, ISO days in English. Persian workbooks read right
to left; CSV files start with a byte-order mark so that Excel opens Persian as UTF-8.
A PDF is printed from an HTML page by WeasyPrint (Pango shapes the Persian text and
lays it out right to left).

Examples
--------
>>> table = Table("اقدام‌ها", ["عنوان", "پایان"], [["کارگاه فرش", date(2025, 3, 20)]])
>>> to_csv(table, "fa").decode("utf-8-sig").splitlines()[1]
'کارگاه فرش,1403/12/30'
"""

from __future__ import annotations

import atexit
import csv
import gc
import io
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import xlsxwriter

from spatial.jalali import jalali_numeric

#: A cell: text, a number, a day, or nothing.
Cell = str | int | float | date | None
#: What Excel refuses in a sheet's name, and its longest name.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31


@dataclass
class Table:
    """One sheet: its title, its column headers and its rows, in the reader's language."""

    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


def cell_text(value: Cell, lang: str) -> str:
    """A cell as text: Jalali days in Persian, ISO days in English, '' for nothing."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return jalali_numeric(value) if lang == "fa" else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet_title(title: str, taken: set[str]) -> str:
    name = _SHEET_FORBIDDEN.sub(" ", title).strip()[:_SHEET_MAX] or "1"
    n = 2
    while name in taken:
        suffix = f" {n}"
        name = name[: _SHEET_MAX - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def to_xlsx(tables: Sequence[Table], lang: str) -> bytes:
    """An .xlsx workbook, one sheet per table: bold frozen headers, right to left in
    Persian, days as Jalali text in Persian and as Excel dates in English.

    Written by XlsxWriter (column widths measured on the first rows): writing cells was
    most of the time of a list of thousands of rows in openpyxl, even in its write-only mode.
    Kept in memory with a shared-strings table, not streamed row by row (``constant_memory``):
    streaming writes every text inline, escaped cell by cell, and was twice as slow on the
    late list of 4,657 actions. Text is never taken for a formula or a link: a title
    starting with ``=`` stays a title."""
    with _collector_paused():
        return _xlsx(tables, lang)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a workbook is built: its tens of thousands of cells
    (no cycles among them) would otherwise set off full collections that walk every object of
    a serving process — in the monitoring centre's, every other late list spent 250 ms more so."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _xlsx(tables: Sequence[Table], lang: str) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "default_date_format": "yyyy-mm-dd", "remove_timezone": True,
                                   "nan_inf_to_errors": True})
    taken: set[str] = set()
    bold, wrap = wb.add_format({"bold": True}), wb.add_format({"text_wrap": True, "valign": "top"})
    for table in tables:
        ws = wb.add_worksheet(_sheet_title(table.title, taken))
        if lang == "fa":
            ws.right_to_left()
        ws.freeze_panes(1, 0)
        for i, header in enumerate(table.headers):
            width = max([len(header), *(len(cell_text(row[i], lang)) for row in table.rows[:199] if i < len(row))])
            ws.set_column(i, i, min(60, max(8, width + 2)))
        ws.write_row(0, 0, table.headers, bold)
        for r, row in enumerate(table.rows, start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value, wrap if "\n" in value else None)
                elif isinstance(value, date):
                    if lang == "fa":
                        ws.write_string(r, c, cell_text(value, lang))
                    else:
                        ws.write_datetime(r, c, value)
                else:
                    ws.write_number(r, c, value)
    wb.close()
    return out.getvalue()


def to_csv(table: Table, lang: str) -> bytes:
    """One table as CSV in UTF-8 with a byte-order mark (Excel then reads Persian right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([cell_text(v, lang) for v in row])
    return out.getvalue().encode("utf-8-sig")


#: WeasyPrint's fonts are not to be shared between threads at once: PDFs are printed one at a time.
_PRINTING = threading.Lock()


@lru_cache(maxsize=4)
def _fonts(font_dir: Path) -> tuple[Any, Any]:
    """The font configuration and @font-face stylesheet of the ``.woff2`` fonts in
    ``font_dir`` (e.g. ``Vazirmatn-Regular.woff2``, family and weight from the name),
    decoded once per process rather than for every PDF."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    faces = []
    for font in sorted(font_dir.glob("*.woff2")):
        family, _, style = font.stem.partition("-")
        weight = 700 if style.lower() == "bold" else 400
        faces.append(f'@font-face {{ font-family: {family}; src: url("{font.as_uri()}"); font-weight: {weight}; }}')
    config = FontConfiguration()
    return config, CSS(string="\n".join(faces), font_config=config)


@atexit.register
def _release_fonts() -> None:
    """Let the cached font configurations go at exit, while WeasyPrint is still whole.

    Otherwise one lives until the interpreter tears its modules down, and its ``__del__``
    (which removes the fonts' temporary folder) finds WeasyPrint's globals gone: a TypeError
    printed at exit and the folder left behind."""
    _fonts.cache_clear()
    gc.collect()  # the documents laid out with a configuration hold it in reference cycles


def to_pdf(html: str, font_dir: Path | None = None) -> bytes:
    """A PDF printed from ``html`` by WeasyPrint (Pango shapes the text and lays it out),
    with the ``.woff2`` fonts of ``font_dir`` available by family name."""
    from weasyprint import HTML  # imported here: it loads Pango, which only printing needs

    with _PRINTING:
        if font_dir is None:
            pdf: Any = HTML(string=html).write_pdf()
        else:
            config, faces = _fonts(font_dir)
            pdf = HTML(string=html).write_pdf(stylesheets=[faces], font_config=config)
    return bytes(pdf)
