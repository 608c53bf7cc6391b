"""Interactive maps as HTML pages: the national overview and drill-down by unit."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.deps import db_session
from maps.assets import page_html
from maps.pages import overview_map, unit_map

router = APIRouter(prefix="/maps", tags=["maps"])

Lang = Annotated[Literal["fa", "en"], Query(description="fa: Persian, right to left (default); en: English")]
Scheme = Annotated[Literal["quantiles", "fisher_jenks", "equal_interval"], Query(description="Class breaks")]
Basemap = Annotated[Literal["none", "osm"], Query(description="none: plain background; osm: OpenStreetMap tiles "
                                                              "(loaded from the internet)")]
Indicator = Annotated[str | None, Query(description="Indicator code (default: the first deprivation indicator)")]
Period = Annotated[str | None, Query(description="Period, e.g. 2024 (default: the latest)")]


@router.get("/overview", response_class=HTMLResponse, summary="National map (provinces, counties or neighbourhoods)")
def overview(
    indicator: Indicator = None,
    lang: Lang = "fa",
    scheme: Scheme = "quantiles",
    period: Period = None,
    basemap: Basemap = "none",
    level: Annotated[Literal["province", "county", "neighbourhood"], Query(description="Units to show")] = "province",
    session: Session = Depends(db_session),
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    fmap = overview_map(session, indicator, lang, scheme, period, basemap, level)
    return HTMLResponse(page_html(fmap))


@router.get("/units/{code}", response_class=HTMLResponse, summary="The children of a unit, classed by an indicator")
def unit(
    code: str,
    indicator: Indicator = None,
    lang: Lang = "fa",
    scheme: Scheme = "quantiles",
    period: Period = None,
    basemap: Basemap = "none",
    session: Session = Depends(db_session),
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    fmap = unit_map(session, code, indicator, lang, scheme, period, basemap)
    return HTMLResponse(page_html(fmap))
