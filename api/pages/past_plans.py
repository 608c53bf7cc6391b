"""The past plans register: search earlier empowerment projects (unit, sector, outcome,
words), read one (strengths, weaknesses, why it spread or not, lessons, estimated cost), add one and
correct one (:mod:`spatial.planning.past_plans`)."""

from __future__ import annotations

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.pages.forms import VERSION_FIELD, FormErrors, opened_version, stale_context
from api.pages.handovers import area_code, editor
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput, VersionMismatch
from spatial.messages import FA
from spatial.models.roadmaps import OUTCOMES
from spatial.planning import past_plans
from spatial.planning.references import guard, unit_ref
from spatial.planning.roadmap_inputs import PastPlanIn, PastPlanPatch, parse

router = page_router()

#: Sector codes the catalogue has words for (the select lists offer these).
SECTORS = tuple(key.split(".", 1)[1] for key in FA if key.startswith("sector."))
TEXTS = ("strengths", "weaknesses", "spread", "lessons")
LABELS = {"title": "past.title", "unit": "past.unit", "start_year": "past.start_year", "end_year": "past.end_year",
          "sector": "past.sector", "outcome": "past.outcome", "strengths": "past.strengths",
          "weaknesses": "past.weaknesses", "spread": "past.spread", "lessons": "past.lessons",
          "cost_rials": "past.cost"}


@router.get("/past-plans")
def past_plans_page(request: Request, unit: str | None = Query(None, max_length=64),
                    sector: str | None = Query(None, max_length=64), outcome: str | None = Query(None, max_length=32),
                    q: str | None = Query(None, max_length=200), _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        found = past_plans.search_past_plans(session, unit=unit or None, sector=sector or None,
                                             outcome=outcome if outcome in OUTCOMES else None, q=q or None)
    return render(request, "past_plans.html", {"plans": found, "sectors": SECTORS, "outcomes": OUTCOMES,
                                               "filters": {"unit": unit or "", "sector": sector or "",
                                                           "outcome": outcome or "", "q": q or ""}})


@router.get("/past-plans/new")
def new_past_plan_form(request: Request, principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    with session_scope() as session:
        values = {"unit": area_code(session, principal) or ""}
    return _form(request, values, FormErrors(lang_of(request)))


def _read(errors: FormErrors, sent: Submitted) -> dict[str, object]:
    """Every field of the past plan form but its unit, checked; problems recorded in ``errors``."""
    fields: dict[str, object] = {
        "title": errors.text(sent, "title", LABELS["title"], max_len=300),
        "start_year": errors.number(sent, "start_year", LABELS["start_year"], required=False),
        "end_year": errors.number(sent, "end_year", LABELS["end_year"], required=False),
        "sector": errors.choice(sent, "sector", LABELS["sector"], SECTORS, required=False) or "",
        "outcome": errors.choice(sent, "outcome", LABELS["outcome"], OUTCOMES),
        **{name: errors.text(sent, name, LABELS[name], required=False, max_len=4000) for name in TEXTS},
        "cost_rials": errors.number(sent, "cost_rials", LABELS["cost_rials"], required=False),
    }
    for whole in ("start_year", "end_year", "cost_rials"):  # years and rials are whole numbers
        value = fields[whole]
        fields[whole] = int(value) if isinstance(value, float) and value.is_integer() else value
    return fields


def _form(request: Request, values: dict[str, str], errors: FormErrors, plan: dict[str, object] | None = None,
          status_code: int = 200, **more: object) -> Response:
    return render(request, "past_plan_form.html", {"values": values, "sectors": SECTORS, "outcomes": OUTCOMES,
                                                   "errors": errors, "plan": plan, **more}, status_code=status_code)


@router.post("/past-plans/new")
def create_past_plan(request: Request, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    fields = {"unit": errors.text(sent, "unit", LABELS["unit"], max_len=64), **_read(errors, sent)}
    if not errors:
        try:
            data = parse(PastPlanIn, fields)
            with session_scope() as session:
                made = past_plans.create_past_plan(session, data, principal)
                return redirect(request, f"/past-plans/{made['id']}")
        except InvalidInput as exc:
            errors.from_domain(exc, LABELS)
    return _form(request, {k: sent.text(k) for k in LABELS}, errors, status_code=422)


@router.get("/past-plans/{plan_id}")
def past_plan_page(request: Request, plan_id: int, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        plan = past_plans.get_past_plan(session, plan_id)
    return render(request, "past_plan.html", {"plan": plan})


def _stored_values(plan: dict[str, object]) -> dict[str, str]:
    """A stored past plan as its form shows it."""
    return {k: "" if plan.get(k) is None else str(plan[k]) for k in LABELS}


def _editable(plan_id: int, principal: Principal) -> dict[str, object]:
    """The past plan, if ``principal`` may change it (403 outside their area)."""
    with session_scope() as session:
        plan = past_plans.get_past_plan(session, plan_id)
        guard(session, principal, unit_ref(session, str(plan["unit"])))
    return plan


@router.get("/past-plans/{plan_id}/edit")
def edit_past_plan_form(request: Request, plan_id: int,
                        principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    plan = _editable(plan_id, principal)
    return _form(request, _stored_values(plan), FormErrors(lang_of(request)), plan, version=plan["version"])


@router.post("/past-plans/{plan_id}/edit")
def edit_past_plan(request: Request, plan_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    """Correct a past plan (its unit stays); a save on a form opened before someone else's
    change merges the fields nobody else changed, and shows the ones both changed (409)."""
    lang = lang_of(request)
    errors = FormErrors(lang)
    principal = editor(sent)
    plan = _editable(plan_id, principal)
    fields = _read(errors, sent)
    if not errors:
        try:
            data = parse(PastPlanPatch, fields)
            with session_scope() as session:
                past_plans.update_past_plan(session, plan_id, data, principal, opened_version(sent))
            return redirect(request, f"/past-plans/{plan_id}")
        except InvalidInput as exc:
            errors.from_domain(exc, LABELS)
        except VersionMismatch as exc:  # both changed the same field since the form was opened
            with session_scope() as session:
                now = past_plans.get_past_plan(session, plan_id)
            return _form(request, _stored_values({**now, **exc.yours}), errors, now, 409,
                         **stale_context(exc, LABELS, lang))
    return _form(request, {k: sent.text(k) for k in LABELS}, errors, plan, 422, version=sent.text(VERSION_FIELD))
