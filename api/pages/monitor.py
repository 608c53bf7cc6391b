"""The monitoring centre page (مرکز رصد و پایش): ``/monitor`` for the whole country and
``/monitor/{unit}`` for any unit — a map of the children by the share of late actions
(with their counts), charts of the statuses by child, sector, sponsor and organisation, of
progress over the Jalali months and of money committed against disbursed, and the late
actions, filtered and sorted, downloadable as Excel and CSV. The numbers come from
:mod:`spatial.planning.monitor`; the same are at ``GET /api/monitor/{unit}``. And the form
that records money committed or disbursed on a financing line (``/financing/{id}/money``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from urllib.parse import quote

import geopandas as gpd
from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.pages.exports import download
from api.pages.forms import FormErrors
from api.pages.planning import WRITE, ensure_may_write
from api.pages.render import href, lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for
from api.routers.monitor import COUNTRY, area_of, late_filters
from maps import monitor_charts as charts
from maps.assets import page_html
from maps.choropleth import choropleth_map
from maps.navigation import Link
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput
from spatial.jalali import format_number
from spatial.messages import label, t
from spatial.planning import monitor
from spatial.models.roadmaps import MONEY_KINDS
from spatial.planning.progress import STATUSES
from spatial.units import hierarchy as units
from spatial.units.frames import units_frame

router = page_router()

#: How many late actions the page lists (all of them are in the downloads).
LATE_SHOWN = 200
#: The map's classes of the share of late actions (%): fixed, so that maps of areas compare.
LATE_BREAKS = [20.0, 40.0, 60.0, 80.0, 100.0]


def _area(session: Any, code: str, lang: str) -> tuple[str, list[Any]]:
    """The area's name and its parents (outermost first) for the breadcrumb."""
    if code == COUNTRY:
        return t("monitor.country", lang), []
    unit = units.get_unit(session, code)
    return (unit.name_fa if lang == "fa" else unit.name_en), list(reversed(units.ancestors(session, code)))


@router.get("/monitor")
def national(request: Request, _: Principal = Depends(require("monitor"))) -> RedirectResponse:
    """The whole country's monitoring page."""
    return RedirectResponse(href(request, f"/monitor/{COUNTRY}", **dict(request.query_params)), status_code=307)


@router.get("/monitor/{code}")
def monitor_page(request: Request, code: str, filters: monitor.LateFilters = Depends(late_filters),
                 _: Principal = Depends(require("monitor"))) -> Response:
    """The monitoring page of an area."""
    lang = lang_of(request)
    with session_scope() as session:
        name, parents = _area(session, code, lang)
        board = monitor.dashboard(session, area_of(code))
        options = filter_options(monitor.late_actions(board["actions"]), lang)
    late = monitor.late_actions(board["actions"], filters)
    path = f"/monitor/{quote(code, safe='')}"

    def child_name(c: dict[str, Any]) -> str:
        return str(c["name_fa"] if lang == "fa" else c["name_en"])

    specs = [
        charts.status_bars([{**c, "name": child_name(c)} for c in board["by_child"]],
                           t("monitor.chart.by_child", lang), lang),
        charts.status_bars([{**g, "name": label("sector", g["name"], lang)} for g in board["by_sector"]],
                           t("monitor.chart.by_sector", lang), lang),
        charts.status_bars(board["by_sponsor"], t("monitor.chart.by_sponsor", lang), lang),
        charts.status_bars(board["by_organisation"], t("monitor.chart.by_organisation", lang), lang),
        charts.over_time(href(request, f"/api/monitor/{quote(code, safe='')}/over-time"), lang),
        charts.money_bars(board["money"]["by_sponsor"], t("monitor.chart.money_sponsor", lang), lang),
        charts.money_bars([{**g, "name": label("financing", g["name"], lang)} for g in board["money"]["by_source"]],
                          t("monitor.chart.money_source", lang), lang),
    ]
    query = {k: v for k, v in request.query_params.items() if k != "lang" and v}
    return render(request, "monitor.html", {
        "code": code, "name": name, "parents": parents, "board": board, "late": late[:LATE_SHOWN],
        "late_total": len(late), "filters": filters, "options": options, "charts": specs, "statuses": STATUSES,
        "path": path, "query": query, "sorts": monitor.SORTS, "child_name": child_name,
        "rials": lambda v: format_number(v, lang, 0),
    })


def filter_options(actions: list[dict[str, Any]], lang: str) -> dict[str, list[tuple[str, str]]]:
    """The choices of the late list's filters: the values the late actions hold."""
    def pairs(key: str, name: str) -> list[tuple[str, str]]:
        found = {str(a[key]): str(a[name]) for a in actions if a[key] is not None}
        return sorted(found.items(), key=lambda kv: kv[1])

    sectors = sorted({a["sector"] for a in actions if a["sector"]})
    levels = sorted({a["level"] for a in actions}, key=monitor.LEVELS.index)
    return {"sector": [(s, label("sector", s, lang)) for s in sectors], "sponsor": pairs("sponsor_id", "sponsor"),
            "person": pairs("person_id", "person"), "organisation": pairs("organisation_id", "organisation"),
            "core": pairs("core_id", "core"), "level": [(lv, label("level", lv, lang)) for lv in levels]}


