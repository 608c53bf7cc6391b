"""Downloads of the pages' tables: a roadmap, a unit's progress list, a unit's profile and
the indicator catalogue as Excel (``?format=xlsx``), CSV (``csv``, the page's main table)
or PDF (``pdf``, printed by WeasyPrint from ``print.html``), in the page's language
(Persian unless ``?lang=en``). The tables are built by the core
(:mod:`spatial.tables` and the builders it names); this module only chooses and answers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.pages.planning import indicator_names
from api.pages.progress import watch_filters, watched_actions
from api.pages.render import context, lang_of, page_router, templates
from spatial.analytics.indicators import catalogue_table, list_indicators
from spatial.analytics.profile import profile_tables, unit_profile
from spatial.db.engine import session_scope
from spatial.jalali import format_number, jalali_numeric, persian_digits
from spatial.planning.exchange import progress_table, roadmap_tables
from spatial.planning.roadmaps import get_roadmap
from spatial.tables import Table, to_csv, to_pdf, to_xlsx
from spatial.units import hierarchy as units

router = page_router()

Format = Literal["xlsx", "csv", "pdf"]
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
#: The vendored Vazirmatn font (shared with the maps), for the PDF's Persian text.
FONT_DIR = Path(__file__).resolve().parents[2] / "maps" / "static" / "vendor" / "vazirmatn"


def printed(value: object, lang: str) -> str:
    """A cell as the printed page shows it: Jalali days and Persian digits in Persian."""
    if value is None:
        return ""
    if isinstance(value, date):
        return jalali_numeric(value, persian=True) if lang == "fa" else value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value, lang, 2)
    text = str(value)
    return persian_digits(text) if lang == "fa" and text.isdigit() else text  # periods such as 1403


def download(request: Request, name: str, title: str, tables: list[Table], fmt: Format) -> Response:
    """Answer ``tables`` as a file ``<name>.<fmt>``: every table in a workbook, the first
    as CSV, or all of them printed under ``title`` as a PDF."""
    lang = lang_of(request)
    if fmt == "xlsx":
        body = to_xlsx(tables, lang)
    elif fmt == "csv":
        body = to_csv(tables[0], lang)
    else:
        page = templates.get_template("print.html").render(context(request, {
            "title": title, "tables": tables, "cell": lambda v: printed(v, lang), "today": date.today()}))
        body = to_pdf(page, FONT_DIR)
    disposition = f"attachment; filename=\"{name}.{fmt}\"; filename*=UTF-8''{quote(f'{name}.{fmt}')}"
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition,
                                                          "Cache-Control": "private, no-store"})


@router.get("/roadmaps/{roadmap_id}/download")
def roadmap_download(request: Request, roadmap_id: int, format: Format = Query("xlsx"),  # noqa: A002
                     _: Principal = Depends(require("read"))) -> Response:
    """The roadmap: its fields, actions, financing, key results and measurements."""
    lang = lang_of(request)
    with session_scope() as session:
        title = get_roadmap(session, roadmap_id)["title"]
        tables = roadmap_tables(session, roadmap_id, lang)
    return download(request, f"roadmap-{roadmap_id}", title, tables, format)


@router.get("/progress/{code}/download")
def progress_download(
    request: Request, code: str, format: Format = Query("xlsx"),  # noqa: A002
    level: str | None = Query(None, max_length=40), sector: str | None = Query(None, max_length=200),
    sponsor: str | None = Query(None, max_length=12), responsible: str | None = Query(None, max_length=12),
    _: Principal = Depends(require("read")),
) -> Response:
    """The progress list of the unit, with the page's filters."""
    lang = lang_of(request)
    with session_scope() as session:
        unit = units.get_unit(session, code)
        actions = watched_actions(session, code, watch_filters(level, sector, sponsor, responsible))
        names = indicator_names(session, lang)
    table = progress_table(actions, unit.name_fa if lang == "fa" else unit.name_en, names, lang)
    return download(request, f"progress-{code}", table.title, [table], format)


@router.get("/units/{code}/download")
def unit_download(request: Request, code: str, format: Format = Query("xlsx"),  # noqa: A002
                  _: Principal = Depends(require("read"))) -> Response:
    """The unit's profile: its indicators and composite index scores."""
    lang = lang_of(request)
    with session_scope() as session:
        unit = units.get_unit(session, code)
        tables = profile_tables(unit_profile(session, code), lang)
    return download(request, f"unit-{code}", unit.name_fa if lang == "fa" else unit.name_en, tables, format)


@router.get("/indicators/download")
def indicators_download(request: Request, format: Format = Query("xlsx"),  # noqa: A002
                        _: Principal = Depends(require("read"))) -> Response:
    """The indicator catalogue."""
    lang = lang_of(request)
    with session_scope() as session:
        table = catalogue_table(list_indicators(session), lang)
    return download(request, "indicators", table.title, [table], format)
