"""Roadmaps, actions, measurements and the progress watch over HTTP.

Writes need ``roadmaps:write``; the caller's username is recorded as the author, and a
caller restricted to an area (progress-core members) may write only inside it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status

from api.auth import Principal, require
from api.deps import DbSession, IfMatch, with_etag
from spatial.planning import consolidation
from spatial.planning import draft
from spatial.planning import exchange
from spatial.planning import history
from spatial.planning import progress
from spatial.planning import roadmaps
from spatial.planning import similar
from spatial.planning.roadmap_inputs import (
    ActionIn, ActionPatch, ConsolidationIn, MeasurementIn, MeasurementPatch, RoadmapIn, RoadmapPatch,
)

router = APIRouter(tags=["roadmaps"])

Level = Literal["province", "county", "district", "rural_district", "neighbourhood", "village"]
RoadmapStatus = Literal["draft", "approved", "archived"]
ActionStatus = Literal["planned", "in_progress", "done", "stalled", "cancelled"]
#: Database integer bounds and text without NUL characters, so that odd parameters are 422s.
MAX_ID = 2_147_483_647
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
NO_NUL = r"^[^\x00]*$"
QueryText = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]
UnitFilter = Annotated[str | None, Query(max_length=200, pattern=NO_NUL,
                                         description="A unit code: that unit and the units below it")]
Search = Annotated[str | None, Query(max_length=200, pattern=NO_NUL, description="Words to look for")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/api/units/{code}/roadmap-draft", summary="The draft of a new roadmap for a unit, from the evidence")
def roadmap_draft(
    code: Annotated[str, Path(max_length=200, pattern=NO_NUL)],
    session: DbSession,
    lang: Annotated[Literal["fa", "en"], Query(description="Language of the items' words")] = "fa",
    _: Principal = Depends(require("read")),
) -> dict[str, Any]:
    """Current state, capacities, comparative advantages, target community, deprivations to
    remove and a strategy per advantage, each item with its ``source`` and ``figure``."""
    return draft.roadmap_draft(session, code, lang)


@router.get("/api/units/{code}/roadmap-suggestions",
            summary="Places like a unit, and the actions that worked there, for its new roadmap")
def roadmap_suggestions(
    code: Annotated[str, Path(max_length=200, pattern=NO_NUL)],
    session: DbSession,
    lang: Annotated[Literal["fa", "en"], Query(description="Language of the items' words")] = "fa",
    _: Principal = Depends(require("read")),
) -> dict[str, Any]:
    """The units of the same level with the closest standardised indicator profiles (``similar``,
    each with the indicators that made it similar), and their achieved or on-track actions and
    successful past plans (``suggestions``, each with sector, cost and result, and ``ref`` to send
    as an action's ``source``). No similar place: ``similar`` is empty and ``message`` says so."""
    return similar.roadmap_suggestions(session, code, lang)


@router.post("/api/roadmaps/consolidate", status_code=status.HTTP_201_CREATED,
             summary="Create a roadmap from the kept parts of a unit's past plans and roadmaps")
def consolidate(body: ConsolidationIn, session: DbSession,
                principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    """The new roadmap names its sources; each action taken over names the action or past plan it came from."""
    return consolidation.consolidate(session, body, principal)


@router.get("/api/roadmaps", summary="Roadmaps, filtered, each with its progress status")
def list_roadmaps(
    session: DbSession,
    unit: UnitFilter = None,
    level: Level | None = None,
    status_: Annotated[RoadmapStatus | None, Query(alias="status")] = None,
    sponsor: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Economic sponsor organisation id")] = None,
    responsible: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Responsible person id")] = None,
    core: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Progress core id")] = None,
    archived: Annotated[bool, Query(description="List only the archived roadmaps (default: only the others)")] = False,
    _: Principal = Depends(require("read")),
) -> list[dict[str, Any]]:
    return roadmaps.list_roadmaps(session, unit=unit, level=level, status=status_, sponsor=sponsor,
                                  responsible=responsible, core=core, archived=archived)


@router.post("/api/roadmaps", status_code=status.HTTP_201_CREATED, summary="Create a roadmap")
def create_roadmap(body: RoadmapIn, session: DbSession,
                   principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return roadmaps.create_roadmap(session, body, principal)


@router.post("/api/roadmaps/import", status_code=status.HTTP_201_CREATED,
             summary="Import a roadmap exported as JSON (creates a new roadmap)")
def import_roadmap(document: Annotated[dict[str, Any], Body()], session: DbSession,
                   principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return roadmaps.get_roadmap(session, exchange.import_json(session, document, principal))


@router.get("/api/roadmaps/{roadmap_id}", summary="A roadmap with its actions, now or as it was at a moment")
def get_roadmap(
    roadmap_id: PathId,
    session: DbSession,
    response: Response,
    as_of: Annotated[str | None, Query(max_length=40, pattern=NO_NUL,
                                       description="ISO date (end of that day, UTC) or timestamp")] = None,
    _: Principal = Depends(require("read")),
) -> dict[str, Any]:
    """The current roadmap carries its version as ``ETag``: send it back as ``If-Match`` to change it."""
    if as_of is not None:
        return history.as_of(session, roadmap_id, history.parse_as_of(as_of))
    return with_etag(response, roadmaps.get_roadmap(session, roadmap_id))


@router.patch("/api/roadmaps/{roadmap_id}", summary="Change a roadmap")
def update_roadmap(roadmap_id: PathId, body: RoadmapPatch, session: DbSession, response: Response, opened: IfMatch,
                   principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    """With ``If-Match``, refused (412, listing what changed since) unless the roadmap is still that version."""
    return with_etag(response, roadmaps.update_roadmap(session, roadmap_id, body, principal, opened))


@router.post("/api/roadmaps/{roadmap_id}/current-state", summary="Refresh the snapshot of the unit's indicators")
def refresh_current_state(roadmap_id: PathId, session: DbSession,
                          principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return roadmaps.refresh_current_state(session, roadmap_id, principal)


@router.delete("/api/roadmaps/{roadmap_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a roadmap (it stays in the history)")
def delete_roadmap(roadmap_id: PathId, session: DbSession, opened: IfMatch,
                   principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    roadmaps.delete_roadmap(session, roadmap_id, principal, opened)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/roadmaps/{roadmap_id}/history", summary="Every change, with author, time and diff")
def roadmap_history(
    roadmap_id: PathId,
    session: DbSession,
    entity: Literal["roadmap", "action", "measurement"] | None = None,
    _: Principal = Depends(require("read")),
) -> list[dict[str, Any]]:
    return history.events(session, roadmap_id, entity)


@router.get("/api/roadmaps/{roadmap_id}/map-data", summary="The roadmap, its unit and actions as GeoJSON")
def roadmap_map_data(roadmap_id: PathId, session: DbSession,
                     on: date | None = None, _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return roadmaps.roadmap_map_data(session, roadmap_id, on)


@router.get("/api/roadmaps/{roadmap_id}/export", summary="Export as JSON or as an Excel workbook",
            responses={200: {"content": {XLSX: {}}}})
def export_roadmap(
    roadmap_id: PathId, session: DbSession, format: Literal["json", "xlsx"] = "json",  # noqa: A002
    lang: Annotated[Literal["en", "fa"], Query(
        description="The workbook's language: English headers and words by default (dates ISO); "
                    "`fa` for Persian headers and words, Jalali dates and right-to-left sheets. "
                    "Stored codes never appear as such; the JSON document is not translated.")] = "en",
    _: Principal = Depends(require("read")),
) -> Any:
    """JSON: the portable document (codes, ISO dates) that ``POST /api/roadmaps/import`` reads.
    Excel: the same roadmap as sheets for people, in ``lang``."""
    if format == "xlsx":
        return Response(exchange.export_excel(session, roadmap_id, lang=lang), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="roadmap-{roadmap_id}.xlsx"'})
    return exchange.export_json(session, roadmap_id)


@router.get("/api/actions", summary="Actions, filtered, each with its progress")
def list_actions(
    session: DbSession,
    roadmap: QueryId = None,
    unit: UnitFilter = None,
    level: Level | None = None,
    status_: Annotated[ActionStatus | None, Query(alias="status")] = None,
    sector: QueryText = None,
    sponsor: QueryId = None,
    responsible: QueryId = None,
    _: Principal = Depends(require("read")),
) -> list[dict[str, Any]]:
    return roadmaps.list_actions(session, roadmap=roadmap, unit=unit, level=level, status=status_, sector=sector,
                                 sponsor=sponsor, responsible=responsible)


@router.post("/api/actions", status_code=status.HTTP_201_CREATED, summary="Add an action to a roadmap")
def create_action(body: ActionIn, session: DbSession,
                  principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return roadmaps.create_action(session, body, principal)


@router.get("/api/actions/{action_id}", summary="One action")
def get_action(action_id: PathId, session: DbSession, response: Response,
               _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return with_etag(response, roadmaps.get_action(session, action_id))


@router.patch("/api/actions/{action_id}", summary="Change an action")
def update_action(action_id: PathId, body: ActionPatch, session: DbSession, response: Response, opened: IfMatch,
                  principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return with_etag(response, roadmaps.update_action(session, action_id, body, principal, opened))


@router.delete("/api/actions/{action_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an action")
def delete_action(action_id: PathId, session: DbSession, opened: IfMatch,
                  principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    roadmaps.delete_action(session, action_id, principal, opened)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/measurements", summary="Measurements by key result, action or roadmap")
def list_measurements(session: DbSession, key_result: QueryId = None, action: QueryId = None, roadmap: QueryId = None,
                      _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return roadmaps.list_measurements(session, key_result=key_result, action=action, roadmap=roadmap)


@router.post("/api/measurements", status_code=status.HTTP_201_CREATED, summary="Record a measured value")
def create_measurement(body: MeasurementIn, session: DbSession,
                       principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return roadmaps.create_measurement(session, body, principal)


@router.patch("/api/measurements/{measurement_id}", summary="Correct a measurement")
def update_measurement(measurement_id: PathId, body: MeasurementPatch, session: DbSession, response: Response,
                       opened: IfMatch, principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return with_etag(response, roadmaps.update_measurement(session, measurement_id, body, principal, opened))


@router.delete("/api/measurements/{measurement_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a measurement")
def delete_measurement(measurement_id: PathId, session: DbSession, opened: IfMatch,
                       principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    roadmaps.delete_measurement(session, measurement_id, principal, opened)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/progress", summary="Status of every action under a unit")
def unit_progress(
    unit: Annotated[str, Query(max_length=200, pattern=NO_NUL,
                               description="Unit code; its roadmaps and those of the units below count")],
    session: DbSession,
    level: Annotated[Level | None, Query(description="Only roadmaps of units at this level")] = None,
    on: Annotated[date | None, Query(description="Day to judge on (default today)")] = None,
    format: Literal["json", "geojson"] = "json",  # noqa: A002
    _: Principal = Depends(require("read")),
) -> dict[str, Any]:
    if format == "geojson":
        return progress.progress_geojson(session, unit, level, on)
    return progress.progress_for_unit(session, unit, level, on)
