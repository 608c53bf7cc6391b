"""Liveness and database health."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from spatial.db.engine import get_engine

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database health")
def health() -> JSONResponse:
    """``status`` is ``ok`` when PostGIS answers, ``degraded`` (HTTP 503) when it does not."""
    try:
        with get_engine().connect() as conn:
            version = conn.execute(text("SELECT postgis_lib_version()")).scalar()
        return JSONResponse({"status": "ok", "database": "up", "postgis_version": version})
    except Exception:  # any failure to reach the database is "down", whatever the driver says
        return JSONResponse(
            {"status": "degraded", "database": "down", "postgis_version": None}, status_code=503
        )
