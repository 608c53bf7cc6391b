"""Competitions and the public watch over HTTP (:mod:`spatial.planning.contests`,
:mod:`spatial.planning.watch`).

Organisers (planners) create events and adopt winners; jurors score only the events they
sit on and see only their own scores until scoring closes; entrants (planners, or core
members for their own core, inside their area) enter and submit proposals. The public
watch of a published roadmap needs no account.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query

from api.auth import Principal, require
from api.deps import DbSession
from api.routers.roadmaps import PathId
from spatial.errors import Forbidden
from spatial.planning import contests, watch
from spatial.planning.contest_inputs import ContestIn, EntryIn, ScoresIn, TimetablePatch

router = APIRouter(tags=["competitions and the public watch"])


def _person(principal: Principal) -> Principal:
    """A caller with an account of their own (jurors are accounts, not partner keys or anonymous readers)."""
    if principal.partner is not None or principal.role == "anonymous":
        raise Forbidden("Sign in with your own account: jurors score as themselves.", reason="contest_not_juror")
    return principal


@router.get("/api/contests", summary="Events, newest first, with their phase")
def list_contests(session: DbSession, _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return contests.list_contests(session)


@router.post("/api/contests", status_code=201, summary="Create an event (organisers)")
def create_contest(body: ContestIn, session: DbSession,
                   principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return contests.create_contest(session, body, principal)


@router.get("/api/contests/{contest_id}", summary="An event: timetable, phase, targets, criteria, jury, entries")
def get_contest(contest_id: PathId, session: DbSession, _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return contests.get_contest(session, contest_id)


@router.patch("/api/contests/{contest_id}", summary="Move days of an event's timetable (organisers)")
def update_timetable(contest_id: PathId, body: TimetablePatch, session: DbSession,
                     principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return contests.update_timetable(session, contest_id, body, principal)


@router.post("/api/contests/{contest_id}/entries", status_code=201,
             summary="Enter a group for a target; its proposal is a new draft roadmap")
def create_entry(contest_id: PathId, body: EntryIn, session: DbSession,
                 principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return contests.create_entry(session, contest_id, body, principal)


@router.get("/api/contest-entries/{entry_id}", summary="One entry")
def get_entry(entry_id: PathId, session: DbSession, _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return contests.get_entry(session, entry_id)


@router.post("/api/contest-entries/{entry_id}/submit", summary="Submit an entry's proposal for scoring")
def submit_entry(entry_id: PathId, session: DbSession,
                 principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return contests.submit_entry(session, entry_id, principal)


@router.put("/api/contest-entries/{entry_id}/scores", summary="A juror's scores of an entry (jurors of its event)")
def score_entry(entry_id: PathId, body: ScoresIn, session: DbSession,
                principal: Principal = Depends(require("read"))) -> dict[int, float]:
    return contests.score_entry(session, entry_id, body.scores, _person(principal))


@router.get("/api/contests/{contest_id}/my-scores", summary="The caller's own scores of an event")
def my_scores(contest_id: PathId, session: DbSession,
              principal: Principal = Depends(require("read"))) -> dict[int, dict[int, float]]:
    contests.get_contest(session, contest_id)  # 404 before 403: an event that does not exist
    return contests.juror_scores(session, contest_id, _person(principal).username)


@router.get("/api/contests/{contest_id}/scores", summary="Every juror's scores, once scoring has closed")
def all_scores(contest_id: PathId, session: DbSession,
               _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return contests.all_scores(session, contest_id)


@router.get("/api/contests/{contest_id}/results", summary="Entries ranked per target with the weighted score")
def results(contest_id: PathId, session: DbSession, _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return contests.results(session, contest_id)


@router.post("/api/contest-entries/{entry_id}/adopt",
             summary="Adopt an entry as its target's roadmap; the others go to the past plans (organisers)")
def adopt_entry(entry_id: PathId, session: DbSession,
                lang: Annotated[Literal["fa", "en"], Query(description="Language of the past plans' notes")] = "fa",
                principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return contests.adopt_entry(session, entry_id, principal, lang=lang)


@router.get("/api/cores/{core_id}/entries", summary="A core's competition entries and their results")
def core_entries(core_id: PathId, session: DbSession, _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return contests.core_entries(session, core_id)


@router.put("/api/roadmaps/{roadmap_id}/published", summary="Publish a roadmap to the public watch, or take it back")
def set_published(roadmap_id: PathId, session: DbSession, published: Annotated[bool, Body(embed=True)],
                  principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return {"roadmap_id": roadmap_id, "published": watch.set_published(session, roadmap_id, published, principal)}


@router.get("/api/watch/{roadmap_id}", summary="The public watch of a published roadmap (no account needed)")
def public_roadmap(roadmap_id: PathId, session: DbSession) -> dict[str, Any]:
    return watch.public_roadmap(session, roadmap_id)
