"""Consolidating past plans («اجماع طرح‌ها»): choose a unit's roadmaps and past plans, see them
side by side (goals, actions, sectors, money, what happened), tick what to keep and make a new
roadmap of it (:mod:`spatial.planning.consolidation`). Reached from the unit page."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.pages.forms import FormErrors
from api.pages.planning import WRITE, ensure_may_write, may_write
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for, viewer
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput
from spatial.planning import consolidation
from spatial.planning.roadmap_inputs import ConsolidationIn, parse
from spatial.units import hierarchy as units

router = page_router()

LABELS = {"title": "rm.title", "start_date": "rm.start_date", "end_date": "rm.end_date", "unit": "rm.unit_code",
          "roadmaps": "cons.title", "past_plans": "cons.title", "keep": "cons.title"}


def _ids(values: list[str]) -> list[int]:
    """The ids among ``values``, in order, each once (anything else is not a choice the page offered)."""
    seen: list[int] = []
    for value in values:
        if value.isdigit() and len(value) < 10 and int(value) not in seen:
            seen.append(int(value))
    return seen


@router.get("/units/{code}/consolidate")
def consolidation_page(request: Request, code: str, roadmap: list[str] = Query([], max_length=50),
                       plan: list[str] = Query([], max_length=50), _: Principal = Depends(require("read")),
                       who: Principal | None = Depends(viewer)) -> Response:
    """The unit's roadmaps and past plans to choose from; with some chosen, them side by side,
    and for editors of the unit the form that keeps parts of them in a new roadmap."""
    lang = lang_of(request)
    with session_scope() as session:
        context = _context(session, code, _ids(roadmap), _ids(plan), who)
    return render(request, "consolidate.html", {**context, "errors": FormErrors(lang), "values": {}})


@router.post("/units/{code}/consolidate")
def consolidate(request: Request, code: str, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    """Create the roadmap from the kept parts; on an error the page again, with what was sent (422)."""
    lang = lang_of(request)
    errors = FormErrors(lang)
    who = sent.principal
    assert who is not None  # form_for(WRITE) admitted a principal
    roadmap_ids, plan_ids = _ids(sent.all("roadmap")), _ids(sent.all("plan"))
    data = {"unit": code, "title": errors.text(sent, "title", "rm.title", max_len=300),
            "start_date": errors.date(sent, "start_date", "rm.start_date"),
            "end_date": errors.date(sent, "end_date", "rm.end_date"),
            "roadmaps": roadmap_ids, "past_plans": plan_ids, "keep": sent.all("keep")}
    with session_scope() as session:
        ensure_may_write(session, who, units.get_unit(session, code).id)
        if not roadmap_ids and not plan_ids:
            errors.add("roadmaps", "cons.title", "cons.none_chosen")
        if not errors:
            try:
                made = consolidation.consolidate(session, parse(ConsolidationIn, data), who)
            except InvalidInput as exc:
                session.rollback()  # nothing of this submission is kept
                errors.from_domain(exc, LABELS)
            else:  # committed as the block ends, with the form's one-time token
                return redirect(request, f"/roadmaps/{made['id']}")
        context = _context(session, code, roadmap_ids, plan_ids, who)
    values = {"title": sent.text("title"), "start_date": sent.text("start_date"), "end_date": sent.text("end_date"),
              "keep": data["keep"]}
    return render(request, "consolidate.html", {**context, "errors": errors, "values": values}, status_code=422)


def _context(session: Session, code: str, roadmap_ids: list[int], plan_ids: list[int],
             who: Principal | None) -> dict[str, Any]:
    unit = units.get_unit(session, code)
    try:
        columns = consolidation.side_by_side(session, code, roadmap_ids, plan_ids)
    except InvalidInput:  # a choice from another unit, typed into the address: start from the choice again
        columns, roadmap_ids, plan_ids = [], [], []
    return {"unit": unit, "candidates": consolidation.consolidation_candidates(session, code), "columns": columns,
            "chosen": {"roadmaps": roadmap_ids, "plans": plan_ids}, "writable": may_write(session, who, unit.id)}
