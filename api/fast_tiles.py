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
(:func:`spatial.serving.tiles.render_vector_tile`) and caches it; a ``Server-Timing`` header
says which (``tile;desc=hit`` or ``tile;desc=render;dur=<ms>``). Everything else — errors of
any kind, bearer tokens and cookies, unknown keys, a catalogue not yet read, a
generation that moved while rendering, the database being down — falls through to the
route in :mod:`api.routers.tiles`, which gives the same answer the slow way (and the
error messages). So the route stays the one specification; this is only a shortcut,
and the tests run through it. The caller is admitted only once the request is known to
be servable here, so a hand-over rarely counts twice against a partner key's rate (only
when the data moves while a tile renders).

:func:`read_tile_ask`, :func:`resolve_in_memory` and :func:`answer_from_cache` are the
synchronous half, and :meth:`VectorTileFastPath.respond` the asynchronous one, shared with
:mod:`api.tile_protocol`, which answers tiles before the ASGI machinery starts.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import API_KEY_PARAM, COOKIE, Principal, remembered_reader
from api.headers import PUBLIC_CORS_HEADERS, SECURITY_HEADERS, public_cors
from api.ogc import MVT, conditional_status
from spatial.serving import tiles
from spatial.errors import PishraftError
from spatial.serving.generation import GENERATION_SQL, remember_generation, remembered_generation
from spatial.serving.tile_cache import CachedTile, TileKey, tile_cache

_TILE_PATH = re.compile(
    rf"^/collections/([^/]{{1,100}})/tiles/{tiles.TILE_MATRIX_SET}/(\d{{1,2}})/(\d{{1,8}})/(\d{{1,8}})$"
)
#: Query parameters the fast path understands; any other sends the request to the route.
_KNOWN_PARAMS = frozenset({"properties", API_KEY_PARAM})
_COOKIE = COOKIE.encode()
#: How long a request waits here for a pooled connection before handing over to the route
#: (which has its own pool, and answers 503 at once when the database is down).
CONNECTION_WAIT_S = 2.0


#: Scope key under which :mod:`api.tile_protocol` hands over the request it read.
TILE_ASK = "pishraft.tile_ask"
#: Scope key under which it hands over the request resolved from memory, when it was.
TILE_REQUEST = "pishraft.tile_request"
#: Scope key set when a fast path has declined the request: the one in front of the
#: framework (:func:`api.tile_protocol.tile_app`) and the one inside it would otherwise
#: both try, and both wait for a pooled connection while the database is down.
DECLINED = "pishraft.tile_declined"


#: Status, raw headers and body of an answer.
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


@dataclass(frozen=True, slots=True)
class TileAsk:
    """A vector-tile request read off the raw HTTP request: what it asks and who asks."""

    collection_id: str
    z: int
    y: int
    x: int
    properties: str | None
    api_key: str | None
    if_none_match: str | None


def read_tile_ask(path: str, query_string: bytes, headers: Iterable[tuple[bytes, bytes]]) -> TileAsk | None:
    """The tile request at ``path`` if the fast path may answer it, else ``None``.

    ``None`` for other paths, unknown query parameters, and signed-in users (bearer
    tokens and session cookies are for the route).
    """
    match = _TILE_PATH.match(path)
    if match is None:
        return None
    query = _query(query_string)
    if query is None:
        return None
    key, if_none_match = query.get(API_KEY_PARAM), None
    for name, value in headers:
        if name == b"authorization" or (name == b"cookie" and _COOKIE in value):
            return None
        if name == b"x-api-key":
            key = value.decode("latin-1")
        elif name == b"if-none-match":
            if_none_match = value.decode("latin-1")
    return TileAsk(match[1], int(match[2]), int(match[3]), int(match[4]), query.get("properties"), key,
                   if_none_match)


@lru_cache(maxsize=256)
def _query(query_string: bytes) -> Mapping[str, str] | None:
    # A map asks for all its tiles with the same query string.
    query = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    return MappingProxyType(query) if _KNOWN_PARAMS.issuperset(query) else None


def resolve_in_memory(ask: TileAsk) -> tiles.TileRequest | None:
    """``ask`` resolved against the catalogue in memory, without the database: ``None``
    when the generation is due for a re-read, the catalogue is not held, or ``ask`` is not
    a servable vector tile (the route gives those their error messages)."""
    try:
        return tiles.current_tile_request(ask.collection_id, ask.z, ask.y, ask.x, ask.properties)
    except PishraftError:
        return None


