"""Administrative units: lists as GeoJSON, one unit with its children, lookup by point."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from api.auth import Principal, require
from api.deps import DbSession
from spatial.units import hierarchy as units

router = APIRouter(prefix="/api/units", tags=["units"])

Level = Literal["province", "county", "district", "rural_district", "neighbourhood", "village"]


@router.get("", summary="Units as a GeoJSON FeatureCollection")
def list_units(
    session: DbSession,
    level: Annotated[Level | None, Query(description="Only units at this level")] = None,
    parent: Annotated[str | None, Query(description="Only the children of this unit code")] = None,
    as_of: Annotated[date | None, Query(description="Boundary version valid on this ISO date")] = None,
    simplify: Annotated[float, Query(ge=0, le=0.1, description="Generalisation tolerance in degrees")] = 0.0,
    _: Principal = Depends(require("read")),
) -> dict[str, Any]:
    return units.units_geojson(session, level=level, parent_code=parent, as_of=as_of, simplify=simplify)


@router.get("/at", summary="Units containing a point, from the province down")
def units_at(
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    session: DbSession,
    level: Level | None = None,
    as_of: date | None = None,
    _: Principal = Depends(require("read")),
) -> list[dict[str, Any]]:
    return [u.properties() for u in units.units_at_point(session, lon, lat, level=level, as_of=as_of)]


@router.get("/{code}", summary="One unit with its ancestors and the codes of its children")
def get_unit(
    code: str,
    session: DbSession,
    as_of: date | None = None,
    _: Principal = Depends(require("read")),
) -> dict[str, Any]:
    unit = units.get_unit(session, code, as_of)
    return {
        **unit.properties(),
        "children": unit.children,
        "ancestors": [a.code for a in units.ancestors(session, code, as_of)],
    }
