"""The thinnest Python tile server over Pishraft's tile statement: the ceiling of the stack.

An ASGI app with nothing but what any Python server of these tiles must do: uvicorn
(httptools, uvloop) parses the request, a psycopg pool runs Pishraft's own statement
(``spatial.serving.tiles.tile_sql``, fetched in binary as Pishraft does), and the bytes go back.
No keys, no catalogue, no cache, no ETag, no validation beyond the path pattern: it only
serves ``/collections/neighbourhoods/tiles/WebMercatorQuad/{z}/{y}/{x}`` with the
benchmark's properties. :mod:`bench.tiles` runs it next to Pishraft so that the table
shows how much of the distance to the SQL floor is Pishraft's and how much is the stack's.

Run: ``DATABASE_URL=... python -m api.workers bench._bare_tiles:app --workers 2``.
"""

from __future__ import annotations

import os
import re
from typing import Any

from psycopg_pool import AsyncConnectionPool

PROPERTIES = "code,name_en,population"
_PATH = re.compile(r"^/collections/neighbourhoods/tiles/WebMercatorQuad/(\d+)/(\d+)/(\d+)$")
_state: dict[str, Any] = {}


def _statements() -> dict[int, str]:
    from spatial.serving.collections import get_collection
    from spatial.db.engine import session_scope
    from spatial.serving.features import parse_properties
    from spatial.serving.tiles import MAX_ZOOM, tile_sql

    with session_scope() as session:
        collection = get_collection(session, "neighbourhoods")
        chosen = parse_properties(collection, PROPERTIES)
        return {z: tile_sql(collection, z, chosen).as_string() for z in range(MAX_ZOOM + 1)}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer the tile at ``scope["path"]``: 200 with its bytes, 204 empty, 404 for other paths."""
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        _state["statements"] = _statements()
        _state["pool"] = AsyncConnectionPool(os.environ["DATABASE_URL"], min_size=4, max_size=10,
                                             kwargs={"autocommit": True}, open=False)
        await _state["pool"].open(wait=True)
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await _state["pool"].close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    from spatial.serving.tiles import BINARY_RESULTS, tile_parameters

    match = _PATH.match(scope["path"])
    if match is None:  # "/" answers 200: the benchmark's probe that the server is up
        await send({"type": "http.response.start", "status": 200 if scope["path"] == "/" else 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    z, y, x = (int(v) for v in match.groups())
    async with _state["pool"].connection() as connection:
        cursor = await connection.execute(_state["statements"][z], tile_parameters(z, y, x), binary=BINARY_RESULTS)
        row = await cursor.fetchone()
    body = bytes(row[0]) if row and row[0] is not None else b""
    await send({"type": "http.response.start", "status": 200 if body else 204,
                "headers": [(b"content-type", b"application/vnd.mapbox-vector-tile"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
