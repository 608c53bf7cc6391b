"""Progress cores: the list, a core's page (area, stage, assessment scores, training, the
roadmaps it drafted), and the forms to register a core and to record its progress
(:mod:`spatial.planning.cores`). Core members write only inside their own area."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.pages.forms import VERSION_FIELD, FormErrors, opened_version, stale_context
from api.pages.handovers import area_code, editor
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput, VersionMismatch
from spatial.jalali import format_number
from spatial.messages import has, t
from spatial.models.roadmaps import CORE_STAGES
from spatial.planning import cores
from spatial.planning.people import list_people
from spatial.planning.roadmap_inputs import CoreIn, CorePatch, parse
from spatial.units.access import ensure_within_area
from spatial.units.hierarchy import get_unit

router = page_router()

LABELS = {"name": "core.name", "unit": "core.area", "members_count": "core.members", "stage": "core.stage",
          "member_ids": "core.member_names",
          "assessment": "core.scores", "training": "core.training", "new_criterion": "core.new_criterion",
          "new_score": "core.score", "training_title": "core.training_title", "training_on": "core.training_on",
          "training_hours": "core.training_hours", "training_participants": "core.training_participants"}


def criterion_label(code: str, lang: str) -> str:
    """An assessment criterion's name: the catalogue's word for a known one, else as typed."""
    return t(f"criterion.{code}", lang) if has(f"criterion.{code}") else code


def _with_words(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    """The template's values with the stages, the criteria's names and the people a core may name as members."""
    lang = lang_of(request)
    with session_scope() as session:
        members = [(str(p["id"]), f"{p['name']} — {p['role']}" if p["role"] else p["name"])
                   for p in list_people(session)]
    return {"stages": CORE_STAGES, "criterion": lambda code: criterion_label(code, lang), "people": members,
            **values}


def _member_ids(errors: FormErrors, sent: Submitted) -> list[int]:
    """The members chosen by name (ids of people; one not on offer is refused beside the field)."""
    chosen = sent.all("member_ids")
    if any(not value.isdigit() or len(value) >= 10 for value in chosen):
        errors.add("member_ids", LABELS["member_ids"], "form.bad_choice")
        return []
    return [int(value) for value in chosen]


@router.get("/cores")
def cores_page(request: Request, unit: str | None = Query(None, max_length=64),
               stage: str | None = Query(None, max_length=32), _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        found = cores.list_cores(session, unit=unit or None, stage=stage if stage in CORE_STAGES else None)
    values = {"cores": found, "unit": unit or "", "stage": stage or ""}
    return render(request, "cores.html", _with_words(request, values))


@router.get("/cores/new")
def new_core_form(request: Request, principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    with session_scope() as session:
        values = {"unit": area_code(session, principal) or "", "stage": "identified", "members_count": "",
                  "member_ids": []}
    return render(request, "core_form.html", _with_words(request, {"values": values, "core": None,
                                                                    "errors": FormErrors(lang_of(request))}))


@router.post("/cores/new")
def create_core(request: Request, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    name = errors.text(sent, "name", LABELS["name"], max_len=200)
    unit = errors.text(sent, "unit", LABELS["unit"], max_len=64)
    members = errors.number(sent, "members_count", LABELS["members_count"], required=False)
    stage = errors.choice(sent, "stage", LABELS["stage"], CORE_STAGES)
    member_ids = _member_ids(errors, sent)
    if not errors:
        try:
            with session_scope() as session:
                made = cores.create_core(session, parse(CoreIn, {"name": name, "unit": unit, "stage": stage,
                                                                 "members_count": int(members or 0),
                                                                 "member_ids": member_ids}), principal)
                return redirect(request, f"/cores/{made['id']}")  # inside: the form's token is kept with the core
        except InvalidInput as exc:
            errors.from_domain(exc, LABELS)
    values = {**{k: sent.text(k) for k in ("name", "unit", "members_count", "stage")},
              "member_ids": sent.all("member_ids")}
    return render(request, "core_form.html", _with_words(request, {"values": values, "core": None, "errors": errors}),
                  status_code=422)


@router.get("/cores/{core_id}")
def core_page(request: Request, core_id: int, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        core = cores.core_document(session, core_id)
        unit = get_unit(session, core["unit"])
    return render(request, "core.html", _with_words(request, {"core": core, "unit": unit}))


def _editable(core_id: int, principal: Principal) -> dict[str, Any]:
    """The core, if ``principal`` may change it (403 for a core outside a member's area)."""
    with session_scope() as session:
        core = cores.core_document(session, core_id)
        ensure_within_area(session, get_unit(session, core["unit"]).id, principal.area_unit_id)
    return core


@router.get("/cores/{core_id}/edit")
def edit_core_form(request: Request, core_id: int,
                   principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    core = _editable(core_id, principal)
    return render(request, "core_form.html", _with_words(request, {
        "values": _stored_values(core, lang_of(request)), "core": core, "errors": FormErrors(lang_of(request)),
        "version": core["version"]}))


def _stored_values(core: dict[str, Any], lang: str) -> dict[str, Any]:
    """A stored core as its form shows it: numbers as the page writes them (Persian digits in
    Persian; the form reads either)."""
    return {"name": core["name"], "members_count": format_number(core["members_count"], lang),
            "stage": core["stage"], "member_ids": [str(i) for i in core["member_ids"]],
            **{f"score.{c}": format_number(s, lang, decimals=2) for c, s in core["assessment"].items()}}


@router.post("/cores/{core_id}/edit")
def update_core(request: Request, core_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    core = _editable(core_id, principal)
    name = errors.text(sent, "name", LABELS["name"], max_len=200)
    members = errors.number(sent, "members_count", LABELS["members_count"], required=False)
    stage = errors.choice(sent, "stage", LABELS["stage"], CORE_STAGES)
    member_ids = _member_ids(errors, sent)
    scores: dict[str, float] = {}
    for criterion in core["assessment"]:
        score = errors.number(sent, f"score.{criterion}", LABELS["new_score"], required=False)
        if score is not None:
            scores[criterion] = score
    new_criterion = errors.text(sent, "new_criterion", LABELS["new_criterion"], required=False, max_len=100)
    new_score = errors.number(sent, "new_score", LABELS["new_score"], required=bool(new_criterion))
    if new_criterion and new_score is not None:
        scores[new_criterion] = new_score
    training = list(core["training"])
    title = errors.text(sent, "training_title", LABELS["training_title"], required=False, max_len=200)
    if title:
        held = errors.date(sent, "training_on", LABELS["training_on"])
        hours = errors.number(sent, "training_hours", LABELS["training_hours"], required=False)
        people = errors.number(sent, "training_participants", LABELS["training_participants"], required=False)
        training.append({"title": title, "held_on": held, "hours": hours,
                         "participants": int(people) if people is not None else None})
    if not errors:
        try:
            patch = parse(CorePatch, {"name": name, "stage": stage,
                                      "members_count": int(members) if members is not None else core["members_count"],
                                      "member_ids": member_ids, "assessment": scores, "training": training})
            with session_scope() as session:
                cores.update_core(session, core_id, patch, principal, opened_version(sent))
            return redirect(request, f"/cores/{core_id}")
        except InvalidInput as exc:
            errors.from_domain(exc, {**LABELS, **{f"assessment.{c}": LABELS["new_score"] for c in scores}})
        except VersionMismatch as exc:  # both changed the same field since the form was opened
            return _stale(request, core_id, sent, exc)
    values = {**{k: sent.text(k) for k in sent.form if k != "csrf_token"}, "member_ids": sent.all("member_ids")}
    return render(request, "core_form.html", _with_words(request, {"values": values, "core": core, "errors": errors,
                                                                    "version": sent.text(VERSION_FIELD)}),
                  status_code=422)


def _stale(request: Request, core_id: int, sent: Submitted, exc: VersionMismatch) -> Response:
    """The form again (409) with what changed since it was opened, field by field: the current
    core with this edit's own changes over it, the training course being added kept as typed."""
    lang = lang_of(request)
    with session_scope() as session:
        now = cores.core_document(session, core_id)
    mine = {**now, **{k: v for k, v in exc.yours.items() if k != "training"}}
    values = {**_stored_values(mine, lang),
              **{k: sent.text(k) for k in ("training_title", "training_on", "training_hours", "training_participants")}}
    return render(request, "core_form.html", _with_words(request, {
        "values": values, "core": now, "errors": FormErrors(lang), **stale_context(exc, LABELS, lang)}),
                  status_code=409)
