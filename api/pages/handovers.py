"""Handovers of responsibility: the list, and the form that passes a roadmap (or everything
a person held) from one person to another with a note (:func:`spatial.planning.people.hand_over`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.pages.forms import FormErrors
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for
from spatial.accounts.users import user_info
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput, Unauthorized
from spatial.planning.people import hand_over, list_handovers, person_names
from spatial.planning.roadmap_inputs import HandoverIn, parse
from spatial.planning.roadmaps import list_roadmaps

router = page_router()

#: The handover form's fields, and the core's names for them (errors are shown beside them).
LABELS = {"from_person_id": "handover.from", "to_person_id": "handover.to", "roadmap_id": "handover.roadmap",
          "handed_over_on": "handover.on", "note": "handover.note"}


def editor(sent: Submitted) -> Principal:
    """Who sent a write form (``form_for`` with a permission admits signed-in callers only)."""
    if sent.principal is None:
        raise Unauthorized("Sign in first.", field="Authorization")
    return sent.principal


def area_code(session: Session, principal: Principal) -> str | None:
    """The code of the unit a progress-core member may edit in (``None``: anywhere)."""
    if principal.area_unit_id is None:
        return None
    area = user_info(session, principal.username)["area"]
    return str(area) if area else None


def _choices(session: Session, principal: Principal) -> dict[str, Any]:
    """People, and the roadmaps this editor may hand over (those inside a core member's area)."""
    return {"people": [(str(i), name) for i, name in person_names(session).items()],
            "roadmaps": [(str(r["id"]), r["title"])
                         for r in list_roadmaps(session, unit=area_code(session, principal))]}


@router.get("/handovers")
def handovers_page(request: Request, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        people = person_names(session)
        rows = list_handovers(session)
    return render(request, "handovers.html", {"handovers": list(reversed(rows)), "people": people})


@router.get("/handovers/new")
def handover_form(request: Request, roadmap: int | None = Query(None, ge=1),
                  from_person: int | None = Query(None, ge=1),
                  principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    """The handover form; ``roadmap`` and ``from_person`` fill it in (from a roadmap's history,
    or from a person's page when retiring them)."""
    with session_scope() as session:
        options = _choices(session, principal)
    values = {"roadmap_id": str(roadmap or ""), "from_person_id": str(from_person or ""),
              "handed_over_on": date.today()}
    return render(request, "handover_form.html", {**options, "values": values, "errors": FormErrors(lang_of(request))})


@router.post("/handovers/new")
def hand_over_submitted(request: Request, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    with session_scope() as session:
        options = _choices(session, principal)
    people_ids = [code for code, _ in options["people"]]
    giver = errors.choice(sent, "from_person_id", LABELS["from_person_id"], people_ids)
    taker = errors.choice(sent, "to_person_id", LABELS["to_person_id"], people_ids)
    # Any roadmap id is read here; one outside a core member's area is refused by hand_over (403).
    roadmap = errors.number(sent, "roadmap_id", LABELS["roadmap_id"], required=False)
    on = errors.date(sent, "handed_over_on", LABELS["handed_over_on"])
    note = errors.text(sent, "note", LABELS["note"], required=False, max_len=2000)
    if giver and taker and giver == taker:
        errors.add("to_person_id", LABELS["to_person_id"], "handover.same_person")
    if not errors and giver and taker and on:
        try:
            with session_scope() as session:
                data = parse(HandoverIn, {"from_person_id": int(giver), "to_person_id": int(taker),
                                          "roadmap_id": int(roadmap) if roadmap else None,
                                          "handed_over_on": on, "note": note})
                hand_over(session, data, principal)
                return redirect(request, f"/roadmaps/{int(roadmap)}/history" if roadmap else "/handovers")
        except InvalidInput as exc:
            errors.from_domain(exc, LABELS)
    values = {name: sent.text(name) for name in LABELS}
    return render(request, "handover_form.html", {**options, "values": values, "errors": errors}, status_code=422)
