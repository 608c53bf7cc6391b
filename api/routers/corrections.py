"""Corrections over HTTP: archive and restore roadmaps, actions, financing lines and key
results; withdraw, restore and correct measurements (:mod:`spatial.planning.corrections`).

Archiving and withdrawing need ``roadmaps:write`` inside the caller's area, as editing
does; restoring is for administrators. Every call records who and why in the history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, Depends

from api.auth import Principal, require
from api.deps import DbSession
from api.routers.roadmaps import PathId
from spatial.planning import corrections
from spatial.planning.roadmap_inputs import MeasurementCorrection, MeasurementPatch, ReasonIn

router = APIRouter(tags=["corrections"])

NO_REASON = ReasonIn()

#: path prefix -> (what it is, archive, restore); each archive/restore pair gets two routes.
_ARCHIVABLE: dict[str, tuple[str, Callable[..., dict[str, Any]], Callable[..., dict[str, Any]]]] = {
    "/api/roadmaps/{object_id}": ("roadmap", corrections.archive_roadmap, corrections.restore_roadmap),
    "/api/actions/{object_id}": ("action", corrections.archive_action, corrections.restore_action),
    "/api/financing/{object_id}": ("financing line", corrections.archive_financing, corrections.restore_financing),
    "/api/key-results/{object_id}": ("key result", corrections.archive_key_result, corrections.restore_key_result),
}


def _routes(prefix: str, what: str, archive: Callable[..., dict[str, Any]],
            restore: Callable[..., dict[str, Any]]) -> None:
    @router.post(f"{prefix}/archive", summary=f"Archive a {what}, saying why (it leaves lists and progress)")
    def archive_route(object_id: PathId, session: DbSession, body: ReasonIn = Body(),
                      principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
        return archive(session, object_id, body.reason, principal)

    @router.post(f"{prefix}/restore", summary=f"Restore an archived {what} (administrators)")
    def restore_route(object_id: PathId, session: DbSession, body: ReasonIn = Body(NO_REASON),
                      principal: Principal = Depends(require("admin"))) -> dict[str, Any]:
        return restore(session, object_id, principal, body.reason)

    archive_route.__name__ = f"archive_{what.replace(' ', '_')}"
    restore_route.__name__ = f"restore_{what.replace(' ', '_')}"


for _prefix, (_what, _archive, _restore) in _ARCHIVABLE.items():
    _routes(_prefix, _what, _archive, _restore)


@router.post("/api/measurements/{measurement_id}/withdraw",
             summary="Withdraw a measurement, saying why (it no longer counts in progress)")
def withdraw_measurement(measurement_id: PathId, session: DbSession, body: ReasonIn = Body(),
                         principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return corrections.withdraw_measurement(session, measurement_id, body.reason, principal)


@router.post("/api/measurements/{measurement_id}/restore", summary="Count a withdrawn measurement again "
             "(administrators)")
def restore_measurement(measurement_id: PathId, session: DbSession, body: ReasonIn = Body(NO_REASON),
                        principal: Principal = Depends(require("admin"))) -> dict[str, Any]:
    return corrections.restore_measurement(session, measurement_id, principal, body.reason)


@router.post("/api/measurements/{measurement_id}/correct", summary="Correct a measurement, saying why")
def correct_measurement(measurement_id: PathId, body: MeasurementCorrection, session: DbSession,
                        principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    patch = MeasurementPatch(**body.model_dump(exclude_unset=True, exclude={"reason"}))
    return corrections.correct_measurement(session, measurement_id, patch, body.reason, principal)
