"""A roadmap's actions: the forms that add and change one, with every field the API has
(sector, target group, jobs, responsible person, sponsor, dates, financing lines, key
results) and its place drawn on a map (point, line or polygon) into a GeoJSON field."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.pages.forms import VERSION_FIELD, FormErrors, opened_version, stale_context
from api.pages.planning import (
    WRITE, Options, RowLabel, ensure_may_write, line_form, lines, row_params, vocabulary_codes,
)
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput, OutsideUnit, VersionMismatch
from spatial.jalali import format_date
from spatial.models.roadmaps import ACTION_STATUSES, FINANCING_LINE_SOURCES
from spatial.planning import roadmaps
from spatial.planning.roadmap_inputs import ActionIn, ActionPatch, parse
from spatial.units import hierarchy as units

router = page_router()

FINANCING_FIELDS = ("source", "amount", "note")
KEY_RESULT_FIELDS = ("id", "indicator", "unit_of_measure", "baseline", "target", "target_date")
#: The core's field names -> the form's labels (for refusals of the core, see FormErrors.from_domain).
LABELS = {
    "title": "act.title", "sector": "act.sector", "status": "act.status", "target_group": "act.target_group",
    "target_size": "act.target_size", "jobs_expected": "act.jobs", "responsible_person_id": "act.responsible",
    "sponsor_id": "act.sponsor", "start_date": "rm.start_date", "end_date": "rm.end_date",
    "geometry": "act.place", "financing": "act.financing", "key_results": "act.key_results",
}


@router.get("/roadmaps/{roadmap_id}/actions/new")
def new_action_form(request: Request, roadmap_id: int, who: Principal = Depends(require(WRITE))) -> Response:
    lang = lang_of(request)
    with session_scope() as session:
        roadmap = roadmaps.get_roadmap(session, roadmap_id)
        unit = units.get_unit(session, roadmap["unit"]["code"])
        ensure_may_write(session, who, unit.id)
        values: dict[str, Any] = {"title": "", "sector": "", "status": "planned", "target_group": "", "target_size": "",
                  "jobs_expected": "", "responsible_person_id": "", "sponsor_id": "", "start_date": None,
                  "end_date": None, "geometry": "", "financing": [], "key_results": []}
        context = _form_context(session, lang, roadmap, None, values)
    return render(request, "action_form.html", {**context, "errors": FormErrors(lang)})


@router.post("/roadmaps/{roadmap_id}/actions/new")
def create_action(request: Request, roadmap_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    return _save(request, sent, roadmap_id, None)


@router.get("/actions/{action_id}/edit")
def edit_action_form(request: Request, action_id: int, who: Principal = Depends(require(WRITE))) -> Response:
    lang = lang_of(request)
    with session_scope() as session:
        action = roadmaps.get_action(session, action_id)
        roadmap = roadmaps.get_roadmap(session, action["roadmap_id"])
        ensure_may_write(session, who, units.get_unit(session, roadmap["unit"]["code"]).id)
        context = _form_context(session, lang, roadmap, action, _stored_values(action))
    return render(request, "action_form.html", {**context, "errors": FormErrors(lang), "version": action["version"]})


@router.post("/actions/{action_id}/edit")
def edit_action(request: Request, action_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    with session_scope() as session:
        roadmap_id = roadmaps.get_action(session, action_id)["roadmap_id"]
    return _save(request, sent, roadmap_id, action_id)


def _save(request: Request, sent: Submitted, roadmap_id: int, action_id: int | None) -> Response:
    """Create (``action_id`` None) or change an action in one transaction; on any problem
    the form again (422) and nothing written."""
    lang = lang_of(request)
    errors = FormErrors(lang)
    who = sent.principal
    assert who is not None  # form_for(WRITE) admitted a principal
    with session_scope() as session:
        roadmap = roadmaps.get_roadmap(session, roadmap_id)
        unit = units.get_unit(session, roadmap["unit"]["code"])
        ensure_may_write(session, who, unit.id)  # a forged request outside the area: 403, nothing written
        action = roadmaps.get_action(session, action_id) if action_id else None
        errors.unchanged(sent, "roadmap_id", "act.roadmap", str(roadmap_id))  # an action stays in its roadmap
        options = Options.load(session, lang)
        data = _read(errors, sent, options, date.fromisoformat(roadmap["start_date"]),
                     action["sector"] if action else "")
        if not errors:
            try:
                if action_id is None:
                    roadmaps.create_action(session, parse(ActionIn, {"roadmap_id": roadmap_id, **data}), who)
                else:
                    roadmaps.update_action(session, action_id, parse(ActionPatch, data), who, opened_version(sent))
            except InvalidInput as exc:
                session.rollback()  # nothing of this submission is kept
                _refused(errors, exc, unit.name_fa if lang == "fa" else unit.name_en, data)
            except VersionMismatch as exc:  # both changed the same field since the form was opened
                session.rollback()
                assert action_id is not None  # only an edit names the version it was opened with
                now = roadmaps.get_action(session, action_id)
                context = _form_context(session, lang, roadmap, now, _stored_values({**now, **exc.yours}))
                return render(request, "action_form.html", {**context, "errors": errors,
                                                            **stale_context(exc, LABELS, lang)}, 409)
            else:  # committed as the block ends, with the form's one-time token
                return redirect(request, f"/roadmaps/{roadmap_id}")
        context = _form_context(session, lang, roadmap, action, _sent_values(sent))
    return render(request, "action_form.html", {**context, "errors": errors, "version": sent.text(VERSION_FIELD)},
                  status_code=422)


def _refused(errors: FormErrors, exc: InvalidInput, unit_name: str, data: dict[str, Any]) -> None:
    """Record the core's refusal: a place outside the unit or a broken shape said plainly,
    anything else against the field it names."""
    if isinstance(exc, OutsideUnit):
        errors.add("geometry", "act.place", "act.place_outside", unit=unit_name)
    elif exc.field == "geometry":
        errors.add("geometry", "act.place", "act.bad_place")
    else:
        labels = dict(LABELS)
        for i in range(len(data.get("financing") or [])):
            labels.update({f"financing.{i}.{n}": "act.financing" for n in ("source", "amount_rials", "note")})
        for i in range(len(data.get("key_results") or [])):
            labels.update({f"key_results.{i}.{n}": "act.key_results" for n in KEY_RESULT_FIELDS + ("id",)})
        errors.from_domain(exc, labels)


# --- the form's values -------------------------------------------------------------------

def _stored_values(action: dict[str, Any]) -> dict[str, Any]:
    """A stored action as the form shows it."""
    values: dict[str, Any] = {key: "" if action.get(key) is None else str(action[key]) for key in (
        "title", "sector", "status", "target_group", "target_size", "jobs_expected", "responsible_person_id",
        "sponsor_id")}
    values["start_date"] = date.fromisoformat(action["start_date"]) if action.get("start_date") else None
    values["end_date"] = date.fromisoformat(action["end_date"]) if action.get("end_date") else None
    values["geometry"] = json.dumps(action["geometry"]) if action.get("geometry") else ""
    values["financing"] = [{"source": f["source"], "amount": str(f["amount_rials"]), "note": f.get("note") or ""}
                           for f in action.get("financing") or []]
    values["key_results"] = [
        {"id": "" if k.get("id") is None else str(k["id"]), "indicator": k["indicator"], "unit_of_measure": k.get("unit_of_measure") or "",
         "baseline": _plain(k.get("baseline")), "target": _plain(k.get("target")),
         "target_date": date.fromisoformat(k["target_date"]) if k.get("target_date") else None}
        for k in action.get("key_results") or []]
    return values


def _plain(number: float | None) -> str:
    """A stored number as typed: 120, not 120.0."""
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else str(number)


def _sent_values(sent: Submitted) -> dict[str, Any]:
    """The submitted form as the form shows it again (dates as typed)."""
    values: dict[str, Any] = {key: sent.text(key) for key in (
        "title", "sector", "status", "target_group", "target_size", "jobs_expected", "responsible_person_id",
        "sponsor_id", "start_date", "end_date", "geometry")}
    values["financing"] = lines(sent, "fin", FINANCING_FIELDS)
    values["key_results"] = lines(sent, "kr", KEY_RESULT_FIELDS)
    return values


def _form_context(session: Session, lang: str, roadmap: dict[str, Any], action: dict[str, Any] | None,
                  values: dict[str, Any]) -> dict[str, Any]:
    sectors = vocabulary_codes("sector")
    if values.get("sector") and values["sector"] not in sectors:
        sectors.append(values["sector"])  # a stored code the catalogue lacks stays choosable
    return {"roadmap": roadmap, "action": action, "values": values, "options": Options.load(session, lang),
            "sectors": sectors, "statuses": ACTION_STATUSES, "sources": FINANCING_LINE_SOURCES,
            "unit_feature": units.unit_feature(session, roadmap["unit"]["code"])}


def _count(errors: FormErrors, sent: Submitted, name: str, label: str) -> int | None:
    """A whole number of people, not negative (optional)."""
    value = errors.number(sent, name, label, required=False)
    if value is None:
        return None
    if not value.is_integer():
        errors.add(name, label, "form.bad_number")
        return None
    if value < 0:
        errors.add(name, label, "form.negative")
    return int(value)


def _geometry(errors: FormErrors, sent: Submitted) -> dict[str, Any] | None:
    """The place drawn on the map: the hidden field's GeoJSON geometry, or ``None``."""
    raw = sent.text("geometry")
    if not raw:
        return None
    try:
        geometry = json.loads(raw)
    except ValueError:
        geometry = None
    if not isinstance(geometry, dict) or not isinstance(geometry.get("type"), str):
        errors.add("geometry", "act.place", "act.bad_place")
        return None
    return geometry


