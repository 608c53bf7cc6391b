"""The vector-tile path in front of the framework: tiles answered without routing or dependencies.

Partners' maps ask for tiles by the hundred; the framework's route matching, dependency
solving and parameter validation cost more than finding a tile in memory or rendering a
small one. :class:`VectorTilePath` sits just inside HEAD-as-GET, in front of the middleware that
shapes every other answer — whose headers (security, CORS) it adds itself and whose concurrency
limit's places it takes to render (:class:`api.middleware.AnswerPolicy`, :class:`~api.middleware.Places`)
— and of what a plain read needs not (the audit of writes, body limits, read-replica routing). It
answers a plain
``GET /collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}`` itself when memory settles
everything but the tile's bytes:

- the caller: anonymous, or a partner key looked up lately (:func:`api.auth.known_principal`);
- the collection and properties: the remembered generation's catalogue
  (:func:`spatial.serving.tiles.remembered_tile`);
- the tile: from the tile cache, or rendered on the event loop over a connection of
  :mod:`spatial.db.loop_reads` to the primary, holding a place under the concurrency limit
  while it renders (and saying ``Pishraft-Read-From: primary``, as the route would).

Everything else — a CQL2 filter, a bearer token or session cookie, a key or catalogue not in
memory, a tile outside the matrix, unknown properties, read replicas, a database that does not
answer — goes on to the route in :mod:`api.routers.tiles`, which answers it fully (and documents
the path in the OpenAPI description). Both answer with the same bytes, ETag and headers; the
``Server-Timing`` header says ``tile;desc=hit`` or ``tile;desc=render;dur=<ms>`` on either.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache, partial
from typing import Any
from urllib.parse import parse_qsl

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import known_principal
from api.errors import domain_error_response
from api.middleware import READ_FROM_HEADER, AnswerPolicy, Places, database_place, request_header
from api.ogc import MVT, conditional_status
from spatial.db import routing
from spatial.db.loop_reads import LoopConnections
from spatial.errors import Busy, PishraftError
from spatial.serving import tiles
from spatial.serving.tile_cache import tile_cache

TILE_PATH = re.compile(r"/collections/(?P<collection>[^/]{1,100})/tiles/(?P<tms>[^/]+)"
                       r"/(?P<z>\d{1,2})/(?P<y>\d{1,8})/(?P<x>\d{1,8})")
#: A filtered tile is cached under its filter, which the route parses.
FILTER_PARAMS = ("filter", "filter-lang", "filter-crs")
_MVT = MVT.encode()
_READ_FROM_PRIMARY = (READ_FROM_HEADER.lower().encode(), routing.PRIMARY.encode())


class VectorTilePath:
    """Answer plain vector-tile requests that memory settles; hand every other request to ``app``.

    It adds the headers of every answer itself (``answers``) and renders under a place of the
    server's concurrency limit (``places``): sitting in front of those middleware rather than
    inside them saves a small tile's render the wrapping of every message."""

    def __init__(self, app: ASGIApp, answers: AnswerPolicy, places: Places) -> None:
        self.app, self.answers, self.places = app, answers, places

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = TILE_PATH.fullmatch(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        answer = None if match is None else await self._answer(scope, match)
        if answer is None:
            return await self.app(scope, receive, send)
        start, body = answer
        start["headers"] = self.answers.completed(start["headers"], self.answers.cors_of(scope))
        await send(start)
        await send(body)

    async def _answer(self, scope: Scope, match: re.Match[str]) -> tuple[Message, Message] | None:
        """The answer's two ASGI messages (before the headers of every answer), or ``None`` when the
        route must give it."""
        if match["tms"] != tiles.TILE_MATRIX_SET:
            return None
        query = _query(scope["query_string"])
        if any(name in query for name in FILTER_PARAMS):
            return None
        request = Request(scope)
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
        reads: LoopConnections | None = getattr(scope["app"].state, "loop_reads", None)
        if reads is None:  # renders go to the route; a tile held in memory is answered here
            tile, rendered = tile_cache().get(asked.key), False
            if tile is None:
                return None
        else:
            self.places.lend(scope)
            try:
                tile, rendered = await tiles.cached_vector_tile_on_loop(asked, partial(_fetch_one, scope, reads))
            except Busy as busy:
                return _messages(domain_error_response(request, busy))
            except psycopg.Error:  # the route answers, 503 if the database is down
                return None
        # The headers of api.ogc.conditional, sent without building a response object.
        held = request_header(scope, b"if-none-match")
        status, headers = conditional_status(None if held is None else held.decode("latin-1"), tile.body, principal,
                                             etag=tile.etag, empty_status=204)
        raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        raw.append((b"server-timing", f"tile;desc=render;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                    if rendered else b"tile;desc=hit"))
        if rendered:
            raw.append(_READ_FROM_PRIMARY)
        body = tile.body if status == 200 else b""
        if status == 200:
            raw += [(b"content-length", str(len(body)).encode()), (b"content-type", _MVT)]
        return ({"type": "http.response.start", "status": status, "headers": raw},
                {"type": "http.response.body", "body": body})


@lru_cache(maxsize=256)
def _query(query_string: bytes) -> dict[str, str]:
    """The parameters of a query string, as Starlette's ``QueryParams`` reads them (the last
    value of a repeated name). Cached: the tiles of one map share one query string."""
    return dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


def _messages(response: JSONResponse) -> tuple[Message, Message]:
    return ({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers},
            {"type": "http.response.body", "body": response.body})


async def _fetch_one(scope: Scope, reads: LoopConnections, statement: str,
                     params: dict[str, Any]) -> tuple[Any, ...] | None:
    async with database_place(scope):
        return await reads.fetch_one(statement, params, binary=tiles.BINARY_RESULTS)
