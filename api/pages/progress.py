"""The progress watch (دیده‌بان پیشرفت) of a unit: every action below it by progress status,
overdue and behind first, with the counts of ``GET /api/progress``, a map of the placed
actions beside a list of those without a place; and the form that records a measured
value of an action's key result."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.pages.forms import FormErrors
from api.pages.planning import WRITE, Options, ensure_may_write, indicator_names, vocabulary_codes, writable_units
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for, viewer
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput
from spatial.jalali import format_date
from spatial.messages import label
from spatial.planning import progress, roadmaps
from spatial.planning.roadmap_inputs import MeasurementIn, parse
from spatial.units import hierarchy as units

router = page_router()

LEVELS = ("province", "county", "district", "rural_district", "neighbourhood", "village")
#: The order of the list: what needs attention first.
ORDER = ("overdue", "behind", "no_data", "on_track", "achieved")


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def watch_filters(level: str | None, sector: str | None, sponsor: str | None,
                  responsible: str | None) -> dict[str, Any]:
    """The progress list's filters from its query (unknown levels and malformed ids: no filter)."""
    return {"level": level if level in LEVELS else None, "sector": sector or None, "sponsor": _number(sponsor),
            "responsible": _number(responsible)}


def watched_actions(session: Any, code: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """The actions under unit ``code`` with these filters (those of GET /api/progress,
    narrowed), what needs attention first: the page's list and its downloads."""
    actions = roadmaps.list_actions(session, unit=code, level=filters["level"], sector=filters["sector"],
                                    sponsor=filters["sponsor"], responsible=filters["responsible"])
    actions.sort(key=lambda a: (ORDER.index(a["progress_status"]), a["end_date"] or "9999", a["id"]))
    return actions


@router.get("/progress/{code}")
def progress_page(
    request: Request,
    code: str,
    level: str | None = Query(None, max_length=40),
    sector: str | None = Query(None, max_length=200),
    sponsor: str | None = Query(None, max_length=12),
    responsible: str | None = Query(None, max_length=12),
    _: Principal = Depends(require("read")),
    who: Principal | None = Depends(viewer),
) -> Response:
    """Every action under unit ``code``, filtered by the roadmap's level, sector, sponsor and
    responsible person. Without sector, sponsor or person filters the counts are exactly
    those of ``GET /api/progress?unit=code&level=…`` (the same actions, judged the same day)."""
    lang = lang_of(request)
    filters = watch_filters(level, sector, sponsor, responsible)
    with session_scope() as session:
        unit = units.get_unit(session, code)
        parents = list(reversed(units.ancestors(session, code)))
        actions = watched_actions(session, code, filters)
        options = Options.load(session, lang)
        writable = writable_units(session, who, {a["unit_code"] for a in actions})
        unit_feature = units.unit_feature(session, code)
        names = indicator_names(session, lang)
    counts = {status: 0 for status in progress.STATUSES}
    for a in actions:
        counts[a["progress_status"]] += 1
    placed = [{"type": "Feature", "id": a["id"], "geometry": a["geometry"],
               "properties": {"title": a["title"], "status": a["progress_status"],
                              "href": f"/roadmaps/{a['roadmap_id']}"}}
              for a in actions if a["geometry"] is not None]
    sectors = sorted(set(vocabulary_codes("sector")) | {a["sector"] for a in actions if a["sector"]})
    return render(request, "progress.html", {
        "unit": unit, "parents": parents, "actions": actions, "counts": counts, "order": ORDER,
        "filters": filters, "options": options, "levels": LEVELS, "sectors": sectors, "writable": writable,
        "unplaced": [a for a in actions if a["geometry"] is None], "today": date.today(),
        "map_data": {"unit": unit_feature, "actions": {"type": "FeatureCollection", "features": placed}},
        "indicator_names": names})


@router.get("/actions/{action_id}/measure")
def measurement_form(request: Request, action_id: int, who: Principal = Depends(require(WRITE))) -> Response:
    lang = lang_of(request)
    with session_scope() as session:
        context = _context(session, action_id, lang)
        ensure_may_write(session, who, context["unit"].id)
    values = {"key_result_id": str(context["key_results"][0]["id"]) if context["key_results"] else "",
              "measured_on": date.today(), "value": "", "source": ""}
    return render(request, "measurement_form.html", {**context, "values": values, "errors": FormErrors(lang)})


@router.post("/actions/{action_id}/measure")
def record_measurement(request: Request, action_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    """Record one measured value of a key result of the action (one transaction)."""
    lang = lang_of(request)
    errors = FormErrors(lang)
    who = sent.principal
    assert who is not None  # form_for(WRITE) admitted a principal
    with session_scope() as session:
        context = _context(session, action_id, lang)
        ensure_may_write(session, who, context["unit"].id)  # a forged request outside the area: 403
        start = date.fromisoformat(context["roadmap"]["start_date"])
        key_result = errors.choice(sent, "key_result_id", "ms.key_result",
                                   {str(k["id"]) for k in context["key_results"]})
        measured_on = errors.date(sent, "measured_on", "ms.measured_on")
        if measured_on and measured_on > date.today():
            errors.add("measured_on", "ms.measured_on", "ms.future")
        elif measured_on and measured_on < start:
            errors.add("measured_on", "ms.measured_on", "ms.before_start", start=format_date(start, lang))
        value = errors.number(sent, "value", "ms.value")
        source = errors.text(sent, "source", "ms.source", required=False, max_len=300)
        if not errors:
            try:
                roadmaps.create_measurement(session, parse(MeasurementIn, {
                    "key_result_id": int(key_result or 0), "measured_on": measured_on, "value": value,
                    "source": source}), who)
            except InvalidInput as exc:
                session.rollback()  # nothing of this submission is kept
                errors.from_domain(exc, {"measured_on": "ms.measured_on", "value": "ms.value",
                                         "key_result_id": "ms.key_result", "source": "ms.source"})
            else:  # committed as the block ends, with the form's one-time token
                return redirect(request, f"/progress/{context['unit'].code}")
    values = {name: sent.text(name) for name in ("key_result_id", "measured_on", "value", "source")}
    return render(request, "measurement_form.html", {**context, "values": values, "errors": errors},
                  status_code=422)


def _context(session: Any, action_id: int, lang: str) -> dict[str, Any]:
    """The action, its roadmap and unit, its key results with their progress, and earlier measurements."""
    action = roadmaps.get_action(session, action_id)
    roadmap = roadmaps.get_roadmap(session, action["roadmap_id"])
    unit = units.get_unit(session, roadmap["unit"]["code"])
    status = progress.action_progress(session, [action_id])[action_id]
    by_id = {k["id"]: k for k in status["key_results"]}
    key_results = [{**k, "status": by_id[k["id"]]["status"], "latest_value": by_id[k["id"]]["latest_value"]}
                   for k in action["key_results"]]
    names = indicator_names(session, lang)
    kr_options = [
        (str(k["id"]), f"{names.get(k['indicator'], k['indicator'])} ({label('progress', k['status'], lang)})")
        for k in key_results]
    return {"action": action, "roadmap": roadmap, "unit": unit, "key_results": key_results, "kr_options": kr_options,
            "action_status": status["status"], "indicator_names": names,
            "measurements": roadmaps.list_measurements(session, action=action_id)}
