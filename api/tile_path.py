"""The vector-tile path in front of the framework: tiles answered without routing or dependencies.

Partners' maps ask for tiles by the hundred; the framework's route matching, dependency
solving and parameter validation cost more than finding a tile in memory or rendering a
small one. :class:`VectorTilePath` sits inside the middleware (so CORS, security headers,
the concurrency limit and read routing apply as to every request) and answers a plain
``GET /collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}`` itself when memory settles
everything but the tile's bytes:

- the caller: anonymous, or a partner key looked up lately (:func:`api.auth.known_principal`);
- the collection and properties: the remembered generation's catalogue
  (:func:`spatial.serving.tiles.remembered_tile`);
- the tile: from the tile cache, or rendered on the event loop over a connection of
  :mod:`spatial.db.loop_reads`, holding a place under the concurrency limit while it renders.

Everything else — a CQL2 filter, a bearer token or session cookie, a key or catalogue not in
memory, a tile outside the matrix, unknown properties, read replicas, a database that does not
answer — goes on to the route in :mod:`api.routers.tiles`, which answers it fully (and documents
the path in the OpenAPI description). Both answer with the same bytes, ETag and headers; the
``Server-Timing`` header says ``tile;desc=hit`` or ``tile;desc=render;dur=<ms>`` on either.
"""

from __future__ import annotations

import re
import time
from functools import partial
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import known_principal
from api.errors import domain_error_response
from api.middleware import database_place
from api.ogc import MVT, conditional
from spatial.db import routing
from spatial.db.loop_reads import LoopConnections
from spatial.errors import Busy, PishraftError
from spatial.serving import tiles
from spatial.serving.tile_cache import tile_cache

TILE_PATH = re.compile(r"/collections/(?P<collection>[^/]{1,100})/tiles/(?P<tms>[^/]+)"
                       r"/(?P<z>\d{1,2})/(?P<y>\d{1,8})/(?P<x>\d{1,8})")
#: A filtered tile is cached under its filter, which the route parses.
FILTER_PARAMS = ("filter", "filter-lang", "filter-crs")


class VectorTilePath:
    """Answer plain vector-tile requests that memory settles; hand every other request to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = TILE_PATH.fullmatch(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        response = None if match is None else await self._answer(scope, match)
        if response is None:
            return await self.app(scope, receive, send)
        await response(scope, receive, send)

    async def _answer(self, scope: Scope, match: re.Match[str]) -> Response | None:
        """The answer, or ``None`` when the route must give it."""
        if match["tms"] != tiles.TILE_MATRIX_SET:
            return None
        request = Request(scope)
        query = request.query_params
        if any(name in query for name in FILTER_PARAMS):
            return None
        principal = known_principal(request, "read", match["collection"])
        if principal is None:
            return None
        try:
            asked = tiles.remembered_tile(match["collection"], int(match["z"]), int(match["y"]), int(match["x"]),
                                          query.get("properties"))
        except PishraftError:  # the route says what is wrong with the request
            return None
        if asked is None:
            return None
        started = time.perf_counter()
        tile, rendered = tile_cache().get(asked.key), False
        if tile is None:
            reads: LoopConnections | None = getattr(scope["app"].state, "loop_reads", None)
            if reads is None:
                return None
            try:
                tile, rendered = await tiles.cached_vector_tile_on_loop(asked, partial(_fetch_one, scope, reads))
            except Busy as busy:
                return domain_error_response(request, busy)
            except psycopg.Error:  # the route answers, 503 if the database is down
                return None
            state = routing.current()
            if state is not None:
                state.served_by = routing.PRIMARY
        response = conditional(request, tile.body, MVT, principal, etag=tile.etag, empty_status=204)
        response.headers["Server-Timing"] = (f"tile;desc=render;dur={(time.perf_counter() - started) * 1000:.1f}"
                                             if rendered else "tile;desc=hit")
        return response


async def _fetch_one(scope: Scope, reads: LoopConnections, statement: str,
                     params: dict[str, Any]) -> tuple[Any, ...] | None:
    async with database_place(scope), reads.connection() as connection:
        cursor = await connection.execute(statement, params, binary=tiles.BINARY_RESULTS)
        return await cursor.fetchone()