def tile_response(ask: TileAsk, principal: Principal, tile: CachedTile,
                  timing: str, *, outside_cors: bool = True) -> Answer:
    """Status, headers and body of the answer to ``ask``: the route's (:func:`api.ogc.conditional`)
    with the security headers, which the middleware would add, and (``outside_cors``: when
    answered in front of the CORS middleware) the public CORS headers it would add."""
    cors = outside_cors and public_cors()
    # The CORS middleware adds Origin to Vary; a partner's map on its own site reads tiles answered here too.
    status, headers = conditional_status(ask.if_none_match, tile.body, principal, etag=tile.etag, empty_status=204,
                                         vary="X-API-Key, Origin" if cors else "X-API-Key")
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw += [*SECURITY_HEADERS, (b"server-timing", timing.encode())]
    if cors:
        raw += PUBLIC_CORS_HEADERS
    if status != 200:
        return status, raw, b""
    return status, raw + [(b"content-type", MVT.encode()), (b"content-length", str(len(tile.body)).encode())], tile.body


def answer_from_cache(ask: TileAsk, request: tiles.TileRequest) -> Answer | None:
    """The answer to ``ask`` (resolved as ``request``) when the tile is cached and memory
    admits the caller, else ``None``.

    Touches neither the database nor the event loop: for :mod:`api.tile_protocol`, which
    answers before the ASGI machinery starts. The cache is looked up before the caller is
    admitted, so that a miss handed on to the ASGI app does not count against a key's rate.
    """
    tile = tile_cache().get(request.key)
    if tile is None:
        return None
    principal = remembered_reader(ask.api_key, ask.collection_id)
    return None if principal is None else tile_response(ask, principal, tile, "tile;desc=hit")


class VectorTileFastPath:
    """Answer vector-tile requests from memory or the async pool; pass everything else on.

    ``pool`` is read from ``app.state.tile_pool`` (opened by the app's lifespan); without
    one, every request goes to the route.
    """

    def __init__(self, app: ASGIApp, *, outside_cors: bool = False) -> None:
        self.app = app
        #: In front of the CORS middleware (see :func:`api.tile_protocol.tile_app`): add its headers.
        self.outside_cors = outside_cors
        self._rendering: dict[TileKey, asyncio.Future[tuple[bytes, int]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and DECLINED not in scope:
            pool = getattr(scope["app"].state, "tile_pool", None) if "app" in scope else None
            # Read straight off the scope (or as the HTTP protocol read it already): a
            # framework Request costs more than a cache hit.
            ask = (scope.get(TILE_ASK) or read_tile_ask(scope["path"], scope["query_string"], scope["headers"])
                   if pool else None)
            if ask is not None and pool is not None:
                if await self._answer(ask, send, pool, scope.get(TILE_REQUEST)):
                    return
                scope[DECLINED] = True
        await self.app(scope, receive, send)

    async def _answer(self, ask: TileAsk, send: Send, pool: AsyncConnectionPool,
                      request: tiles.TileRequest | None) -> bool:
        answer = await self.respond(ask, pool, request)
        if answer is None:
            return False
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True

    async def respond(self, ask: TileAsk, pool: AsyncConnectionPool,
                      request: tiles.TileRequest | None) -> Answer | None:
        """Status, headers and body of the answer to ``ask`` (``request``: as resolved from
        memory already), or ``None`` when the route must answer it."""
        try:
            request = request or await self._request(pool, ask)
        except (PishraftError, psycopg.Error, PoolTimeout):
            return None  # the route answers with the proper error (or the database's 503)
        if request is None:
            return None
        # Admitted once the request is known to be servable here: a hand-over after this
        # point (rare: the data moved while rendering) is the one that counts twice.
        principal = remembered_reader(ask.api_key, ask.collection_id)
        if principal is None:
            return None
        try:
            found = await self._tile(pool, request, ask)
        except (PishraftError, psycopg.Error, PoolTimeout):
            return None
        return None if found is None else tile_response(ask, principal, *found, outside_cors=self.outside_cors)

    async def _request(self, pool: AsyncConnectionPool, ask: TileAsk) -> tiles.TileRequest | None:
        """The request resolved against the catalogue in memory, the generation re-read if stale."""
        generation = remembered_generation()
        if generation is None:
            async with pool.connection(timeout=CONNECTION_WAIT_S) as connection:
                cursor = await connection.execute(GENERATION_SQL)
                row = await cursor.fetchone()
            generation = int(row[0]) if row and row[0] is not None else 0
            remember_generation(generation)
        return tiles.remembered_tile_request(generation, ask.collection_id, ask.z, ask.y, ask.x, ask.properties)

    async def _tile(self, pool: AsyncConnectionPool, request: tiles.TileRequest,
                    ask: TileAsk) -> tuple[CachedTile, str] | None:
        """The tile from the cache or rendered, with its Server-Timing; ``None`` when the route must decide."""
        cache = tile_cache()
        cached = cache.get(request.key)
        if cached is not None:
            return cached, "tile;desc=hit"
        started = time.perf_counter()
        body, seen = await self._render_once(request.key, pool, request.collection, ask.z, ask.y, ask.x,
                                             request.properties)
        remember_generation(seen)
        if seen != request.generation:
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
