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

A miss, on the same conditions and once memory has resolved the request, is rendered by
the fast path in a task the protocol starts itself (:meth:`TileHttpProtocol._render_tile`),
and answered in one write: no ASGI cycle, no framework. While it renders, uvicorn sees a
stand-in cycle, so that requests pipelined behind it queue as they would behind any other,
and a shutdown or a lost connection is noted the same way. What the fast path then
declines (the data moved while rendering, the database failing, a partner key over its
rate) is handed to the whole app as uvicorn would have started it, and the route answers.
At zoom 11 this path costs a worker about a tenth less than the ASGI one.

Other vector-tile requests (a catalogue not yet read, pipelined or non-keep-alive
requests) go as ASGI requests straight to the fast path (:func:`tile_app`), in front of
the framework rather than inside it: FastAPI's telemetry check, error middleware and
body limits cost a rendered zoom-11 tile a tenth of its worker time, and a tile GET needs
none of them (so those answers are not in FastAPI's OpenTelemetry spans). What the fast
path declines — errors, signed-in users, unknown keys — goes on to the whole app, where
the route answers it. Every other request goes to the app unchanged.

Served with ``pishraft serve`` (``uvicorn.Config(http=PROTOCOL)``).
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

import httptools
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from api.fast_tiles import (DECLINED, TILE_ASK, TILE_REQUEST, TileAsk, VectorTileFastPath, answer_from_cache,
                            read_tile_ask, resolve_in_memory)
from spatial.settings import get_settings
from spatial.serving.tiles import TileRequest

#: The ``http`` setting of uvicorn's Config that selects this protocol.
PROTOCOL = "api.tile_protocol:TileHttpProtocol"


class _Framed:
    """Run ``app`` with ``scope["app"]`` set to the framework app (where the fast path finds its pool)."""

    def __init__(self, app: VectorTileFastPath, framework: FastAPI) -> None:
        self.app, self.framework = app, framework

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self.framework
        await self.app(scope, receive, send)


@lru_cache(maxsize=8)
def tile_app(app: ASGIApp) -> _Framed | None:
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
    return _Framed(VectorTileFastPath(app, outside_cors=True), framework)


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
        if request is not None and self._free_to_answer():
            if self._answer_cached_tile(ask, request) or self._render_tile(ask, request):
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

    def _free_to_answer(self) -> bool:
        """Whether an answer written now leaves in order: a keep-alive request with nothing
        in progress or queued before it, and writes not paused (connections close the ASGI way)."""
        return (self.parser.should_keep_alive() and not self.pipeline and not self.flow.write_paused
                and (self.cycle is None or self.cycle.response_complete))

    def _answer_cached_tile(self, ask: TileAsk, request: TileRequest) -> bool:
        answer = answer_from_cache(ask, request)
        if answer is None:
            return False
        self._write(*answer, self.url, self.parser.get_http_version())
        self._answered = True
        self.on_response_complete()  # counts the request, arms the keep-alive timeout
        return True

    def _render_tile(self, ask: TileAsk, request: TileRequest) -> bool:
        """Render the tile in a task of its own and write the answer, without an ASGI cycle."""
        lean = tile_app(self.app)
        pool = None if lean is None else getattr(lean.framework.state, "tile_pool", None)
        if lean is None or pool is None or (self.limit_concurrency is not None and (
                len(self.connections) >= self.limit_concurrency or len(self.tasks) >= self.limit_concurrency)):
            return False  # uvicorn answers 503 over the limit
        flight = _TileInFlight()
        self.cycle = flight  # type: ignore[assignment]  # uvicorn queues pipelined requests behind it
        self._answered = True
        # uvicorn types its scope as a TypedDict; to the app it is the plain ASGI mapping.
        scope: Scope = self.scope  # type: ignore[assignment]
        task = self.loop.create_task(self._render(lean, pool, ask, request, flight, scope, self.url,
                                                  self.parser.get_http_version()))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)
        return True

    async def _render(self, lean: _Framed, pool: Any, ask: TileAsk, request: TileRequest, flight: _TileInFlight,
                      scope: Scope, url: bytes, http_version: str) -> None:
        try:
            answer = await lean.app.respond(ask, pool, request)
        except Exception:  # noqa: BLE001 - a fault here is the app's to answer (and log)
            self.logger.exception("The vector-tile fast path failed; the app answers the request.")
            answer = None
        if answer is None:
            self._hand_over(flight, scope, url, http_version)
            return
        flight.response_complete = True
        if not flight.disconnected:
            self._write(*answer, url, http_version)
            if not flight.keep_alive:
                self.transport.close()
        self.on_response_complete()

    def _hand_over(self, flight: _TileInFlight, scope: Scope, url: bytes, http_version: str) -> None:
        """Start the ASGI app on the request the fast path declined, as uvicorn would have."""
        parsed = httptools.parse_url(url)
        scope.update(method="GET", path=self.root_path + parsed.path.decode("ascii"),
                     raw_path=self.root_path.encode("ascii") + parsed.path, query_string=parsed.query or b"")
        if http_version != "1.1":
            scope["http_version"] = http_version
        scope[DECLINED] = True
        cycle = RequestResponseCycle(
            scope=scope, transport=self.transport, flow=self.flow, logger=self.logger,  # type: ignore[arg-type]
            access_logger=self.access_logger, access_log=self.access_log,
            default_headers=self.server_state.default_headers, message_event=asyncio.Event(),
            expect_100_continue=False, keep_alive=flight.keep_alive, on_response=self.on_response_complete)
        # The request is complete (as uvicorn's on_message_complete would have noted).
        cycle.more_body, cycle.disconnected = False, flight.disconnected
        cycle.message_event.set()
        if self.cycle is flight:  # type: ignore[comparison-overlap]  # set so by _render_tile
            self.cycle = cycle
        self._start_asgi_task(cycle, self.app)

    def _write(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, url: bytes,
               http_version: str) -> None:
        content = [STATUS_LINE[status]]
        for name, value in (*self.server_state.default_headers, *headers):
            content += [name, b": ", value, b"\r\n"]
        content += [b"\r\n", body]
        self.transport.write(b"".join(content))
        if self.access_log:
            # uvicorn's own record (its AccessFormatter unpacks these five arguments).
            self.access_logger.info('%s - "%s %s HTTP/%s" %d', "{}:{}".format(*self.client) if self.client else "-",
                                    "GET", url.decode("latin-1"), http_version, status)


class _NoEvent:
    def set(self) -> None:
        """Nothing waits on a tile answered by the protocol (uvicorn sets it on disconnect)."""


class _TileInFlight:
    """What uvicorn's protocol sees as the request–response cycle while it renders a tile."""

    message_event = _NoEvent()

    def __init__(self) -> None:
        self.response_complete = False
        self.disconnected = False
        self.keep_alive = True  # uvicorn's shutdown sets it False: close after answering
