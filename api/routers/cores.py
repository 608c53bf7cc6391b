"""Progress cores and the past plans register over HTTP."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Response, status

from api.auth import Principal, require
from api.deps import DbSession
from api.routers.roadmaps import PathId, QueryText, Search
from spatial.planning import cores
from spatial.planning import past_plans
from spatial.planning.roadmap_inputs import CoreIn, CorePatch, PastPlanIn, PastPlanPatch

router = APIRouter(tags=["progress cores and past plans"])

Stage = Literal["identified", "assessed", "selected", "trained"]
Outcome = Literal["succeeded", "partial", "failed", "not_adopted"]


@router.get("/api/cores", summary="Progress cores whose area lies in a unit, by stage")
def list_cores(session: DbSession,
               unit: QueryText = None, stage: Stage | None = None,
               _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return cores.list_cores(session, unit=unit, stage=stage)


@router.post("/api/cores", status_code=status.HTTP_201_CREATED, summary="Register a progress core")
def create_core(body: CoreIn, session: DbSession,
                principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return cores.create_core(session, body, principal)


@router.get("/api/cores/{core_id}", summary="One core with the roadmaps it drafted")
def get_core(core_id: PathId, session: DbSession,
             _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return cores.core_document(session, core_id)


@router.patch("/api/cores/{core_id}", summary="Change a core: stage, members, scores, training")
def update_core(core_id: PathId, body: CorePatch, session: DbSession,
                principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return cores.update_core(session, core_id, body, principal)


@router.delete("/api/cores/{core_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a core")
def delete_core(core_id: PathId, session: DbSession,
                principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    cores.delete_core(session, core_id, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


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
def get_past_plan(plan_id: PathId, session: DbSession,
                  _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return past_plans.get_past_plan(session, plan_id)


@router.patch("/api/past-plans/{plan_id}", summary="Change a past plan")
def update_past_plan(plan_id: PathId, body: PastPlanPatch, session: DbSession,
                     principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return past_plans.update_past_plan(session, plan_id, body, principal)


@router.delete("/api/past-plans/{plan_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a past plan")
def delete_past_plan(plan_id: PathId, session: DbSession,
                     principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    past_plans.delete_past_plan(session, plan_id, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