@router.get("/monitor/{code}/map")
def monitor_map(request: Request, code: str, _: Principal = Depends(require("monitor"))) -> HTMLResponse:
    """The area's children shaded by their share of late actions; a click opens a child's page."""
    lang = lang_of(request)
    with session_scope() as session:
        name, _parents = _area(session, code, lang)
        area = area_of(code)
        board = monitor.dashboard(session, area)
        frame: gpd.GeoDataFrame = units_frame(session, level="province") if area is None \
            else units_frame(session, parent_code=area)
    by_code = {c["code"]: c for c in board["by_child"]}
    frame["href"] = [href(request, f"/monitor/{quote(c, safe='')}") for c in frame["code"]]
    values = {c: (100 * by_code[c]["share_late"] if by_code.get(c) and by_code[c]["share_late"] is not None
                  else None) for c in frame["code"]}
    fmap = choropleth_map(frame, values, t("monitor.map_title", lang, name=name), lang, "equal_interval",
                          synthetic=bool(frame["synthetic"].any()) if len(frame) else False,
                          breadcrumb=[Link(name, href(request, f"/monitor/{quote(code, safe='')}"))],
                          legend_title=t("monitor.map_legend", lang), breaks=LATE_BREAKS,
                          labels=[_counts_label(by_code.get(c), lang) for c in frame["code"]])
    return HTMLResponse(page_html(fmap))


def _counts_label(child: dict[str, Any] | None, lang: str) -> str:
    """A child's counts as the map's tooltip says them."""
    if not child or not child["total"]:
        return t("monitor.no_actions", lang)
    return " · ".join(f"{label('progress', s, lang)} {format_number(child['counts'][s], lang)}"
                      for s in ("on_track", "behind", "overdue", "achieved"))


@router.get("/monitor/{code}/download")
def monitor_download(request: Request, code: str, format: Literal["xlsx", "csv"] = Query("xlsx"),  # noqa: A002
                     filters: monitor.LateFilters = Depends(late_filters),
                     _: Principal = Depends(require("monitor"))) -> Response:
    """The late list with the page's filters, as Excel or CSV."""
    lang = lang_of(request)
    with session_scope() as session:
        name, _parents = _area(session, code, lang)
        late = monitor.late_actions(monitor.area_actions(session, area_of(code)), filters)
    table = monitor.late_table(late, name, lang)
    return download(request, f"late-{code}", table.title, [table], format)


# --- money of a financing line ----------------------------------------------------------------

_MONEY_FIELDS = ("kind", "on", "amount_rials", "note")


def _money_context(session: Session, financing_id: int, who: Principal, lang: str) -> dict[str, Any]:
    """The line, its action and roadmap, the money recorded so far; 403 outside ``who``'s area."""
    line = monitor.financing_line(session, financing_id)
    ensure_may_write(session, who, line["unit_id"])
    return {"line": line, "movements": monitor.disbursements(session, financing_id),
            "kinds": [(k, t(f"monitor.money.{k}", lang)) for k in MONEY_KINDS]}


@router.get("/financing/{financing_id}/money")
def money_form(request: Request, financing_id: int, who: Principal = Depends(require(WRITE))) -> Response:
    """The money committed and disbursed on a financing line, and the form that adds to it."""
    lang = lang_of(request)
    with session_scope() as session:
        context = _money_context(session, financing_id, who, lang)
    values = {"kind": "disbursed", "on": date.today(), "amount_rials": "", "note": ""}
    return render(request, "money_form.html", {**context, "values": values, "errors": FormErrors(lang)})


@router.post("/financing/{financing_id}/money")
def record_money(request: Request, financing_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    """Record money committed or disbursed on the line (one transaction)."""
    lang = lang_of(request)
    errors = FormErrors(lang)
    who = sent.principal
    assert who is not None  # form_for(WRITE) admitted a principal
    with session_scope() as session:
        context = _money_context(session, financing_id, who, lang)
        kind = errors.choice(sent, "kind", "monitor.money.kind", set(MONEY_KINDS))
        on = errors.date(sent, "on", "monitor.money.on")
        amount = errors.number(sent, "amount_rials", "monitor.money.amount")
        note = errors.text(sent, "note", "monitor.money.note", required=False, max_len=2000)
        if amount is not None and (amount <= 0 or not amount.is_integer()):
            errors.add("amount_rials", "monitor.money.amount", "monitor.money.whole_rials")
        if not errors and kind and on and amount:
            try:
                monitor.record_disbursement(session, financing_id, kind, on, int(amount), who, note=note or "")
            except InvalidInput as exc:
                session.rollback()  # nothing of this submission is kept
                errors.from_domain(exc, {"kind": "monitor.money.kind", "on": "monitor.money.on",
                                         "amount_rials": "monitor.money.amount"})
            else:
                return redirect(request, f"/financing/{financing_id}/money")
    values = {name: sent.text(name) for name in _MONEY_FIELDS}
    return render(request, "money_form.html", {**context, "values": values, "errors": errors}, status_code=422)