def _read(errors: FormErrors, sent: Submitted, options: Options, roadmap_start: date,
          stored_sector: str) -> dict[str, Any]:
    """Every field of the action form, checked; problems recorded in ``errors``."""
    lang = errors.lang
    sectors = set(vocabulary_codes("sector")) | ({stored_sector} if stored_sector else set())
    data: dict[str, Any] = {
        "title": errors.text(sent, "title", "act.title", max_len=300),
        "sector": errors.choice(sent, "sector", "act.sector", sectors, required=False) or "",
        "status": errors.choice(sent, "status", "act.status", ACTION_STATUSES),
        "target_group": errors.text(sent, "target_group", "act.target_group", required=False, max_len=500),
        "target_size": _count(errors, sent, "target_size", "act.target_size"),
        "jobs_expected": _count(errors, sent, "jobs_expected", "act.jobs"),
    }
    for name, label, allowed in (("responsible_person_id", "act.responsible", options.people),
                                 ("sponsor_id", "act.sponsor", options.organisations)):
        chosen = errors.choice(sent, name, label, Options.codes(allowed), required=False)
        data[name] = int(chosen) if chosen else None
    start = errors.date(sent, "start_date", "rm.start_date", required=False)
    end = errors.date(sent, "end_date", "rm.end_date", required=False)
    if start and end and end < start:
        errors.add("end_date", "rm.end_date", "form.end_before_start")
    data["start_date"], data["end_date"] = start, end
    data["geometry"] = _geometry(errors, sent)

    data["financing"] = []
    for i, line in enumerate(lines(sent, "fin", FINANCING_FIELDS)):
        one = line_form(sent, "fin", i, line)
        source = errors.choice(one, f"fin_source.{i}", "rm.row", FINANCING_LINE_SOURCES,
                               **row_params(lang, i, "act.financing", "fin.source"))
        amount = errors.number(one, f"fin_amount.{i}", "rm.row", **row_params(lang, i, "act.financing", "fin.amount"))
        if amount is not None and (amount < 0 or not amount.is_integer()):
            errors.add(f"fin_amount.{i}", "rm.row", "form.negative" if amount < 0 else "form.bad_number",
                       **row_params(lang, i, "act.financing", "fin.amount"))
        note = errors.text(one, f"fin_note.{i}", "rm.row", required=False, max_len=500,
                           **row_params(lang, i, "act.financing", "fin.note"))
        data["financing"].append({"source": source, "amount_rials": int(amount or 0), "note": note})

    data["key_results"] = []
    line_start = start or roadmap_start
    for i, line in enumerate(lines(sent, "kr", KEY_RESULT_FIELDS)):
        one = line_form(sent, "kr", i, line)

        def kr_label(key: str, index: int = i) -> RowLabel:
            return row_params(lang, index, "act.key_results", key)

        indicator = errors.text(one, f"kr_indicator.{i}", "rm.row", max_len=200, **kr_label("kr.indicator"))
        unit_of_measure = errors.text(one, f"kr_unit_of_measure.{i}", "rm.row", required=False, max_len=100,
                                      **kr_label("kr.unit_of_measure"))
        baseline = errors.number(one, f"kr_baseline.{i}", "rm.row", required=False, **kr_label("kr.baseline"))
        target = errors.number(one, f"kr_target.{i}", "rm.row", **kr_label("kr.target"))
        target_date = errors.date(one, f"kr_target_date.{i}", "rm.row", **kr_label("kr.target_date"))
        if target_date and target_date <= line_start:
            errors.add(f"kr_target_date.{i}", "rm.row", "kr.target_after_start",
                       start=format_date(line_start, lang), **kr_label("kr.target_date"))
        kr_id = line["id"]
        data["key_results"].append({
            **({"id": int(kr_id)} if kr_id.isdigit() and len(kr_id) < 10 else {}),
            "indicator": options.indicator_code(indicator), "unit_of_measure": unit_of_measure, "baseline": baseline or 0.0,
            "target": target, "target_date": target_date})
    return data
