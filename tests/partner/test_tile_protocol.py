"""The HTTP protocol answers cached vector tiles itself and hands everything else to the app.

A real uvicorn server runs :class:`api.tile_protocol.TileHttpProtocol` in front of a
small stand-in ASGI app that answers 418 and notes what reached it, so each test can see
whether the protocol answered or handed over. The tile cache, the remembered catalogue
and generation are the process's own, filled through the real Pishraft app.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from uvicorn.logging import AccessFormatter

from api.tile_protocol import TileHttpProtocol
from spatial.accounts import users as accounts
from spatial.db.engine import session_scope
from spatial.serving.tile_cache import tile_cache

TILE = "/collections/wells/tiles/WebMercatorQuad/6/25/41"
NOT_CACHED = "/collections/wells/tiles/WebMercatorQuad/6/25/40"
SLOW = "/slow"


class StandIn:
    """An ASGI app that answers 418 (after 0.3 s at ``/slow``) and records the paths it saw."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        if scope["type"] != "http":
            return
        self.paths.append(scope["path"])
        if scope["path"] == SLOW:
            await asyncio.sleep(0.3)
        await send({"type": "http.response.start", "status": 418, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"no"})


@pytest.fixture(scope="module")
def pishraft(database_url: str) -> Iterator[TestClient]:
    """The real app in-process, anonymous: it fills the tile cache that the protocol reads."""
    from api.app import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture(scope="module")
def stand_in() -> StandIn:
    return StandIn()


@pytest.fixture(scope="module")
def server(stand_in: StandIn) -> Iterator[tuple[str, int]]:
    """uvicorn with the tile protocol in front of the stand-in app, on a loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = uvicorn.Server(uvicorn.Config(stand_in, host="127.0.0.1", port=port, http=TileHttpProtocol,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not served.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield "127.0.0.1", port
    served.should_exit = True
    thread.join(10)


@pytest.fixture
def cached(pishraft: TestClient, wells: str, stand_in: StandIn) -> TestClient:
    """The wells tile at ``TILE`` in the cache (a second request is a hit), the stand-in's log empty."""
    pishraft.get(TILE)
    assert pishraft.get(TILE).headers["server-timing"] == "tile;desc=hit"
    stand_in.paths.clear()
    return pishraft


