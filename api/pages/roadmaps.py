"""Roadmaps (نقشه راه): the list with the API's filters, a roadmap's page, and the forms
that create and edit one."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.auth import ROLE_PERMISSIONS, Principal, require
from api.pages.forms import VERSION_FIELD, FormErrors, opened_version, stale_context
from api.pages.planning import (
    WRITE, Options, ensure_may_write, indicator_names, line_form, lines, may_write, row_params, writable_units,
)
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for, viewer
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput, NotFound, VersionMismatch
from spatial.jalali import format_number
from spatial.models.roadmaps import ROADMAP_STATUSES
from spatial.planning import corrections, journey, progress, roadmaps
from spatial.planning.cores import core_document
from spatial.planning.draft import roadmap_draft
from spatial.planning.people import get_organisation, get_person
from spatial.planning.roadmap_inputs import ActionIn, RoadmapIn, RoadmapPatch, parse
from spatial.planning.similar import roadmap_suggestions
from spatial.planning.sources import action_values, parse_ref
from spatial.planning import watch
from spatial.units import hierarchy as units

router = page_router()

LEVELS = ("province", "county", "district", "rural_district", "neighbourhood", "village")
CAPACITY_FIELDS = ("indicator", "text")
#: The core's field names -> the form's labels (for refusals of the core, see FormErrors.from_domain).
LABELS = {
    "unit": "rm.unit_code", "title": "rm.title", "start_date": "rm.start_date", "end_date": "rm.end_date",
    "status": "rm.status", "responsible_person_id": "rm.responsible_person",
    "responsible_organisation_id": "rm.responsible_organisation", "sponsor_id": "rm.sponsor",
    "parent_roadmap_id": "rm.parent", "core_id": "rm.core", "suggested": "similar.title", "source": "similar.title",
}


def _optional_id(value: str | None) -> int | None:
    return int(value) if value else None


@router.get("/roadmaps")
def roadmap_list(
    request: Request,
    unit: str | None = Query(None, max_length=200),
    level: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=40),
    sponsor: str | None = Query(None, max_length=12),
    responsible: str | None = Query(None, max_length=12),
    core: str | None = Query(None, max_length=12),
    archived: bool = False,
    _: Principal = Depends(require("read")),
    who: Principal | None = Depends(viewer),
) -> Response:
    """Roadmaps with the filters of ``GET /api/roadmaps``; blank filters mean "all";
    ``archived`` lists the archived ones instead (to read or restore them)."""
    lang = lang_of(request)
    level = level if level in LEVELS else None
    status = status if status in ROADMAP_STATUSES else None
    sponsor_id, person_id, core_id = _number(sponsor), _number(responsible), _number(core)
    filters = {"unit": unit or None, "level": level, "status": status, "sponsor": sponsor_id,
               "responsible": person_id, "core": core_id, "archived": archived}
    with session_scope() as session:
        found = roadmaps.list_roadmaps(session, unit=unit or None, level=level, status=status, sponsor=sponsor_id,
                                       responsible=person_id, core=core_id, archived=archived)
        options = Options.load(session, lang)
        writable = writable_units(session, who, {r["unit"] for r in found})
        can_create = may_write_somewhere(who)
    return render(request, "roadmaps.html", {
        "roadmaps": found, "filters": filters, "options": options, "levels": LEVELS,
        "statuses": ROADMAP_STATUSES, "writable": writable, "can_create": can_create})


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def may_write_somewhere(who: Principal | None) -> bool:
    """True when ``who``'s role may write roadmaps at all (the "new roadmap" link)."""
    return who is not None and WRITE in ROLE_PERMISSIONS.get(who.role, frozenset())


@router.get("/roadmaps/new")
def new_roadmap_form(request: Request, unit: str | None = Query(None, max_length=200),
                     draft: bool = Query(False), who: Principal = Depends(require(WRITE))) -> Response:
    """The form for a new roadmap; ``unit`` (a code) fills in the unit, and must lie in the user's area.
    With a unit, the form offers the draft from the evidence; ``draft=1`` takes it: capacities,
    advantages and strategies filled in, each line with its source and figure, to edit before saving.
    It also offers the actions that worked in places like it, to tick (:mod:`spatial.planning.similar`)."""
    lang = lang_of(request)
    found = None
    with session_scope() as session:
        if unit:
            ensure_may_write(session, who, units.get_unit(session, unit).id)
            if draft:
                found = roadmap_draft(session, unit, lang)
        values = _draft_values(unit, found, lang) if unit and found else _blank_values(unit or "")
        context = _form_context(session, lang, values, unit or None, None)
    return render(request, "roadmap_form.html", {**context, "errors": FormErrors(lang), "draft": found})


