"""The vector-tile fast path: tiles answered on the event loop, without the framework.

A map sends dozens of tile requests per view, and a tile costs PostGIS a millisecond
at high zooms, so per-request framework work (dependency resolution, thread hand-offs,
a pooled connection's pre-ping, the catalogue read) would cost more than the tile
itself. This ASGI middleware answers ``GET /collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}``
itself when everything it needs is already in memory:

- the caller is admitted from memory (:func:`api.auth.remembered_reader`: anonymous
  reading, or a partner key looked up moments ago, within its rate and scope);
- the data generation was read within ``PISHRAFT_TILE_CACHE_CHECK_S`` (else it is
  re-read with one query on the async pool) and the collection is in the catalogue of
  that generation;
- the parameters are valid.

It then serves the cached tile, or renders it over the async pool
(:func:`spatial.tiles.render_vector_tile`) and caches it; a ``Server-Timing`` header
says which (``tile;desc=hit`` or ``tile;desc=render;dur=<ms>``). Everything else — errors of
any kind, bearer tokens and cookies, unknown keys, a catalogue not yet read, a
generation that moved while rendering, the database being down — falls through to the
route in :mod:`api.routers.tiles`, which gives the same answer the slow way (and the
error messages). So the route stays the one specification; this is only a shortcut,
and the tests run through it. (A partner request that is admitted here and then handed
over counts twice against its key's rate; that happens about once a second per worker.)
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from urllib.parse import parse_qsl

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import API_KEY_PARAM, COOKIE, remembered_reader
from api.ogc import MVT, conditional_status
from spatial import tiles
from spatial.errors import PishraftError
from spatial.generation import GENERATION_SQL, remember_generation, remembered_generation
from spatial.tile_cache import CachedTile, TileKey, tile_cache

_TILE_PATH = re.compile(
    rf"^/collections/([^/]{{1,100}})/tiles/{tiles.TILE_MATRIX_SET}/(\d{{1,2}})/(\d{{1,8}})/(\d{{1,8}})$"
)
#: Query parameters the fast path understands; any other sends the request to the route.
_KNOWN_PARAMS = frozenset({"properties", API_KEY_PARAM})
_COOKIE = COOKIE.encode()
#: How long a request waits here for a pooled connection before handing over to the route
#: (which has its own pool, and answers 503 at once when the database is down).
CONNECTION_WAIT_S = 2.0


class VectorTileFastPath:
    """Answer vector-tile requests from memory or the async pool; pass everything else on.

    ``pool`` is read from ``app.state.tile_pool`` (opened by the app's lifespan); without
    one, every request goes to the route.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._rendering: dict[TileKey, asyncio.Future[tuple[bytes, int]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _TILE_PATH.match(scope["path"])
            pool = getattr(scope["app"].state, "tile_pool", None) if match and "app" in scope else None
            if match and pool is not None:
                answered = await self._answer(scope, send, pool, match)
                if answered:
                    return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send, pool: AsyncConnectionPool, match: re.Match[str]) -> bool:
        # Read straight off the scope: a framework Request costs more than a cache hit.
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        if not _KNOWN_PARAMS.issuperset(query):
            return False
        key, if_none_match = query.get(API_KEY_PARAM), None
        for name, value in scope["headers"]:
            if name == b"authorization" or (name == b"cookie" and _COOKIE in value):
                return False  # signed-in users: the route resolves them
            if name == b"x-api-key":
                key = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        collection_id, z, y, x = match[1], int(match[2]), int(match[3]), int(match[4])
        principal = remembered_reader(key, collection_id)
        if principal is None:
            return False
        try:
            found = await self._tile(pool, collection_id, z, y, x, query.get("properties"))
        except (PishraftError, psycopg.Error, PoolTimeout):
            return False  # the route answers with the proper error (or the database's 503)
        if found is None:
            return False
        tile, timing = found
        status, headers = conditional_status(if_none_match, tile.body, principal, etag=tile.etag, empty_status=204)
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()] + [(b"server-timing", timing.encode())]
        if status == 200:
            raw += [(b"content-type", MVT.encode()), (b"content-length", str(len(tile.body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": tile.body if status == 200 else b""})
        return True

    async def _tile(self, pool: AsyncConnectionPool, collection_id: str, z: int, y: int, x: int,
                    properties: str | None) -> tuple[CachedTile, str] | None:
        """The tile from the cache or rendered, with its Server-Timing; ``None`` when the route must decide."""
        generation = remembered_generation()
        if generation is None:
            async with pool.connection(timeout=CONNECTION_WAIT_S) as connection:
                cursor = await connection.execute(GENERATION_SQL)
                row = await cursor.fetchone()
            generation = int(row[0]) if row and row[0] is not None else 0
            remember_generation(generation)
        request = tiles.remembered_tile_request(generation, collection_id, z, y, x, properties)
        if request is None:
            return None
        cache = tile_cache()
        cached = cache.get(request.key)
        if cached is not None:
            return cached, "tile;desc=hit"
        started = time.perf_counter()
        body, seen = await self._render_once(request.key, pool, request.collection, z, y, x, request.properties)
        remember_generation(seen)
        if seen != generation:
            return None  # the data changed under the remembered catalogue: let the route re-read it
        return cache.put(request.key, body), f"tile;desc=render;dur={(time.perf_counter() - started) * 1000:.1f}"

    async def _render_once(self, key: TileKey, pool: AsyncConnectionPool, *args: Any) -> tuple[bytes, int]:
        # Concurrent misses on one tile (a map opening) render it once.
        flight = self._rendering.get(key)
        if flight is not None:
            return await asyncio.shield(flight)
        flight = asyncio.get_running_loop().create_future()
        self._rendering[key] = flight
        try:
            async with pool.connection(timeout=CONNECTION_WAIT_S) as connection:
                result = await tiles.render_vector_tile(connection, *args)
            flight.set_result(result)
            return result
        except Exception as exc:
            flight.set_exception(exc)
            flight.exception()  # marked retrieved: waiters re-raise it, nobody else needs it
            raise
        except BaseException:
            flight.cancel()
            raise
        finally:
            del self._rendering[key]
