"""Fair distribution over time of an indicator below a place (the monitoring centre's
fairness view, ``/monitor/{unit}/fairness``): ``GET /api/monitor/{unit}/fairness``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.auth import Principal, require
from api.deps import DbSession
from api.routers.units import Level
from spatial.planning.monitor import fairness_of

router = APIRouter(prefix="/api/monitor", tags=["monitor"])


@router.get("/{unit}/fairness", summary="Gini, Theil T (between/within groups), fifths' gap per period; Lorenz curve")
def fairness(unit: str, indicator: Annotated[str, Query(
                 max_length=64, description="An indicator code, or money_per_head: rials disbursed per head")],
             session: DbSession, level: Level | None = None, population_weighted: bool = True,
             _: Principal = Depends(require("read"))) -> dict[str, Any]:
    """Per period of ``indicator``: Gini and Theil T of its values over the units at ``level``
    below ``unit`` (``IR``: the whole country), Theil split between and within the units'
    parents, and the most and least deprived fifths; the Lorenz curve of the latest period.
    ``money_per_head``: the rials disbursed per head in each unit per Jalali year, the fifths
    ranked by the newest deprivation index."""
    return fairness_of(session, indicator, unit, level, population_weighted)