@router.post("/roadmaps/new")
def create_roadmap(request: Request, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    lang = lang_of(request)
    errors = FormErrors(lang)
    who = sent.principal
    assert who is not None  # form_for(WRITE) admitted a principal
    code = errors.text(sent, "unit", "rm.unit_code", max_len=200)
    with session_scope() as session:
        unit_id = None
        if code:
            try:
                unit_id = units.get_unit(session, code).id
            except NotFound:
                errors.add("unit", "rm.unit_code", "rm.no_such_unit")
        if unit_id is not None:
            ensure_may_write(session, who, unit_id)  # a forged request for a unit outside the area: 403
        options = Options.load(session, lang)
        data = _read(errors, sent, options)
        if not errors:
            try:
                made = roadmaps.create_roadmap(session, parse(RoadmapIn, {"unit": code, **data}), who)
                for ref in sent.all("suggested"):  # the actions ticked among those of similar places
                    source = parse_ref(ref, "suggested")
                    roadmaps.create_action(session, ActionIn(
                        roadmap_id=made["id"], **action_values(session, source, "suggested")), who)
            except InvalidInput as exc:
                session.rollback()  # nothing of this submission is kept
                errors.from_domain(exc, _labels(data))
            else:  # committed as the block ends, with the form's one-time token
                return redirect(request, f"/roadmaps/{made['id']}")
        context = _form_context(session, lang, _sent_values(sent), code if unit_id else None, None)
    return render(request, "roadmap_form.html", {**context, "errors": errors}, status_code=422)


@router.get("/roadmaps/{roadmap_id}")
def roadmap_page(request: Request, roadmap_id: int, _: Principal = Depends(require("read")),
                 who: Principal | None = Depends(viewer)) -> Response:
    """A roadmap: current state, capacities, advantages, strategies, the higher roadmap it
    serves, and its actions with their progress; the archive buttons (with a reason) for
    editors, and what was archived with restore buttons for administrators."""
    lang = lang_of(request)
    with session_scope() as session:
        doc = roadmaps.get_roadmap(session, roadmap_id)
        unit = units.get_unit(session, doc["unit"]["code"])
        features = progress.action_features(session, [a["id"] for a in doc["actions"]])
        status = progress.roadmap_progress(session, [roadmap_id])[roadmap_id]
        people = _people(session, doc)
        parent = roadmaps.get_roadmap(session, doc["parent_roadmap_id"]) if doc["parent_roadmap_id"] else None
        serving = roadmaps.list_roadmaps(session, unit=unit.code)
        names = indicator_names(session, lang)
        writable = may_write(session, who, unit.id)
        ids = [a["id"] for a in doc["actions"]]
        parts, archived_parts = corrections.action_parts(session, ids), corrections.action_parts(session, ids, True)
        archived_actions = corrections.archived_actions(session, roadmap_id)
        draft = journey.draft_state(session, roadmap_id)
        published = watch.is_published(session, roadmap_id)
    by_id = {a["id"]: a for a in doc["actions"]}
    actions = [{**f["properties"], "doc": by_id[f["id"]], "has_place": f["geometry"] is not None} for f in features]
    children = [r for r in serving if r["parent_roadmap_id"] == roadmap_id]
    return render(request, "roadmap.html", {
        "roadmap": doc, "unit": unit, "actions": actions, "progress_status": status, "people": people,
        "parent": parent, "children": children, "indicator_names": names, "writable": writable,
        "parts": parts, "archived_parts": archived_parts, "archived_actions": archived_actions,
        "draft_state": draft, "published": published})


def _people(session: Session, doc: dict[str, Any]) -> dict[str, str | None]:
    """Names of the people and bodies a roadmap refers to by id."""
    def name(getter: Any, key: str) -> str | None:
        return getter(session, doc[key])["name"] if doc.get(key) else None

    return {"responsible": name(get_person, "responsible_person_id"),
            "organisation": name(get_organisation, "responsible_organisation_id"),
            "sponsor": name(get_organisation, "sponsor_id"),
            "core": name(core_document, "core_id")}


@router.get("/roadmaps/{roadmap_id}/edit")
def edit_roadmap_form(request: Request, roadmap_id: int, who: Principal = Depends(require(WRITE))) -> Response:
    lang = lang_of(request)
    with session_scope() as session:
        doc = roadmaps.get_roadmap(session, roadmap_id)
        unit = units.get_unit(session, doc["unit"]["code"])
        ensure_may_write(session, who, unit.id)
        context = _form_context(session, lang, _stored_values(doc), unit.code, doc)
    return render(request, "roadmap_form.html", {**context, "errors": FormErrors(lang), "version": doc["version"]})


@router.post("/roadmaps/{roadmap_id}/edit")
def edit_roadmap(request: Request, roadmap_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    lang = lang_of(request)
    errors = FormErrors(lang)
    who = sent.principal
    assert who is not None
    with session_scope() as session:
        doc = roadmaps.get_roadmap(session, roadmap_id)
        unit = units.get_unit(session, doc["unit"]["code"])
        ensure_may_write(session, who, unit.id)
        errors.unchanged(sent, "unit", "rm.unit_code", unit.code, "rm.unit_fixed")
        options = Options.load(session, lang)
        data = _read(errors, sent, options)
        if not errors:
            try:
                roadmaps.update_roadmap(session, roadmap_id, parse(RoadmapPatch, data), who, opened_version(sent))
            except InvalidInput as exc:
                session.rollback()
                errors.from_domain(exc, _labels(data))
            except VersionMismatch as exc:  # both changed the same field since the form was opened
                session.rollback()
                now = roadmaps.get_roadmap(session, roadmap_id)
                context = _form_context(session, lang, _stored_values({**now, **exc.yours}), unit.code, now)
                return render(request, "roadmap_form.html", {**context, "errors": errors,
                                                             **stale_context(exc, _labels(data), lang)}, 409)
            else:
                return redirect(request, f"/roadmaps/{roadmap_id}")
        context = _form_context(session, lang, _sent_values(sent), unit.code, doc)
    return render(request, "roadmap_form.html", {**context, "errors": errors, "version": sent.text(VERSION_FIELD)},
                  status_code=422)


# --- the form's values -------------------------------------------------------------------

def _blank_values(unit: str) -> dict[str, Any]:
    return {"unit": unit, "title": "", "start_date": None, "end_date": None, "status": "draft",
            "responsible_person_id": "", "responsible_organisation_id": "", "sponsor_id": "",
            "parent_roadmap_id": "", "core_id": "", "capacities": [], "advantages": [], "strategies": "",
            "suggested": []}


def _draft_values(unit: str, found: dict[str, Any], lang: str) -> dict[str, Any]:
    """The form filled from :func:`roadmap_draft`: each line keeps its source and figure for display."""
    def line(item: dict[str, Any]) -> dict[str, Any]:
        return {"indicator": item.get("indicator") or "", "text": item["text"], "source": item["source_label"],
                "figure": format_number(item["figure"], lang, 2)}

    return {**_blank_values(unit), "capacities": [line(i) for i in found["capacities"]],
            "advantages": [line(i) for i in found["advantages"]],
            "strategies": "\n".join(i["text"] for i in found["strategies"])}


def _stored_values(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored roadmap as the form shows it."""
    values = {key: "" if doc.get(key) is None else str(doc[key]) for key in (
        "title", "status", "responsible_person_id", "responsible_organisation_id", "sponsor_id",
        "parent_roadmap_id", "core_id")}
    return {**values, "unit": doc["unit"]["code"], "start_date": date.fromisoformat(doc["start_date"]),
            "end_date": date.fromisoformat(doc["end_date"]),
            "capacities": [{"indicator": c.get("indicator") or "", "text": c.get("text", "")}
                           for c in doc.get("capacities") or []],
            "advantages": [{"indicator": c.get("indicator") or "", "text": c.get("text", "")}
                           for c in doc.get("advantages") or []],
            "strategies": "\n".join(doc.get("strategies") or [])}


def _sent_values(sent: Submitted) -> dict[str, Any]:
    """The submitted form as the form shows it again (dates as typed)."""
    values: dict[str, Any] = {key: sent.text(key) for key in (
        "unit", "title", "start_date", "end_date", "status", "responsible_person_id",
        "responsible_organisation_id", "sponsor_id", "parent_roadmap_id", "core_id")}
    values["strategies"] = str(sent.form.get("strategies") or "")
    values["capacities"] = lines(sent, "cap", CAPACITY_FIELDS)
    values["advantages"] = lines(sent, "adv", CAPACITY_FIELDS)
    values["suggested"] = sent.all("suggested")
    return values


def _form_context(session: Session, lang: str, values: dict[str, Any], unit_code: str | None,
                  doc: dict[str, Any] | None) -> dict[str, Any]:
    """What the roadmap form shows: its values, the options, and the higher roadmaps on offer
    (those of the units above the roadmap's unit, or every roadmap while the unit is not chosen)."""
    options = Options.load(session, lang)
    if unit_code:
        above = units.ancestors(session, unit_code)
    else:  # any roadmap that can be served: those of provinces and counties
        above = [*units.units_at_level(session, "province"), *units.units_at_level(session, "county")]
    codes = {u.code for u in above}
    parents = [r for level in sorted({u.level for u in above})
               for r in roadmaps.list_roadmaps(session, level=level) if r["unit"] in codes]
    return {"values": values, "options": options, "parents": [(str(r["id"]), r["title"]) for r in parents],
            "statuses": ROADMAP_STATUSES,
            "roadmap": doc, "unit_code": unit_code,
            "suggestions": roadmap_suggestions(session, unit_code, lang) if unit_code and not doc else None}


def _read(errors: FormErrors, sent: Submitted, options: Options) -> dict[str, Any]:
    """Every field of the roadmap form, checked; problems recorded in ``errors``."""
    data: dict[str, Any] = {"title": errors.text(sent, "title", "rm.title", max_len=300)}
    start = errors.date(sent, "start_date", "rm.start_date")
    end = errors.date(sent, "end_date", "rm.end_date")
    if start and end and end < start:
        errors.add("end_date", "rm.end_date", "form.end_before_start")
    data["start_date"], data["end_date"] = start, end
    data["status"] = errors.choice(sent, "status", "rm.status", ROADMAP_STATUSES)
    for name, label, allowed in (
            ("responsible_person_id", "rm.responsible_person", options.people),
            ("responsible_organisation_id", "rm.responsible_organisation", options.organisations),
            ("sponsor_id", "rm.sponsor", options.sponsors),
            ("core_id", "rm.core", options.cores)):
        data[name] = _optional_id(errors.choice(sent, name, label, Options.codes(allowed), required=False))
    parent = sent.text("parent_roadmap_id")
    if parent and not parent.isdigit():
        errors.add("parent_roadmap_id", "rm.parent", "form.bad_choice")
    data["parent_roadmap_id"] = int(parent) if parent.isdigit() and len(parent) < 10 else None
    indicators = Options.codes(options.indicators)
    for prefix, name, label in (("cap", "capacities", "rm.capacities"), ("adv", "advantages", "rm.advantages")):
        items = []
        for i, line in enumerate(lines(sent, prefix, CAPACITY_FIELDS)):
            one = line_form(sent, prefix, i, line)
            indicator = errors.choice(one, f"{prefix}_indicator.{i}", "rm.row", indicators, required=False,
                                      **row_params(errors.lang, i, label, "rm.indicator"))
            words = errors.text(one, f"{prefix}_text.{i}", "rm.row", max_len=1000,
                                **row_params(errors.lang, i, label, "rm.description"))
            items.append({"indicator": indicator, "text": words})
        data[name] = items
    data["strategies"] = [s.strip() for s in str(sent.form.get("strategies") or "").splitlines() if s.strip()]
    return data


def _labels(data: dict[str, Any]) -> dict[str, str]:
    """The core's field names, with those of each capacity line, -> the form's labels."""
    labels = {**LABELS, "capacities": "rm.capacities", "advantages": "rm.advantages", "strategies": "rm.strategies"}
    for name, label in (("capacities", "rm.capacities"), ("advantages", "rm.advantages")):
        for i in range(len(data.get(name) or [])):
            labels[f"{name}.{i}.indicator"] = label
    return labels
