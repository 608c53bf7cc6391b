"""The pages of a progress core's journey beyond the core's own page
(:mod:`spatial.planning.journey`): assessment rounds (criteria and weights, each assessor's
score form, the ranking), training courses (sessions, enrolment, attendance), a core's
draft with its review (submit; ask for changes with comments per section and per action, or
adopt), and the group record card as a page and a PDF (:mod:`spatial.planning.record_card`).

Organisers are planners and administrators; the core checks every rule again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.pages.cores import ORGANISERS
from api.pages.exports import Format, download, printed
from api.pages.forms import FormErrors
from api.pages.handovers import area_code, editor
from api.pages.render import lang_of, page_router, render
from api.pages.saving import form_again, saved
from api.pages.security import Submitted, form_for, viewer_of
from spatial.accounts.users import list_users
from spatial.db.engine import session_scope
from spatial.errors import Conflict, InvalidInput
from spatial.models.journey import ASSESSMENT_METHODS, REVIEW_SECTIONS
from spatial.planning import journey
from spatial.planning.cores import core_document, list_cores
from spatial.planning.journey_inputs import CourseIn, ReviewIn, RoundIn, SessionIn
from spatial.planning.record_card import record_card
from spatial.planning.roadmap_inputs import parse
from spatial.planning.roadmaps import get_roadmap

router = page_router()

#: Rows of criteria the new-round form offers (the empty ones are left out).
CRITERIA_ROWS = 5
LABELS = {"title": "assessment.title", "unit": "core.area", "method": "assessment.method",
          "criteria": "assessment.criteria", "assessors": "assessment.assessors", "core_id": "assessment.score_core",
          "required_sessions": "course.required_sessions", "held_on": "course.held_on", "topic": "course.topic",
          "person_ids": "course.attendance", "note": "journey.note", "decision": "journey.decision",
          "actions": "card.actions", "id": "journey.draft_title"}
#: What the core refuses beside a form's fields (a Forbidden one is answered with the 403 page).
ERRORS = (InvalidInput, Conflict)


def _organiser(request: Request) -> bool:
    who = viewer_of(request)
    return who is not None and who.role in ORGANISERS


# --- assessment rounds ---------------------------------------------------------------------

@router.get("/cores/rounds")
def rounds_page(request: Request, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        rounds = journey.list_rounds(session)
    return render(request, "rounds.html", {"rounds": rounds, "organiser": _organiser(request)})


def _round_form(request: Request, values: dict[str, Any], errors: FormErrors, status_code: int = 200) -> Response:
    with session_scope() as session:
        assessors = [(u["username"], u["username"]) for u in list_users(session)
                     if u["role"] in ORGANISERS and not u["disabled"]]
    return render(request, "round_form.html", {"values": values, "errors": errors, "assessor_choices": assessors,
                                               "methods": ASSESSMENT_METHODS, "rows": range(1, CRITERIA_ROWS + 1)},
                  status_code=status_code)


@router.get("/cores/rounds/new")
def new_round_form(request: Request, principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    with session_scope() as session:
        unit = area_code(session, principal) or ""
    return _round_form(request, {"unit": unit, "method": "weighted_sum", "assessors": []},
                       FormErrors(lang_of(request)))


@router.post("/cores/rounds/new")
def create_round(request: Request, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    title = errors.text(sent, "title", LABELS["title"], max_len=200)
    unit = errors.text(sent, "unit", LABELS["unit"], max_len=64)
    method = errors.choice(sent, "method", LABELS["method"], ASSESSMENT_METHODS)
    criteria = []
    for row in range(1, CRITERIA_ROWS + 1):
        name = errors.text(sent, f"criterion_{row}", "assessment.criterion_n", required=False, max_len=200, n=row)
        weight = errors.number(sent, f"weight_{row}", "assessment.weight", required=bool(name))
        if name and weight is not None:
            criteria.append({"code": f"c{row}", "name": name, "weight": weight})
    if not criteria and not errors:
        errors.add("criterion_1", "assessment.criterion_n", "form.required", n=1)
    assessors = sent.all("assessors")

    def write(session: Session) -> str:
        made = journey.create_round(session, parse(RoundIn, {
            "unit": unit, "title": title, "method": method, "criteria": criteria, "assessors": assessors}), principal)
        return f"/cores/rounds/{made['id']}"

    if answer := saved(request, errors, LABELS, write, ERRORS):
        return answer
    values = {**{k: sent.text(k) for k in sent.form if k != "csrf_token"}, "assessors": assessors}
    return _round_form(request, values, errors, 422)


def _round_values(request: Request, round_id: int, errors: FormErrors | None = None) -> dict[str, Any]:
    who = viewer_of(request)
    with session_scope() as session:
        results = journey.round_results(session, round_id)
        scorable = [(str(c["id"]), c["name"]) for c in list_cores(session, unit=results["unit"])
                    if c["stage"] in journey.ASSESSABLE]
    return {"round": results, "errors": errors or FormErrors(lang_of(request)),
            "assessor": who is not None and who.username in results["assessors"], "scorable": scorable}


@router.get("/cores/rounds/{round_id}")
def round_page(request: Request, round_id: int, _: Principal = Depends(require("read"))) -> Response:
    return render(request, "round.html", _round_values(request, round_id))


@router.post("/cores/rounds/{round_id}/scores")
def score_core(request: Request, round_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    """An assessor's score form for one core."""
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    core = sent.text("core_id")
    if not core.isdigit() or len(core) > 9:
        errors.add("core_id", LABELS["core_id"], "form.required")
    with session_scope() as session:
        criteria = journey.round_results(session, round_id)["criteria"]
    scores: dict[str, float] = {}
    for criterion in criteria:
        value = errors.number(sent, f"score.{criterion['code']}", "core.score")
        if value is not None:
            scores[criterion["code"]] = value

    def write(session: Session) -> str:
        journey.score_core(session, round_id, int(core), scores, principal)
        return f"/cores/rounds/{round_id}"

    labels = {**LABELS, **{f"scores.{c['code']}": "core.score" for c in criteria}}
    return saved(request, errors, labels, write, ERRORS) or \
        render(request, "round.html", _round_values(request, round_id, errors), status_code=422)


