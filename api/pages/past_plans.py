"""The past plans register: search earlier empowerment projects (unit, sector, outcome,
words), read one (strengths, weaknesses, why it spread or not, lessons), and add one
(:mod:`spatial.planning.past_plans`)."""

from __future__ import annotations

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.pages.forms import FormErrors
from api.pages.handovers import area_code, editor
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput
from spatial.messages import FA
from spatial.models.roadmaps import OUTCOMES
from spatial.planning import past_plans
from spatial.planning.roadmap_inputs import PastPlanIn, parse

router = page_router()

#: Sector codes the catalogue has words for (the select lists offer these).
SECTORS = tuple(key.split(".", 1)[1] for key in FA if key.startswith("sector."))
TEXTS = ("strengths", "weaknesses", "spread", "lessons")
LABELS = {"title": "past.title", "unit": "past.unit", "start_year": "past.start_year", "end_year": "past.end_year",
          "sector": "past.sector", "outcome": "past.outcome", "strengths": "past.strengths",
          "weaknesses": "past.weaknesses", "spread": "past.spread", "lessons": "past.lessons"}


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
    return render(request, "past_plan_form.html", {"values": values, "sectors": SECTORS, "outcomes": OUTCOMES,
                                                   "errors": FormErrors(lang_of(request))})


@router.post("/past-plans/new")
def create_past_plan(request: Request, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    fields: dict[str, object] = {
        "title": errors.text(sent, "title", LABELS["title"], max_len=300),
        "unit": errors.text(sent, "unit", LABELS["unit"], max_len=64),
        "start_year": errors.number(sent, "start_year", LABELS["start_year"], required=False),
        "end_year": errors.number(sent, "end_year", LABELS["end_year"], required=False),
        "sector": errors.choice(sent, "sector", LABELS["sector"], SECTORS, required=False) or "",
        "outcome": errors.choice(sent, "outcome", LABELS["outcome"], OUTCOMES),
        **{name: errors.text(sent, name, LABELS[name], required=False, max_len=4000) for name in TEXTS},
    }
    for year in ("start_year", "end_year"):  # a year is a whole number
        value = fields[year]
        fields[year] = int(value) if isinstance(value, float) and value.is_integer() else value
    if not errors:
        try:
            data = parse(PastPlanIn, fields)
            with session_scope() as session:
                made = past_plans.create_past_plan(session, data, principal)
                return redirect(request, f"/past-plans/{made['id']}")
        except InvalidInput as exc:
            errors.from_domain(exc, LABELS)
    return render(request, "past_plan_form.html", {"values": {k: sent.text(k) for k in LABELS}, "sectors": SECTORS,
                                                   "outcomes": OUTCOMES, "errors": errors}, status_code=422)


@router.get("/past-plans/{plan_id}")
def past_plan_page(request: Request, plan_id: int, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        plan = past_plans.get_past_plan(session, plan_id)
    return render(request, "past_plan.html", {"plan": plan})
