"""Interactive maps as HTML pages."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.deps import db_session
from maps.pages import overview_map

router = APIRouter(prefix="/maps", tags=["maps"])


@router.get("/overview", response_class=HTMLResponse, summary="National map of provinces")
def overview(
    indicator: str | None = None,
    lang: Literal["fa", "en"] = "fa",
    scheme: Literal["quantiles", "fisher_jenks", "equal_interval"] = "quantiles",
    session: Session = Depends(db_session),
    _: Principal = Depends(require("read")),
) -> HTMLResponse:
    return HTMLResponse(overview_map(session, indicator, lang, scheme).get_root().render())