def _get(address: tuple[str, int], path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*address, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_a_cached_tile_is_answered_without_the_app(server: tuple[str, int], cached: TestClient,
                                                   stand_in: StandIn) -> None:
    status, headers, body = _get(server, TILE)
    assert status == 200 and stand_in.paths == []
    expected = cached.get(TILE)
    assert body == expected.content
    assert headers["content-length"] == str(len(body))
    assert headers["server"] == "uvicorn" and "date" in headers
    for name in ("etag", "cache-control", "content-type", "vary", "server-timing", "x-content-type-options",
                 "x-frame-options", "content-security-policy", "referrer-policy"):
        assert headers[name] == expected.headers[name], name


def test_a_matching_etag_gets_304_from_the_protocol(server: tuple[str, int], cached: TestClient,
                                                    stand_in: StandIn) -> None:
    etag = cached.get(TILE).headers["etag"]
    status, headers, body = _get(server, TILE, {"If-None-Match": etag})
    assert (status, body, headers["etag"]) == (304, b"", etag)
    assert stand_in.paths == []


def test_a_tile_not_in_the_cache_goes_to_the_app(server: tuple[str, int], cached: TestClient,
                                                 stand_in: StandIn) -> None:
    assert _get(server, NOT_CACHED)[0] == 418
    assert stand_in.paths == [NOT_CACHED]


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer x"}, {"X-API-Key": "no-such-key"}])
def test_signed_in_callers_and_unknown_keys_go_to_the_app(server: tuple[str, int], cached: TestClient,
                                                          stand_in: StandIn, headers: dict[str, str]) -> None:
    assert _get(server, TILE, headers)[0] == 418
    assert stand_in.paths == [TILE]


def test_a_partner_key_over_its_rate_goes_to_the_app(server: tuple[str, int], cached: TestClient,
                                                     stand_in: StandIn) -> None:
    with session_scope() as session:
        key = accounts.create_key(session, "protocol-test", ["wells"], 1.0)
    assert cached.get(TILE, headers={"X-API-Key": key}).status_code == 200  # looked up, and its one token taken
    assert _get(server, f"{TILE}?api_key={key}")[0] == 418  # the route would answer 429
    assert stand_in.paths == [TILE]


def test_requests_on_one_connection_are_answered_in_order(server: tuple[str, int], cached: TestClient,
                                                          stand_in: StandIn) -> None:
    connection = http.client.HTTPConnection(*server, timeout=10)
    statuses = []
    for path in (TILE, NOT_CACHED, TILE, TILE):
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
    connection.close()
    assert statuses == [200, 418, 200, 200]
    assert stand_in.paths == [NOT_CACHED]


def test_a_pipelined_tile_waits_for_the_request_before_it(server: tuple[str, int], cached: TestClient,
                                                          stand_in: StandIn) -> None:
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(f"GET {SLOW} HTTP/1.1\r\nHost: x\r\n\r\nGET {TILE} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        while received.count(b"HTTP/1.1 ") < 2:
            chunk = sock.recv(65536)
            assert chunk, "connection closed early"
            received += chunk
    # The tile is not answered ahead of the slow request: it queues behind it, in the app.
    assert received.startswith(b"HTTP/1.1 418")
    assert stand_in.paths == [SLOW, TILE]


# --- with the real app: misses go straight to the fast path, in front of the framework ----


def _live_get(live_server: str, path: str) -> tuple[int, dict[str, str], bytes]:
    host, port = live_server.removeprefix("http://").split(":")
    return _get((host, int(port)), path)


def test_a_miss_is_rendered_by_the_fast_path_in_front_of_the_framework(live_server: str, wells: str,
                                                                         pishraft: TestClient) -> None:
    _live_get(live_server, "/collections/wells/tiles/WebMercatorQuad/2/1/2")  # the catalogue, read by the route
    tile = "/collections/wells/tiles/WebMercatorQuad/7/50/82"
    tile_cache().clear()
    status, headers, body = _live_get(live_server, tile)
    assert status == 200 and headers["server-timing"].startswith("tile;desc=render")
    routed = pishraft.get(tile + "?via=route")  # an unknown parameter: the route's own answer
    assert body == routed.content and headers["etag"] == routed.headers["etag"]
    for name in ("x-content-type-options", "x-frame-options", "content-security-policy", "referrer-policy"):
        assert headers[name] == routed.headers[name], name


def _pipelined(live_server: str, *paths: str) -> list[bytes]:
    """The answers to ``paths`` sent in one packet on one connection, in the order they came."""
    host, port = live_server.removeprefix("http://").split(":")
    requests = "".join(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n" for path in paths)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(requests.encode())
        reader = sock.makefile("rb")
        answers = []
        for _ in paths:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += reader.readline()
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            answers.append(head + reader.read(length))
    return answers


def test_a_rendered_miss_is_answered_before_the_request_pipelined_behind_it(live_server: str, wells: str,
                                                                           pishraft: TestClient) -> None:
    _live_get(live_server, "/collections/wells/tiles/WebMercatorQuad/2/1/2")  # the catalogue, read by the route
    tile = "/collections/wells/tiles/WebMercatorQuad/7/50/82"
    tile_cache().clear()
    rendered, health = _pipelined(live_server, tile, "/health")
    assert rendered.startswith(b"HTTP/1.1 200") and b"server-timing: tile;desc=render" in rendered
    assert rendered.endswith(pishraft.get(tile + "?via=route").content)
    assert health.startswith(b"HTTP/1.1 200") and b'"status"' in health


def test_a_client_gone_while_its_tile_renders_leaves_the_server_serving(live_server: str, wells: str) -> None:
    _live_get(live_server, "/collections/wells/tiles/WebMercatorQuad/2/1/2")  # the catalogue, read by the route
    tile = "/collections/wells/tiles/WebMercatorQuad/7/50/82"
    tile_cache().clear()
    host, port = live_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {tile} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    # Gone before the answer: the server goes on answering, and the tile reaches the cache.
    deadline = time.monotonic() + 10
    while _live_get(live_server, tile)[1].get("server-timing") != "tile;desc=hit":
        assert time.monotonic() < deadline, "the tile never reached the cache"
        time.sleep(0.05)


def test_a_miss_the_fast_path_gives_up_on_is_answered_by_the_route(live_server: str, wells: str) -> None:
    with session_scope() as session:
        key = accounts.create_key(session, "protocol-rate-test", ["wells"], 1.0)
    tile = f"/collections/wells/tiles/WebMercatorQuad/7/50/82?api_key={key}"
    tile_cache().clear()
    # A key not seen yet: the fast path gives up on it, and the route looks it up and answers.
    # Then the key is over its rate: the route answers 429.
    first, second = _live_get(live_server, tile), _live_get(live_server, tile)
    assert first[0] == 200
    assert second[0] == 429 and int(second[1]["retry-after"]) >= 1


def test_what_the_fast_path_declines_gets_the_routes_error(live_server: str, wells: str) -> None:
    status, headers, body = _live_get(live_server, "/collections/wells/tiles/WebMercatorQuad/3/9/0")
    assert status == 404 and headers["content-type"].startswith("application/json")
    assert b"tileRow" in body


class _Lines(logging.Handler):
    """Formats records as uvicorn's access log does, and keeps the lines."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_an_answered_tile_is_in_uvicorns_access_log(stand_in: StandIn, cached: TestClient) -> None:
    lines = _Lines()
    access = logging.getLogger("uvicorn.access")
    level = access.level
    access.addHandler(lines)  # before the connection: the protocol decides then whether to log
    access.setLevel(logging.INFO)  # other servers of the suite run at "warning"
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        served = uvicorn.Server(uvicorn.Config(stand_in, host="127.0.0.1", port=port, http=TileHttpProtocol,
                                               lifespan="off", log_config=None))
        thread = threading.Thread(target=served.run, daemon=True)
        thread.start()
        while not served.started:
            time.sleep(0.05)
        assert _get(("127.0.0.1", port), TILE)[0] == 200
        served.should_exit = True
        thread.join(10)
    finally:
        access.removeHandler(lines)
        access.setLevel(level)
    assert stand_in.paths == []
    assert any(line.endswith(f'"GET {TILE} HTTP/1.1" 200 OK') for line in lines.lines), lines.lines
