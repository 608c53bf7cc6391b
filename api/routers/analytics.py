"""Indicators, composite indices, spatial statistics, unit profiles and budget allocations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, File, Query, UploadFile
from pydantic import BaseModel, Field

from api.auth import Principal, require
from api.deps import DbSession, OptionalPeriodKey, PeriodKey
from api.routers.units import Level
from spatial.analytics import access
from spatial.analytics import advantage
from spatial.analytics import allocation
from spatial.analytics import bivariate
from spatial.analytics import indicators
from spatial.analytics import indices
from spatial.analytics import multidimensional
from spatial.analytics import overlay
from spatial.analytics import profile
from spatial.analytics import shift_share as shift_share_analysis
from spatial.analytics import spatial_stats
from spatial.analytics import what_if
from spatial.errors import TooLarge
from spatial.settings import get_settings
from spatial.analytics.target_community import target_community

router = APIRouter(tags=["analytics"])

Domain = Literal["capacity", "deprivation", "target_community", "context"]
Direction = Literal["higher_is_better", "higher_is_worse"]
Source = Annotated[str, Query(description="An indicator code, or 'index:<id or code>'")]


class IndicatorSpec(BaseModel):
    """An indicator definition."""

    code: str
    name_fa: str
    name_en: str
    domain: Domain
    direction: Direction
    unit_of_measure: str = ""
    source: str = ""
    rollup: Literal["sum", "weighted_mean"] = "weighted_mean"
    meta: dict[str, Any] = Field(default_factory=dict)


class DeriveRequest(BaseModel):
    """Derive an indicator by overlaying a layer on a level of units."""

    layer: str
    level: Level
    method: Literal["count", "per_1000", "sum", "mean", "length_km", "area_share", "distance_km", "zonal"]
    code: str
    period: PeriodKey
    attribute: str | None = None
    stat: Literal["mean", "sum", "min", "max", "count", "majority"] | None = None
    origin: Literal["centroid", "population_weighted"] = "centroid"
    name_fa: str | None = None
    name_en: str | None = None
    domain: Domain = "capacity"
    direction: Direction = "higher_is_better"


class AccessRequest(BaseModel):
    """Derive access to services (2SFCA / E2SFCA) from a point layer for the units of a level."""

    layer: str = Field(description="Point layer of the supply (e.g. health centres)")
    level: Level
    code: str
    period: PeriodKey
    catchment_m: float = Field(gt=0, description="Catchment radius, metres")
    capacity: str | None = Field(default=None, description="Numeric column of supply (e.g. beds); 1 per point if none")
    decay: Literal["none", "stepwise", "gaussian"] = "none"
    per: float = Field(default=1000.0, gt=0, description="Supply per this many people")
    name_fa: str | None = None
    name_en: str | None = None


class AllocationRequest(BaseModel):
    """Split a budget (whole rials) over the units of a level by need."""

    need_source: str = Field(description="Indicator code or 'index:<id or code>'; higher means more need")
    level: Level
    budget: int = Field(ge=0, description="Rials")
    name: str = "allocation"
    period: OptionalPeriodKey = None
    parent_code: str | None = None
    by_population: bool = False
    floor: int | None = Field(default=None, ge=0, description="Minimum per unit, rials")
    cap: int | None = Field(default=None, ge=0, description="Maximum per unit, rials")


# ------------------------------------------------------------------ indicators

@router.get("/api/indicators", summary="Indicator definitions with their periods")
def list_indicators(session: DbSession,
                    domain: Domain | None = None, _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return indicators.list_indicators(session, domain)


@router.post("/api/indicators", status_code=201, summary="Define (or redefine) an indicator")
def define_indicator(spec: IndicatorSpec, session: DbSession,
                     _: Principal = Depends(require("indicators:write"))) -> dict[str, Any]:
    indicators.define_indicator(session, spec.model_dump())
    return indicators.indicator_info(session, spec.code)


@router.post("/api/indicators/import", summary="Import values from a CSV: unit_code,period,<indicator>…")
async def import_indicators(file: Annotated[UploadFile, File(description="CSV, UTF-8")],
                            session: DbSession,
                            _: Principal = Depends(require("indicators:write"))) -> dict[str, Any]:
    limit = get_settings().max_upload_mb * 1024 * 1024
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{file.filename} is larger than {get_settings().max_upload_mb} MB.", field="file")
    return indicators.import_csv(session, data, file.filename or "upload.csv")


@router.post("/api/indicators/derive", summary="Derive an indicator from a layer by overlay")
def derive_indicator(request: DeriveRequest, session: DbSession,
                     _: Principal = Depends(require("indicators:write"))) -> dict[str, Any]:
    fields = request.model_dump()
    return overlay.derive_indicator(session, fields.pop("layer"), fields.pop("level"), fields.pop("method"), **fields)


@router.post("/api/indicators/access", summary="Derive access to services by 2SFCA / E2SFCA")
def derive_access(request: AccessRequest, session: DbSession,
                  _: Principal = Depends(require("indicators:write"))) -> dict[str, Any]:
    fields = request.model_dump()
    return access.derive_access(session, fields.pop("layer"), fields.pop("level"), **fields)


@router.get("/api/indicators/{code}", summary="One indicator's definition")
def get_indicator(code: str, session: DbSession,
                  _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return indicators.indicator_info(session, code)


@router.get("/api/indicators/{code}/values", summary="Values of an indicator by unit code")
def indicator_values(code: str, session: DbSession,
                     level: Level | None = None, period: OptionalPeriodKey = None, parent: str | None = None,
                     _: Principal = Depends(require("read"))) -> dict[str, Any]:
    found, values = indicators.values_by_unit(session, code, level, period, parent)
    return {"indicator": code, "level": level, "period": found, "values": values}


# ------------------------------------------------------------------ indices

@router.get("/api/indices", summary="Composite index versions")
def list_indices(session: DbSession,
                 _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return indices.list_indices(session)


@router.post("/api/indices", status_code=201, summary="Compute and store a composite index from its definition")
def compute_index(definition: Annotated[dict[str, Any], Body(description="Index definition (see spatial.analytics.indices)")],
                  session: DbSession,
                  principal: Principal = Depends(require("indicators:write"))) -> dict[str, Any]:
    return indices.compute_index(session, definition, created_by=principal.username)


@router.get("/api/indices/{ref}", summary="One index version with its definition")
def get_index(ref: str, session: DbSession,
              _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return indices.resolve_index(session, ref)


@router.get("/api/indices/{ref}/scores", summary="Scores, ranks and clusters of an index at a level; with "
            "weights, what-if scores, ranks and classes computed now and not stored")
def index_scores(ref: str, level: Level, session: DbSession, period: OptionalPeriodKey = None, parent: str | None = None,
                 weights: Annotated[str | None, Query(description="What-if weights code:weight,… for every "
                                                      "indicator, e.g. a:0.5,b:0.3,c:0.2 (rescaled to sum "
                                                      "to 1)")] = None,
                 _: Principal = Depends(require("read"))) -> dict[str, Any]:
    if weights is not None:
        return what_if.what_if_scores(session, ref, level, what_if.parse_weights(weights), period, parent)
    return indices.index_scores(session, ref, level, period, parent)


# ------------------------------------------------------------------ statistics

@router.get("/api/stats/moran", summary="Global Moran's I with LISA cluster counts")
def moran(source: Source, level: Level, session: DbSession, period: OptionalPeriodKey = None, parent: str | None = None,
          _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return spatial_stats.moran(session, source, level, period, parent)


@router.get("/api/stats/lisa", summary="LISA cluster label per unit (HH, LL, HL, LH, ns)")
def lisa(source: Source, level: Level, session: DbSession, period: OptionalPeriodKey = None, parent: str | None = None,
         _: Principal = Depends(require("read"))) -> dict[str, str]:
    return spatial_stats.lisa_clusters(session, source, level, period, parent)


@router.get("/api/stats/inequality", summary="Gini and Theil T (between/within parents)")
def inequality(source: Source, level: Level, session: DbSession, period: OptionalPeriodKey = None, parent: str | None = None,
               population_weighted: bool = True, _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return spatial_stats.inequality(session, source, level, period, parent, population_weighted)


@router.get("/api/stats/bivariate", summary="Capacity × deprivation tercile class per unit")
def bivariate_classes(capacity: Source, deprivation: Source, level: Level, session: DbSession,
                      period: OptionalPeriodKey = None,
                      parent: str | None = None,
                      _: Principal = Depends(require("read"))) -> dict[str, dict[str, object]]:
    return bivariate.bivariate_classes(session, capacity, deprivation, level, period, parent)


@router.get("/api/stats/advantages", summary="Location quotients per unit and sector")
def advantages(level: Level, session: DbSession, period: OptionalPeriodKey = None, parent: str | None = None,
               _: Principal = Depends(require("read"))) -> dict[str, Any]:
    found, frame = advantage.advantages(session, level, period, parent)
    return {"level": level, "period": found,
            "rows": frame.astype(object).where(frame.notna(), None).to_dict(orient="records")}


@router.post("/api/deprivation", status_code=201,
             summary="Compute and store an Alkire-Foster multidimensional deprivation measure from its definition")
def compute_deprivation(definition: Annotated[dict[str, Any], Body(description="Definition (see "
                                                                   "spatial.analytics.multidimensional)")],
                        session: DbSession,
                        principal: Principal = Depends(require("indicators:write"))) -> dict[str, Any]:
    return multidimensional.compute_af(session, definition, created_by=principal.username)


@router.get("/api/deprivation/{code}", summary="H, A, M0, censored headcounts and contributions per unit")
def deprivation(code: str, level: Level, session: DbSession, parent: str | None = None,
                _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return multidimensional.af_results(session, code, level, parent)


@router.get("/api/stats/shift-share", summary="Shift-share per unit and sector between two periods")
def shift_share(level: Level, base: Annotated[PeriodKey, Query(description="Base period, e.g. 2023")],
                final: Annotated[PeriodKey, Query(description="Final period, e.g. 2024")], session: DbSession,
                parent: str | None = None, _: Principal = Depends(require("read"))) -> dict[str, Any]:
    frame = shift_share_analysis.unit_shift_share(session, level, base, final, parent)
    return {"level": level, "base": base, "final": final,
            "rows": frame.astype(object).where(frame.notna(), None).to_dict(orient="records")}


# ------------------------------------------------------------------ units

@router.get("/api/units/{code}/profile", summary="Indicators, index ranks, advantages, cluster and class of a unit")
def unit_profile(code: str, session: DbSession,
                 _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return profile.unit_profile(session, code)


@router.get("/api/units/{code}/target-community", summary="Unemployed and vulnerable groups by class")
def unit_target_community(code: str, session: DbSession,
                          period: OptionalPeriodKey = None, _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return target_community(session, code, period)


# ------------------------------------------------------------------ allocations

@router.post("/api/allocations", status_code=201, summary="Split a budget over units by need, within floors/caps")
def create_allocation(request: AllocationRequest, session: DbSession,
                      principal: Principal = Depends(require("indicators:write"))) -> dict[str, Any]:
    fields = request.model_dump()
    return allocation.allocate(session, fields.pop("need_source"), fields.pop("level"), fields.pop("budget"),
                               created_by=principal.username, **fields)


@router.get("/api/allocations/{allocation_id}", summary="A stored allocation with its shares")
def get_allocation(allocation_id: int, session: DbSession,
                   _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return allocation.stored_allocation(session, allocation_id)