# --- training courses -------------------------------------------------------------------------

@router.get("/cores/courses")
def courses_page(request: Request, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        courses = journey.list_courses(session)
    return render(request, "courses.html", {"courses": courses, "organiser": _organiser(request)})


@router.get("/cores/courses/new")
def new_course_form(request: Request, principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    with session_scope() as session:
        unit = area_code(session, principal) or ""
    return render(request, "course_form.html", {"values": {"unit": unit, "required_sessions": ""},
                                                "errors": FormErrors(lang_of(request))})


@router.post("/cores/courses/new")
def create_course(request: Request, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    title = errors.text(sent, "title", "course.title", max_len=200)
    unit = errors.text(sent, "unit", LABELS["unit"], max_len=64)
    required = errors.number(sent, "required_sessions", LABELS["required_sessions"])
    if required is not None and (required != int(required) or not 1 <= required <= 1000):
        errors.add("required_sessions", LABELS["required_sessions"], "form.bad_number")

    def write(session: Session) -> str:
        # Read without errors, ``required`` is a whole number.
        made = journey.create_course(session, parse(CourseIn, {
            "unit": unit, "title": title, "required_sessions": int(required or 0)}), principal)
        return f"/cores/courses/{made['id']}"

    return saved(request, errors, {**LABELS, "title": "course.title"}, write, ERRORS) or \
        form_again(request, "course_form.html", sent, ("title", "unit", "required_sessions"), errors)


def _course_values(request: Request, course_id: int, errors: FormErrors | None = None) -> dict[str, Any]:
    with session_scope() as session:
        course = journey.get_course(session, course_id)
        enrolled = {c["core_id"] for c in course["cores"]}
        selectable = [(str(c["id"]), c["name"]) for c in list_cores(session, unit=course["unit"])
                      if c["stage"] in ("selected", "in_training") and c["id"] not in enrolled]
    members = [m for c in course["cores"] for m in c["members"]]
    return {"course": course, "members": members, "selectable": selectable, "organiser": _organiser(request),
            "errors": errors or FormErrors(lang_of(request))}


@router.get("/cores/courses/{course_id}")
def course_page(request: Request, course_id: int, _: Principal = Depends(require("read"))) -> Response:
    return render(request, "course.html", _course_values(request, course_id))


def _course_write(request: Request, course_id: int, errors: FormErrors, write: Callable[[Session], object]) -> Response:
    """Run ``write(session)`` when the form read well: back to the course, or its page with the refusal."""

    def written(session: Session) -> str:
        write(session)
        return f"/cores/courses/{course_id}"

    return saved(request, errors, LABELS, written, ERRORS) or \
        render(request, "course.html", _course_values(request, course_id, errors), status_code=422)


@router.post("/cores/courses/{course_id}/sessions")
def add_session(request: Request, course_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    held = errors.date(sent, "held_on", LABELS["held_on"])
    topic = errors.text(sent, "topic", LABELS["topic"], required=False, max_len=500)
    return _course_write(request, course_id, errors, lambda session: journey.add_session(
        session, course_id, parse(SessionIn, {"held_on": held, "topic": topic}), principal))


@router.post("/cores/courses/{course_id}/cores")
def enrol(request: Request, course_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    core = sent.text("core_id")
    if not core.isdigit() or len(core) > 9:
        errors.add("core_id", "course.enrol_core", "form.required")
    return _course_write(request, course_id, errors,
                         lambda session: journey.enrol(session, course_id, int(core), principal))


@router.post("/cores/courses/{course_id}/sessions/{session_id}/attendance")
def record_attendance(request: Request, course_id: int, session_id: int,
                      sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    present = sent.all("person_ids")
    if any(not p.isdigit() or len(p) > 9 for p in present):
        errors.add("person_ids", LABELS["person_ids"], "form.bad_choice")
    return _course_write(request, course_id, errors, lambda session: journey.record_attendance(
        session, session_id, [int(p) for p in present], principal))


# --- a core's draft and its review ---------------------------------------------------------------

def _draft_values(request: Request, roadmap_id: int, errors: FormErrors | None = None) -> dict[str, Any]:
    who = viewer_of(request)
    with session_scope() as session:
        draft = journey.draft_document(session, roadmap_id)
        roadmap = get_roadmap(session, roadmap_id)
        member = who is not None and journey.is_member(session, draft["core_id"], who.username)
        core = core_document(session, draft["core_id"])
    organiser = _organiser(request)
    return {"draft": draft, "roadmap": roadmap, "core": core, "errors": errors or FormErrors(lang_of(request)),
            "may_submit": (organiser or member) and draft["state"] in ("drafting", "changes_requested"),
            "may_review": organiser and draft["state"] == "submitted",
            "sections": [s for s in REVIEW_SECTIONS if s != "action"]}


def _draft_saved(request: Request, roadmap_id: int, errors: FormErrors, write: Callable[[Session], str]) -> Response:
    """Back to the draft once ``write`` is done, or the draft's page with the refusal (422)."""
    return saved(request, errors, LABELS, write, ERRORS) or \
        render(request, "draft_review.html", _draft_values(request, roadmap_id, errors), status_code=422)


@router.get("/cores/drafts/{roadmap_id}")
def draft_page(request: Request, roadmap_id: int, _: Principal = Depends(require("read"))) -> Response:
    return render(request, "draft_review.html", _draft_values(request, roadmap_id))


@router.post("/cores/drafts/{roadmap_id}/submit")
def submit_draft(request: Request, roadmap_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    note = errors.text(sent, "note", LABELS["note"], required=False, max_len=2000)

    def write(session: Session) -> str:
        journey.submit_draft(session, roadmap_id, principal, note)
        return f"/cores/drafts/{roadmap_id}"

    return _draft_saved(request, roadmap_id, errors, write)


@router.post("/cores/drafts/{roadmap_id}/review")
def review_draft(request: Request, roadmap_id: int, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
    """The planner's review: a decision, a note, and comments per section and per action."""
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    decision = errors.choice(sent, "decision", LABELS["decision"], ("changes", "adopt"))
    note = errors.text(sent, "note", LABELS["note"], required=False, max_len=2000)
    comments: list[dict[str, Any]] = []
    for section in REVIEW_SECTIONS:
        if section != "action" and sent.text(f"comment.{section}"):
            comments.append({"section": section, "text": errors.text(
                sent, f"comment.{section}", f"review_section.{section}", max_len=2000)})
    for name in sent.form:
        number = name.removeprefix("comment.action.")
        if name.startswith("comment.action.") and sent.text(name) and number.isdigit() and len(number) < 10:
            comments.append({"section": "action", "action_id": int(number),
                             "text": errors.text(sent, name, "review_section.action", max_len=2000)})

    def write(session: Session) -> str:
        journey.review_draft(session, roadmap_id, parse(ReviewIn, {
            "decision": decision, "note": note, "comments": comments}), principal)
        return f"/cores/drafts/{roadmap_id}"

    return _draft_saved(request, roadmap_id, errors, write)


# --- the group record card ------------------------------------------------------------------------

@router.get("/cores/{core_id}/card")
def card_page(request: Request, core_id: int, _: Principal = Depends(require("read"))) -> Response:
    lang = lang_of(request)
    with session_scope() as session:
        title, tables = record_card(session, core_id, lang)
        name = core_document(session, core_id)["name"]
    return render(request, "record_card.html", {"title": title, "tables": tables, "core_id": core_id,
                                                "core_name": name, "cell": lambda v: printed(v, lang)})


@router.get("/cores/{core_id}/card/download")
def card_download(request: Request, core_id: int, format: Format = Query("pdf"),  # noqa: A002
                  _: Principal = Depends(require("read"))) -> Response:
    """The record card as a PDF (or a workbook, or its first table as CSV)."""
    with session_scope() as session:
        title, tables = record_card(session, core_id, lang_of(request))
    return download(request, f"record-card-{core_id}", title, tables, format)
