"""Liveness, database and schema health."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from spatial.db import migrate
from spatial.db.engine import get_engine

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service, database and schema health")
def health() -> JSONResponse:
    """``status`` is ``ok`` (HTTP 200) when PostGIS answers and its schema is this version's;
    ``degraded`` (HTTP 503) when the database cannot be reached or its schema is missing,
    behind or ahead, with ``schema.message`` naming the command that puts it right."""
    try:
        with get_engine().connect() as conn:
            version = conn.execute(text("SELECT postgis_lib_version()")).scalar()
            schema = migrate.schema_state(conn)
    except Exception:  # any failure to reach the database is "down", whatever the driver says
        return JSONResponse(
            {"status": "degraded", "database": "down", "postgis_version": None, "schema": None}, status_code=503
        )
    return JSONResponse({"status": "ok" if schema.current else "degraded", "database": "up",
                         "postgis_version": version, "schema": schema.as_dict()},
                        status_code=200 if schema.current else 503)
