"""uvicorn's HTTP protocol with cached vector tiles answered as soon as their headers arrive.

A warm tile costs a dictionary lookup, yet through ASGI each one still pays for a scope,
a request–response cycle, an event-loop task, five middleware layers and two socket
writes: at zoom 11 that is nine tenths of a worker's time. :class:`TileHttpProtocol`
answers a cached tile straight from ``on_headers_complete`` with one write, using the
synchronous half of the fast path (:func:`api.fast_tiles.answer_from_cache`), and adds
what the outer middleware and uvicorn add to every answer (security headers, ``date`` and
``server``). It answers only when that is all the ASGI app would have done:

- a keep-alive ``GET`` with no request in progress or queued on the connection, its
  writes not paused, and no ``Origin`` header while CORS is configured (the CORS
  middleware decides those);
- everything else — misses, errors, signed-in users, unknown keys — goes through the
  ASGI app unchanged, where :class:`api.fast_tiles.VectorTileFastPath` and the route
  answer it.

Served with ``pishraft serve`` (``uvicorn.Config(http=PROTOCOL)``).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.fast_tiles import answer_from_cache, read_tile_ask
from api.middleware import SECURITY_HEADERS
from spatial.settings import get_settings

#: The ``http`` setting of uvicorn's Config that selects this protocol.
PROTOCOL = "api.tile_protocol:TileHttpProtocol"


class TileHttpProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that answers cached vector tiles itself."""

    _answered = False

    def on_message_begin(self) -> None:
        self._answered = False
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        if not self._answer_cached_tile():
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._answered:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._answered:
            super().on_message_complete()

    def _answer_cached_tile(self) -> bool:
        parser = self.parser
        if (parser.get_method() != b"GET" or not parser.should_keep_alive() or parser.should_upgrade()
                or self.pipeline or (self.cycle is not None and not self.cycle.response_complete)
                or self.flow.write_paused):
            return False
        if get_settings().cors_origins and any(name == b"origin" for name, _ in self.headers):
            return False
        path, _, query = self.url.partition(b"?")
        if b"%" in path or b"#" in query:
            return False  # escaped paths and fragments: uvicorn's own parsing decides
        ask = read_tile_ask(path.decode("latin-1"), query, self.headers)
        answer = None if ask is None else answer_from_cache(ask)
        if answer is None:
            return False
        status, headers, body = answer
        present = {name for name, _ in headers}
        content = [STATUS_LINE[status]]
        for name, value in (*self.server_state.default_headers, *headers,
                            *(h for h in SECURITY_HEADERS if h[0] not in present)):
            content += [name, b": ", value, b"\r\n"]
        content += [b"\r\n", body]
        self.transport.write(b"".join(content))
        self._answered = True
        if self.access_log:
            self.access_logger.info('%s - "GET %s HTTP/%s" %d', "%s:%d" % self.client if self.client else "-",
                                    self.url.decode("latin-1"), parser.get_http_version(), status)
        self.on_response_complete()  # counts the request, arms the keep-alive timeout
        return True
