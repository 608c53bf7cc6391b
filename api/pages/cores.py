"""Progress cores: the list, a core's page (area, kind, members, its journey's stages with the
form that moves it, its assessments, training and drafts, the roadmaps it drafted), and the
forms to register a core and to change it (:mod:`spatial.planning.cores`,
:mod:`spatial.planning.journey`). Core members write only inside their own area."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.pages.forms import VERSION_FIELD, FormErrors, opened_version, stale_context
from api.pages.handovers import area_code, editor
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.saving import saved
from api.pages.security import Submitted, form_for, viewer_of
from spatial.db.engine import session_scope
from spatial.errors import Conflict, InvalidInput, VersionMismatch
from spatial.jalali import format_number
from spatial.messages import has, t
from spatial.accounts.users import list_users
from spatial.models.roadmaps import CORE_KINDS, CORE_STAGES, ProgressCore
from spatial.planning import cores, journey
from spatial.planning.journey_inputs import DraftIn
from spatial.planning.people import list_people
from spatial.planning.roadmap_inputs import CoreIn, CorePatch, parse
from spatial.units.access import ensure_within_area
from spatial.units.hierarchy import get_unit

router = page_router()

#: The roles that organise cores' journeys (no new role: planners, and administrators).
ORGANISERS = ("admin", "planner")

LABELS = {"name": "core.name", "unit": "core.area", "members_count": "core.members", "stage": "core.stage",
          "member_ids": "core.member_names", "kind": "core.kind", "contacts": "core.contacts",
          "member_accounts": "core.member_accounts", "to": "journey.move_to", "reason": "card.reason",
          "title": "journey.draft_title", "start_date": "journey.draft_start", "end_date": "journey.draft_end",
          "core_id": "core.name",
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
        core_accounts = [(u["username"], u["username"]) for u in list_users(session)
                         if u["role"] == "core" and not u["disabled"]]
    return {"stages": CORE_STAGES, "kinds": CORE_KINDS, "criterion": lambda code: criterion_label(code, lang),
            "people": members, "core_accounts": core_accounts, **values}


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
        values = {"unit": area_code(session, principal) or "", "kind": "other", "members_count": "",
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
    kind = errors.choice(sent, "kind", LABELS["kind"], CORE_KINDS, required=False) or "other"
    contacts = errors.text(sent, "contacts", LABELS["contacts"], required=False, max_len=1000)
    member_ids = _member_ids(errors, sent)

    def write(session: Session) -> str:
        made = cores.create_core(session, parse(CoreIn, {"name": name, "unit": unit, "kind": kind, "contacts": contacts,
                                                         "members_count": int(members or 0),
                                                         "member_ids": member_ids}), principal)
        return f"/cores/{made['id']}"

    if answer := saved(request, errors, LABELS, write):
        return answer
    values = {**{k: sent.text(k) for k in ("name", "unit", "members_count", "kind", "contacts")},
              "member_ids": sent.all("member_ids")}
    return render(request, "core_form.html", _with_words(request, {"values": values, "core": None, "errors": errors}),
                  status_code=422)


def core_values(request: Request, core_id: int, errors: FormErrors | None = None,
                values: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the core's page shows: the core, its journey (the moves open to the viewer, its
    assessments, training and drafts) and the forms' errors and values."""
    who = viewer_of(request)
    with session_scope() as session:
        core = cores.core_document(session, core_id)
        unit = get_unit(session, core["unit"])
        model = session.get(ProgressCore, core_id)
        organiser = who is not None and who.role in ORGANISERS
        member = who is not None and journey.is_member(session, core_id, who.username)
        moves = journey.allowed_moves(session, model) if organiser and model is not None else []
        found = {"assessments": journey.core_assessments(session, core_id),
                 "training": journey.core_training(session, core_id), "trained": journey.core_is_trained(session, core_id),
                 "drafts": journey.core_drafts(session, core_id)}
    return _with_words(request, {
        "core": core, "unit": unit, "moves": [m for m in moves if m not in journey.BY_DRAFTS or core["stage"] == "paused"],
        "may_draft": (organiser or member) and core["stage"] in ("trained", "adopted"), **found,
        "errors": errors or FormErrors(lang_of(request)),
        "values": values or {"unit": core["unit"], "start_date": None, "end_date": None}})


@router.get("/cores/{core_id}")
def core_page(request: Request, core_id: int, _: Principal = Depends(require("read"))) -> Response:
    return render(request, "core.html", core_values(request, core_id))


@router.post("/cores/{core_id}/stage")
def move_stage(request: Request, core_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    """The organiser's move of the core to another stage, with a reason."""
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    to = errors.choice(sent, "to", LABELS["to"], CORE_STAGES)
    reason = errors.text(sent, "reason", LABELS["reason"], required=False, max_len=2000)

    def write(session: Session) -> str:
        journey.move_stage(session, core_id, to or "", principal, reason)  # read without errors: a stage
        return f"/cores/{core_id}"

    return saved(request, errors, LABELS, write, (InvalidInput, Conflict)) or \
        render(request, "core.html", core_values(request, core_id, errors), status_code=422)


@router.post("/cores/{core_id}/drafts")
def start_draft(request: Request, core_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    """A trained core starts drafting its progress map: the draft's page follows."""
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    unit = errors.text(sent, "unit", "journey.draft_unit", max_len=64)
    title = errors.text(sent, "title", LABELS["title"], max_len=300)
    start = errors.date(sent, "start_date", LABELS["start_date"])
    end = errors.date(sent, "end_date", LABELS["end_date"])

    def write(session: Session) -> str:
        made = journey.start_draft(session, core_id, parse(DraftIn, {
            "unit": unit, "title": title, "start_date": start, "end_date": end}), principal)
        return f"/cores/drafts/{made['roadmap_id']}"

    if answer := saved(request, errors, {**LABELS, "unit": "journey.draft_unit"}, write, (InvalidInput, Conflict)):
        return answer
    values = {"unit": unit, "title": title, "start_date": sent.text("start_date"), "end_date": sent.text("end_date")}
    return render(request, "core.html", core_values(request, core_id, errors, values), status_code=422)


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
    accounts = {a["person_id"]: a["username"] for a in core["member_accounts"]}
    return {"name": core["name"], "members_count": format_number(core["members_count"], lang),
            "kind": core["kind"], "contacts": core["contacts"], "member_ids": [str(i) for i in core["member_ids"]],
            **{f"account.{m['id']}": accounts.get(m["id"], "") for m in core["members"]},
            **{f"score.{c}": format_number(s, lang, decimals=2) for c, s in core["assessment"].items()}}


@router.post("/cores/{core_id}/edit")
def update_core(request: Request, core_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    core = _editable(core_id, principal)
    name = errors.text(sent, "name", LABELS["name"], max_len=200)
    members = errors.number(sent, "members_count", LABELS["members_count"], required=False)
    kind = errors.choice(sent, "kind", LABELS["kind"], CORE_KINDS, required=False) or core["kind"]
    contacts = errors.text(sent, "contacts", LABELS["contacts"], required=False, max_len=1000)
    member_ids = _member_ids(errors, sent)
    # A member's account, chosen beside their name (a member chosen just now gets one on the next edit).
    accounts = [{"person_id": m["id"], "username": sent.text(f"account.{m['id']}")} for m in core["members"]
                if m["id"] in member_ids and sent.text(f"account.{m['id']}")]
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
            patch = parse(CorePatch, {"name": name, "kind": kind, "contacts": contacts, "member_accounts": accounts,
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
