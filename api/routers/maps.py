"""Interactive maps as HTML pages: the national overview and drill-down by unit.

Maps of published data are kept per data generation and drawn few at a time (:mod:`maps.served`);
roadmap and progress maps, which follow plans, are drawn on every request."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from api.auth import Principal, require
from api.deps import DbSession, OptionalPeriodKey
from maps.assets import page_html
from maps.pages import bivariate_page, cluster_page, index_page, overview_map, progress_page, roadmap_page, unit_map
from maps.served import served_page

router = APIRouter(prefix="/maps", tags=["maps"])

Lang = Annotated[Literal["fa", "en"], Query(description="fa: Persian, right to left (default); en: English")]
Scheme = Annotated[Literal["quantiles", "fisher_jenks", "equal_interval"], Query(description="Class breaks")]
Basemap = Annotated[Literal["none", "osm"], Query(description="none: plain background; osm: OpenStreetMap tiles "
                                                              "(loaded from the internet)")]
Indicator = Annotated[str | None, Query(description="Indicator code (default: the first deprivation indicator)")]
Period = Annotated[OptionalPeriodKey, Query(description="Period, a Jalali or Gregorian year, e.g. 1403 or 2024 "
                                                            "(the same period; default: the latest)")]


@router.get("/overview", response_class=HTMLResponse, summary="National map (provinces, counties or neighbourhoods)")
def overview(
    session: DbSession,
    indicator: Indicator = None,
    lang: Lang = "fa",
    scheme: Scheme = "quantiles",
    period: Period = None,
    basemap: Basemap = "none",
    level: Annotated[Literal["province", "county", "neighbourhood"], Query(description="Units to show")] = "province",
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    return HTMLResponse(served_page(session, ("overview", indicator, lang, scheme, period, basemap, level),
                                    lambda: overview_map(session, indicator, lang, scheme, period, basemap, level)))


@router.get("/units/{code}", response_class=HTMLResponse, summary="The children of a unit, classed by an indicator")
def unit(
    code: str,
    session: DbSession,
    indicator: Indicator = None,
    lang: Lang = "fa",
    scheme: Scheme = "quantiles",
    period: Period = None,
    basemap: Basemap = "none",
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    return HTMLResponse(served_page(session, ("unit", code, indicator, lang, scheme, period, basemap),
                                    lambda: unit_map(session, code, indicator, lang, scheme, period, basemap)))


Level = Annotated[Literal["province", "county", "neighbourhood"], Query(description="Units to class")]
Parent = Annotated[str | None, Query(description="Only units below this unit code (default: the whole country)")]


@router.get("/bivariate", response_class=HTMLResponse, summary="Capacity × deprivation (3×3 classes)")
def bivariate(
    session: DbSession,
    level: Level = "county",
    parent: Parent = None,
    capacity: Annotated[str | None, Query(description="Indicator code or index:<code> (default: newest "
                                                      "capacity index)")] = None,
    deprivation: Annotated[str | None, Query(description="Indicator code or index:<code> (default: newest "
                                                         "deprivation index)")] = None,
    period: Period = None,
    lang: Lang = "fa",
    basemap: Basemap = "none",
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    return HTMLResponse(served_page(
        session, ("bivariate", level, parent, capacity, deprivation, period, lang, basemap),
        lambda: bivariate_page(session, level, parent, capacity, deprivation, period, lang, basemap)))


@router.get("/clusters", response_class=HTMLResponse, summary="LISA spatial clusters of an indicator or index")
def clusters(
    session: DbSession,
    level: Level = "county",
    parent: Parent = None,
    source: Annotated[str | None, Query(description="Indicator code or index:<code> (default: newest "
                                                    "deprivation index)")] = None,
    period: Period = None,
    lang: Lang = "fa",
    basemap: Basemap = "none",
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    return HTMLResponse(served_page(session, ("clusters", level, parent, source, period, lang, basemap),
                                    lambda: cluster_page(session, level, parent, source, period, lang, basemap)))


@router.get("/indices/{ref}", response_class=HTMLResponse,
            summary="A composite index's scores; with weights, what-if scores computed now and not stored")
def index(
    ref: str,
    session: DbSession,
    level: Level = "county",
    parent: Parent = None,
    weights: Annotated[str | None, Query(description="What-if weights code:weight,… for every indicator, "
                                                     "e.g. a:0.5,b:0.3,c:0.2")] = None,
    period: Period = None,
    lang: Lang = "fa",
    scheme: Scheme = "quantiles",
    basemap: Basemap = "none",
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    return HTMLResponse(served_page(
        session, ("index", ref, level, parent, weights, period, lang, scheme, basemap),
        lambda: index_page(session, ref, level, parent, weights, period, lang, scheme, basemap)))


@router.get("/roadmaps/{roadmap_id}", response_class=HTMLResponse, summary="A roadmap's actions on its unit")
def roadmap(
    roadmap_id: int,
    session: DbSession,
    lang: Lang = "fa",
    basemap: Basemap = "none",
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    return HTMLResponse(page_html(roadmap_page(session, roadmap_id, lang, basemap)))


@router.get("/progress/{code}", response_class=HTMLResponse, summary="Progress watch of the actions under a unit")
def progress(
    code: str,
    session: DbSession,
    level: Annotated[str | None, Query(description="Only actions of roadmaps at this level")] = None,
    lang: Lang = "fa",
    basemap: Basemap = "none",
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    return HTMLResponse(page_html(progress_page(session, code, level, lang, basemap)))
