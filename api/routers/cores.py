"""Progress cores and the past plans register over HTTP: cores, their journey (stage moves,
assessment rounds and score forms, courses with sessions and attendance, drafts and their
review) and their record card (:mod:`spatial.planning.journey`, :mod:`spatial.planning.record_card`).

Organisers are planners and administrators; assessors score only in the rounds that name
them; core members act only on their own core's drafts."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Response, status

from api.auth import Principal, require
from api.deps import DbSession, IfMatch, with_etag
from api.routers.roadmaps import PathId, QueryText, Search
from spatial.planning import cores, journey, past_plans
from spatial.planning.journey_inputs import (
    AttendanceIn, CourseIn, DraftIn, EnrolIn, NoteIn, ReviewIn, RoundIn, ScoresIn, SessionIn, StageMoveIn,
)
from spatial.planning.record_card import record_card
from spatial.planning.roadmap_inputs import CoreIn, CorePatch, CoreStage, PastPlanIn, PastPlanPatch

router = APIRouter(tags=["progress cores and past plans"])

Outcome = Literal["succeeded", "partial", "failed", "not_adopted"]


@router.get("/api/cores", summary="Progress cores whose area lies in a unit, by stage")
def list_cores(session: DbSession,
               unit: QueryText = None, stage: CoreStage | None = None,
               _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return cores.list_cores(session, unit=unit, stage=stage)


@router.post("/api/cores", status_code=status.HTTP_201_CREATED, summary="Register a progress core")
def create_core(body: CoreIn, session: DbSession,
                principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return cores.create_core(session, body, principal)


# --- assessment ------------------------------------------------------------------------------

@router.get("/api/cores/rounds", summary="Assessment rounds in an area")
def list_rounds(session: DbSession, unit: QueryText = None,
                _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return journey.list_rounds(session, unit=unit)


@router.post("/api/cores/rounds", status_code=status.HTTP_201_CREATED,
             summary="Open an assessment round: criteria with weights, assessors, method (organisers)")
def create_round(body: RoundIn, session: DbSession,
                 principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.create_round(session, body, principal)


@router.get("/api/cores/rounds/{round_id}", summary="A round with its cores ranked by combined score")
def get_round(round_id: PathId, session: DbSession,
              _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return journey.round_results(session, round_id)


@router.put("/api/cores/rounds/{round_id}/scores/{core_id}",
            summary="Your score form for a core in a round (the round's assessors only)")
def score_core(round_id: PathId, core_id: PathId, body: ScoresIn, session: DbSession,
               principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.score_core(session, round_id, core_id, body.scores, principal)


# --- training ----------------------------------------------------------------------------------

@router.get("/api/cores/courses", summary="Training courses in an area")
def list_courses(session: DbSession, unit: QueryText = None,
                 _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return journey.list_courses(session, unit=unit)


@router.post("/api/cores/courses", status_code=status.HTTP_201_CREATED, summary="Open a course (organisers)")
def create_course(body: CourseIn, session: DbSession,
                  principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.create_course(session, body, principal)


@router.get("/api/cores/courses/{course_id}", summary="A course: sessions, cores, attendance")
def get_course(course_id: PathId, session: DbSession,
               _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return journey.get_course(session, course_id)


@router.post("/api/cores/courses/{course_id}/sessions", status_code=status.HTTP_201_CREATED,
             summary="Add a session to a course (organisers)")
def add_session(course_id: PathId, body: SessionIn, session: DbSession,
                principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.add_session(session, course_id, body, principal)


@router.post("/api/cores/courses/{course_id}/cores", summary="Enrol a selected core: it is in training (organisers)")
def enrol(course_id: PathId, body: EnrolIn, session: DbSession,
          principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.enrol(session, course_id, body.core_id, principal)


@router.put("/api/cores/courses/sessions/{session_id}/attendance",
            summary="Who attended a session (organisers); a core whose members meet the requirement is trained")
def record_attendance(session_id: PathId, body: AttendanceIn, session: DbSession,
                      principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.record_attendance(session, session_id, body.person_ids, principal)


# --- drafts and review ---------------------------------------------------------------------------

@router.get("/api/cores/drafts/{roadmap_id}", summary="A core's draft and every step of its review")
def get_draft(roadmap_id: PathId, session: DbSession,
              _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return journey.draft_document(session, roadmap_id)


@router.post("/api/cores/drafts/{roadmap_id}/submit", summary="Submit a draft for review (its core's members)")
def submit_draft(roadmap_id: PathId, body: NoteIn, session: DbSession,
                 principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.submit_draft(session, roadmap_id, principal, body.note)


@router.post("/api/cores/drafts/{roadmap_id}/review",
             summary="Ask for changes (comments per section and action) or adopt a draft (organisers)")
def review_draft(roadmap_id: PathId, body: ReviewIn, session: DbSession,
                 principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.review_draft(session, roadmap_id, body, principal)


# --- one core ------------------------------------------------------------------------------------

@router.get("/api/cores/{core_id}", summary="One core with the roadmaps it drafted")
def get_core(core_id: PathId, session: DbSession, response: Response,
             _: Principal = Depends(require("read"))) -> dict[str, Any]:
    """The core carries its version as ``ETag``: send it back as ``If-Match`` to change it."""
    return with_etag(response, cores.core_document(session, core_id))


@router.patch("/api/cores/{core_id}", summary="Change a core: stage, members, scores, training")
def update_core(core_id: PathId, body: CorePatch, session: DbSession, response: Response, opened: IfMatch,
                principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    """With ``If-Match``, refused (412, listing what changed since) unless the core is still that version."""
    return with_etag(response, cores.update_core(session, core_id, body, principal, opened))


@router.delete("/api/cores/{core_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a core")
def delete_core(core_id: PathId, session: DbSession, opened: IfMatch,
                principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    cores.delete_core(session, core_id, principal, opened)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/api/cores/{core_id}/stage", summary="Move a core to another stage, with a reason (organisers)")
def move_stage(core_id: PathId, body: StageMoveIn, session: DbSession,
               principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.move_stage(session, core_id, body.to, principal, body.reason)


@router.post("/api/cores/{core_id}/drafts", status_code=status.HTTP_201_CREATED,
             summary="Start drafting a progress map (a trained core's members, or organisers)")
def start_draft(core_id: PathId, body: DraftIn, session: DbSession,
                principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return journey.start_draft(session, core_id, body, principal)


@router.get("/api/cores/{core_id}/card", summary="The core's group record card, section by section")
def get_card(core_id: PathId, session: DbSession, lang: Literal["fa", "en"] = "fa",
             _: Principal = Depends(require("read"))) -> dict[str, Any]:
    title, tables = record_card(session, core_id, lang)
    return {"title": title, "sections": [{"title": tb.title, "headers": tb.headers,
                                          "rows": [[c.isoformat() if isinstance(c, date) else c for c in row]
                                                   for row in tb.rows]} for tb in tables]}


@router.get("/api/past-plans", summary="Search the past plans register")
def search_past_plans(session: DbSession,
                      unit: QueryText = None, sector: QueryText = None, outcome: Outcome | None = None,
                      q: Search = None,
                      _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return past_plans.search_past_plans(session, unit=unit, sector=sector, outcome=outcome, q=q)


@router.post("/api/past-plans", status_code=status.HTTP_201_CREATED, summary="Add a past plan")
def create_past_plan(body: PastPlanIn, session: DbSession,
                     principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return past_plans.create_past_plan(session, body, principal)


@router.get("/api/past-plans/{plan_id}", summary="One past plan")
def get_past_plan(plan_id: PathId, session: DbSession, response: Response,
                  _: Principal = Depends(require("read"))) -> dict[str, Any]:
    """The past plan carries its version as ``ETag``: send it back as ``If-Match`` to change it."""
    return with_etag(response, past_plans.get_past_plan(session, plan_id))


@router.patch("/api/past-plans/{plan_id}", summary="Change a past plan")
def update_past_plan(plan_id: PathId, body: PastPlanPatch, session: DbSession, response: Response, opened: IfMatch,
                     principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    """With ``If-Match``, refused (412, listing what changed since) unless the plan is still that version."""
    return with_etag(response, past_plans.update_past_plan(session, plan_id, body, principal, opened))


@router.delete("/api/past-plans/{plan_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a past plan")
def delete_past_plan(plan_id: PathId, session: DbSession, opened: IfMatch,
                     principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    past_plans.delete_past_plan(session, plan_id, principal, opened)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
