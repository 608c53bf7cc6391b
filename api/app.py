"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors, middleware
from api.routers import accounts, analytics, audit, cores, health, layers, maps, people, roadmaps, units

ROUTERS = (
    health.router, units.router, layers.router, maps.router, analytics.router, roadmaps.router, people.router,
    cores.router, accounts.router, audit.router,
)


def create_app() -> FastAPI:
    """Build the Pishraft API: routers, error handlers, middleware."""
    app = FastAPI(
        title="Pishraft",
        version="0.1.0",
        description="Spatial planning service for regional development offices.",
    )
    errors.install(app)
    middleware.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
