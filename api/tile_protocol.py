"""uvicorn's HTTP protocol with cached vector tiles answered as soon as their headers arrive.

A warm tile costs a dictionary lookup, yet through ASGI each one still pays for a scope,
a request–response cycle, an event-loop task, five middleware layers and two socket
writes: at zoom 11 that is nine tenths of a worker's time. :class:`TileHttpProtocol`
answers a cached tile straight from ``on_headers_complete`` with one write, using the
synchronous half of the fast path (:func:`api.fast_tiles.answer_from_cache`), and adds
what uvicorn adds to every answer (``date`` and ``server``; the fast path's answers carry
the security headers). It answers only when that is all the ASGI app would have done:

- a keep-alive ``GET`` with no request in progress or queued on the connection, its
  writes not paused, and no ``Origin`` header while CORS is configured (the CORS
  middleware decides those).

Other vector-tile requests (misses, partner keys not seen yet) go as ASGI requests
straight to the fast path (:func:`tile_app`), in front of the framework rather than
inside it: FastAPI's telemetry check, error middleware and body limits cost a rendered
zoom-11 tile a tenth of its worker time, and a tile GET needs none of them (so those
answers are not in FastAPI's OpenTelemetry spans). What the fast path declines — errors,
signed-in users, unknown keys — goes on to the whole app, where the route answers it.
Every other request goes to the app unchanged.

Served with ``pishraft serve`` (``uvicorn.Config(http=PROTOCOL)``).
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.fast_tiles import (TILE_ASK, TILE_REQUEST, TileAsk, VectorTileFastPath, answer_from_cache, read_tile_ask,
                            resolve_in_memory)
from spatial.settings import get_settings
from spatial.tiles import TileRequest

#: The ``http`` setting of uvicorn's Config that selects this protocol.
PROTOCOL = "api.tile_protocol:TileHttpProtocol"


class _Framed:
    """Run ``app`` with ``scope["app"]`` set to the framework app (where the fast path finds its pool)."""

    def __init__(self, app: ASGIApp, framework: FastAPI) -> None:
        self.app, self.framework = app, framework

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self.framework
        await self.app(scope, receive, send)


@lru_cache(maxsize=8)
def tile_app(app: ASGIApp) -> ASGIApp | None:
    """The vector-tile fast path in front of ``app`` (uvicorn's loaded app), outside the
    framework's middleware, or ``None`` when ``app`` wraps no FastAPI app.

    For tile requests that miss the cache: what the fast path declines goes on to
    ``app``, whole. One per app, so that concurrent misses on a tile render it once.
    """
    framework: object = app
    while not isinstance(framework, FastAPI):
        framework = getattr(framework, "app", None)
        if framework is None:
            return None
    return _Framed(VectorTileFastPath(app), framework)


class TileHttpProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that answers cached vector tiles itself and sends
    other tile requests straight to the fast path."""

    _answered = False

    def on_message_begin(self) -> None:
        self._answered = False
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        ask = self._tile_ask()
        if ask is None:
            super().on_headers_complete()
            return
        request = resolve_in_memory(ask)
        if request is not None and self._answer_cached_tile(ask, request):
            return
        lean = tile_app(self.app)
        if lean is None:
            super().on_headers_complete()
            return
        self.scope[TILE_ASK] = ask  # type: ignore[literal-required]
        if request is not None:
            self.scope[TILE_REQUEST] = request  # type: ignore[literal-required]
        # uvicorn starts (or queues) the request with ``self.app``, synchronously.
        app, self.app = self.app, lean
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def on_body(self, body: bytes) -> None:
        if not self._answered:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._answered:
            super().on_message_complete()

    def _tile_ask(self) -> TileAsk | None:
        """The vector-tile request the fast path may answer, read off the parser."""
        parser = self.parser
        if parser.get_method() != b"GET" or parser.should_upgrade():
            return None
        if get_settings().cors_origins and any(name == b"origin" for name, _ in self.headers):
            return None  # the CORS middleware decides those
        path, _, query = self.url.partition(b"?")
        if b"%" in path or b"#" in query:
            return None  # escaped paths and fragments: uvicorn's own parsing decides
        return read_tile_ask(path.decode("latin-1"), query, self.headers)

    def _answer_cached_tile(self, ask: TileAsk, request: TileRequest) -> bool:
        parser = self.parser
        if (not parser.should_keep_alive() or self.pipeline or self.flow.write_paused
                or (self.cycle is not None and not self.cycle.response_complete)):
            return False  # answers must leave in order, and connections close the ASGI way
        answer = answer_from_cache(ask, request)
        if answer is None:
            return False
        status, headers, body = answer
        content = [STATUS_LINE[status]]
        for name, value in (*self.server_state.default_headers, *headers):
            content += [name, b": ", value, b"\r\n"]
        content += [b"\r\n", body]
        self.transport.write(b"".join(content))
        self._answered = True
        if self.access_log:
            # uvicorn's own record (its AccessFormatter unpacks these five arguments).
            self.access_logger.info('%s - "%s %s HTTP/%s" %d', "%s:%d" % self.client if self.client else "-",
                                    "GET", self.url.decode("latin-1"), parser.get_http_version(), status)
        self.on_response_complete()  # counts the request, arms the keep-alive timeout
        return True
