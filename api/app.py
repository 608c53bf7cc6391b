"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import errors, middleware, pages, recovery
from api.tile_path import VectorTilePath
from api.routers import (
    accounts, analytics, audit, contests, cores, corrections, fairness, health, layers, maps, monitor, ogc_features, people,
    roadmaps, tiles, units,
)
from api.pages.render import STATIC_DIR as PAGES_STATIC_DIR
from api.pages.render import STATIC_URL as PAGES_STATIC_URL
from api.pages.units import warm_unit_pages
from maps.assets import STATIC_DIR
from spatial.db import migrate
from spatial.db.loop_reads import loop_connections
from spatial.errors import DatabaseUnavailable, SchemaNotCurrent
from spatial.planning.draft import warm_roadmap_inputs
from spatial.serving.freshness import refresh_stale
from spatial.serving.warming import Warmer, in_turn
from spatial.settings import get_settings

log = logging.getLogger("pishraft.api")

#: In the order a request's path is matched against them: the vector tiles and OGC features first,
#: since a request is tried against every route of each router before it until one matches (the
#: busiest paths would otherwise pay for scanning a hundred others).
ROUTERS = (
    tiles.router, ogc_features.router, health.router, units.router, layers.router, maps.router, analytics.router,
    roadmaps.router, people.router, cores.router, contests.router, corrections.router, accounts.router, audit.router,
    monitor.router, fairness.router,
)


def check_schema_at_start() -> None:
    """Stop the server from starting on a schema that is not this version's (however it is
    started: ``pishraft serve`` checks first, with a cleaner message). A database that cannot
    be reached does not stop it: requests get 503 meanwhile and ``/health`` reports the schema."""
    try:
        migrate.require_current_schema()
    except DatabaseUnavailable:
        log.warning("the database is not reachable at start; its schema is checked by /health")
    except SchemaNotCurrent as exc:
        log.error("not starting: %s", exc.message)
        raise


def clear_leftovers_at_start() -> None:
    """Remove what work interrupted by a crash left behind (temporary and orphan layer files,
    work folders and derivation jobs of dead processes), and say so in the log."""
    try:
        removed = recovery.clear_interrupted_work()
    except DatabaseUnavailable:
        return
    if removed:
        log.warning("%s", recovery.said(removed))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Check the schema and clear leftovers of interrupted work before serving; while serving,
    compute what unit pages, drafts and suggestions read of a whole level after each data change
    (:class:`Warmer`), and rebuild the tiles and map coverage that change made stale (:func:`refresh_stale`).
    The vector-tile path's connections (:class:`api.tile_path.VectorTilePath`) live as long as the server."""
    await anyio.to_thread.run_sync(check_schema_at_start)
    await anyio.to_thread.run_sync(clear_leftovers_at_start)
    settings = get_settings()
    app.state.loop_reads = loop_connections(keep=settings.pool_size)
    every_s = settings.warm_check_s
    warmer = Warmer(in_turn(warm_unit_pages, warm_roadmap_inputs), every_s) if every_s > 0 else None
    app.state.warmer = warmer  # what it last warmed, for benchmarks
    if warmer is not None:
        warmer.start()
    refresher = Warmer(refresh_stale, every_s) if every_s > 0 else None
    if refresher is not None:
        refresher.start()
    # What is loaded by now (the geo stack's modules, the app, its routes) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks all of it again
    # (250-450 ms every few seconds under load, with every request of the moment waiting; 10-50
    # ms after). Once per process: a process that starts the app again (tests) keeps the first.
    if not gc.get_freeze_count():
        gc.freeze()
    try:
        yield
    finally:
        if app.state.loop_reads is not None:
            await app.state.loop_reads.close()
        if warmer is not None:
            await anyio.to_thread.run_sync(warmer.stop)
        if refresher is not None:
            await anyio.to_thread.run_sync(refresher.stop)


def create_app() -> FastAPI:
    """Build the Pishraft API and workspace: routers, pages, error handlers, middleware."""
    app = FastAPI(
        title="Pishraft",
        version="0.1.0",
        description="Spatial planning service for regional development offices.",
        lifespan=lifespan,
        # Pishraft exports no OpenTelemetry; left on, FastAPI asks the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    errors.install(app)
    middleware.install(app, reads_in_front=VectorTilePath)
    for router in (*ROUTERS, *pages.ROUTERS):
        app.include_router(router)
    # The workspace pages' CSS and JavaScript (mounted before /static, which would shadow it).
    app.mount(PAGES_STATIC_URL, StaticFiles(directory=PAGES_STATIC_DIR), name="pages_static")
    # Leaflet, fonts and Pishraft's map scripts: maps never load them from the internet.
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
