"""Vector tiles: the path in front of the framework and the route behind it, under plain uvicorn.

A plain tile request that memory settles is answered by ``api.tile_path`` (a hit from memory,
a miss rendered on the event loop); the rest by the route (a hit on the event loop, a miss in a
worker thread). All carry the headers of every answer (CORS, security headers), wait for a place
under the concurrency limit only to render, and say which they were in ``Server-Timing``. The live tests run the real app under uvicorn on a loopback port; a render is
held in PostgreSQL by a table lock, so that a test can act while it is in flight.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from api.middleware import ConcurrencyLimit
from spatial.accounts import users as accounts
from spatial.db.engine import get_engine, session_scope
from spatial.serving.generation import data_generation, forget_generation
from spatial.serving.tile_cache import tile_cache
from tests.auth.conftest import served

TILE = "/collections/wells/tiles/WebMercatorQuad/6/25/41"
RENDERED = "/collections/wells/tiles/WebMercatorQuad/7/50/82"
# A counties tile at zoom 7 reads the prepared boundaries, which a test can lock.
HELD = "/collections/counties/tiles/WebMercatorQuad/7/51/83"
SECURITY = ("x-content-type-options", "x-frame-options", "content-security-policy", "referrer-policy")


@pytest.fixture(scope="module")
def anonymous(database_url: str) -> Iterator[TestClient]:
    """A client without credentials: anonymous reading is on in the test settings."""
    from api.app import create_app

    with TestClient(create_app()) as c:
        yield c


def _address(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*_address(base), timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@contextmanager
def _uvicorn(app: FastAPI) -> Iterator[tuple[str, uvicorn.Server, threading.Thread]]:
    """``app`` under plain uvicorn in a thread of this process (so it shares the tile cache)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", server, thread
    finally:
        server.should_exit = True
        thread.join(30)


@contextmanager
def statements_held(table: str) -> Iterator[None]:
    """Statements reading ``table`` wait in PostgreSQL until the block ends."""
    with get_engine().connect() as connection:
        transaction = connection.begin()
        connection.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            transaction.rollback()


def until_a_statement_waits(beginning: str) -> None:
    """Return once a statement beginning with ``beginning`` waits for the lock of :func:`statements_held`."""
    deadline = time.monotonic() + 30
    # Autocommit: within a transaction pg_stat_activity would show the same snapshot every time.
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        while not connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE :beginning"),
                {"beginning": beginning + "%"}).scalar():
            assert time.monotonic() < deadline, f"no statement beginning {beginning!r} reached the database"
            time.sleep(0.05)


def _renders_held() -> AbstractContextManager[None]:
    """Tile statements on the prepared boundaries wait in PostgreSQL until the block ends."""
    return statements_held("admin_unit_coalesced_tile")


def _until_a_render_waits() -> None:
    until_a_statement_waits("WITH f AS MATERIALIZED")


def _warm_catalogue(base: str) -> None:
    # The route reads the generation and catalogue and remembers them; hits are then answered from memory.
    assert _get(base, "/collections/wells/tiles/WebMercatorQuad/2/1/2")[0] in (200, 204)


# --- hits and misses ------------------------------------------------------------------------


def test_a_miss_renders_and_the_next_request_is_a_hit(anonymous: TestClient, wells: str) -> None:
    tile_cache().clear()
    first, again = anonymous.get(TILE), anonymous.get(TILE)
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert first.headers["server-timing"].startswith("tile;desc=render;dur=")
    assert again.headers["server-timing"] == "tile;desc=hit"
    for header in ("etag", "cache-control", "content-type", "vary", *SECURITY):
        assert again.headers[header] == first.headers[header], header


@contextmanager
def _pool_checkouts() -> Iterator[list[object]]:
    """The checkouts of the app's connection pool during the block."""
    checkouts: list[object] = []

    def checked_out(*_: object) -> None:
        checkouts.append(_)

    event.listen(get_engine().pool, "checkout", checked_out)
    try:
        yield checkouts
    finally:
        event.remove(get_engine().pool, "checkout", checked_out)


def test_a_hit_takes_no_database_connection(anonymous: TestClient, wells: str) -> None:
    anonymous.get(TILE)  # rendered or found, and the generation remembered
    with _pool_checkouts() as checkouts:
        hit = anonymous.get(TILE)
    assert hit.headers["server-timing"] == "tile;desc=hit"
    # The key check's session connects only when a credential has to be looked up.
    assert checkouts == []


# --- in front of the framework ----------------------------------------------------------------


def test_a_render_in_front_of_the_framework_takes_no_pooled_connection(anonymous: TestClient, wells: str) -> None:
    anonymous.get(TILE)  # the generation and catalogue in memory
    tile_cache().clear()
    with _pool_checkouts() as checkouts:
        rendered = anonymous.get(TILE)
    assert rendered.status_code == 200 and rendered.headers["server-timing"].startswith("tile;desc=render")
    assert rendered.headers["pishraft-read-from"] == "primary"
    # Rendered on the event loop over the tile path's own connection, not in a thread with a pooled session.
    assert checkouts == []


def test_the_tile_path_and_the_route_draw_the_same_bytes(anonymous: TestClient, client: TestClient,
                                                        wells: str) -> None:
    anonymous.get(TILE)
    drawn = []
    for caller in (anonymous, client, anonymous, client):  # in front; the route (a signed-in user); again
        tile_cache().clear()
        response = caller.get(TILE)
        assert response.headers["server-timing"].startswith("tile;desc=render")
        drawn.append((response.content, response.headers["etag"]))
    # Features go out in id order: one tile, one ETag, whichever path, plan or worker drew it.
    assert len(set(drawn)) == 1


def test_a_filtered_tile_is_rendered_by_the_route(anonymous: TestClient, wells: str) -> None:
    anonymous.get(TILE)
    with _pool_checkouts() as checkouts:
        filtered = anonymous.get(TILE, params={"filter": "depth_m > 0"})
    assert filtered.status_code == 200 and filtered.content and checkouts


def test_a_partner_key_once_remembered_is_answered_in_front_alike(anonymous: TestClient, wells: str,
                                                                 leaves_no_rows: None) -> None:
    with session_scope() as session:
        key = accounts.create_key(session, "tile-path-test", ["wells"], 100.0)
    with _pool_checkouts() as looked_up:
        first = anonymous.get(TILE, headers={"X-API-Key": key})
    with _pool_checkouts() as remembered:
        again = anonymous.get(TILE, headers={"X-API-Key": key})
    assert looked_up and remembered == []  # the key was read once, then settled from memory
    assert first.status_code == again.status_code == 200 and again.content == first.content
    for header in ("etag", "cache-control", "content-type", "vary", *SECURITY):
        assert again.headers[header] == first.headers[header], header
    assert again.headers["cache-control"].startswith("private")


def test_a_remembered_key_is_still_refused_a_collection_it_does_not_cover(anonymous: TestClient, wells: str,
                                                                         leaves_no_rows: None) -> None:
    with session_scope() as session:
        key = accounts.create_key(session, "tile-path-scope-test", ["provinces"], 100.0)
    for _ in range(2):  # looked up, then remembered
        refused = anonymous.get(TILE, headers={"X-API-Key": key})
        assert refused.status_code == 403 and refused.json()["error"]["field"] == "collectionId"


def test_a_matching_etag_gets_304(anonymous: TestClient, wells: str) -> None:
    first = anonymous.get(TILE)
    again = anonymous.get(TILE, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"] and "server-timing" in again.headers


def test_an_empty_tile_is_204(anonymous: TestClient, wells: str) -> None:
    empty = anonymous.get("/collections/wells/tiles/WebMercatorQuad/7/0/0")
    assert empty.status_code == 204 and "server-timing" in empty.headers


def test_bad_tiles_get_clear_errors(anonymous: TestClient, wells: str) -> None:
    outside = anonymous.get("/collections/wells/tiles/WebMercatorQuad/3/9/0")
    assert outside.status_code == 404 and outside.json()["error"]["field"] == "tileRow"
    unknown = anonymous.get(f"{TILE}?properties=nope")
    assert unknown.status_code == 400 and "nope" in unknown.json()["error"]["message"]


def test_a_data_change_is_seen_once_the_generation_is_read_again(anonymous: TestClient, wells: str) -> None:
    before = anonymous.get(TILE)
    with session_scope() as s:
        s.execute(text("UPDATE layer SET version = version + 1 WHERE slug = 'wells'"))
    forget_generation()  # what PISHRAFT_TILE_CACHE_CHECK_S seconds of waiting does
    after = anonymous.get(TILE)
    assert after.status_code == 200 and after.content == before.content
    # The generation moved: the tile is not served from the old cache entry.
    assert after.headers["server-timing"].startswith("tile;desc=render")


# --- callers ------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer x"}, {"X-API-Key": "no-such-key"}])
def test_bad_credentials_are_refused_even_for_a_cached_tile(anonymous: TestClient, wells: str,
                                                            headers: dict[str, str]) -> None:
    assert anonymous.get(TILE).status_code == 200
    assert anonymous.get(TILE, headers=headers).status_code == 401


@pytest.mark.parametrize("query", ["api_key=no-such-key", "%61pi_key=no-such-key", "api%5Fkey=no-such-key"])
def test_a_bad_key_in_the_query_is_refused_however_its_name_is_spelled(anonymous: TestClient, wells: str,
                                                                       query: str) -> None:
    assert anonymous.get(TILE).status_code == 200
    assert anonymous.get(f"{TILE}?{query}").status_code == 401


def test_a_partner_key_over_its_rate_gets_429(live_server: str, wells: str) -> None:
    with session_scope() as session:
        key = accounts.create_key(session, "tile-rate-test", ["wells"], 1.0)
    first, second = _get(live_server, f"{TILE}?api_key={key}"), _get(live_server, f"{TILE}?api_key={key}")
    assert first[0] == 200 and first[1]["cache-control"].startswith("private")
    assert second[0] == 429 and int(second[1]["retry-after"]) >= 1


def test_cross_origin_reads_carry_cors_on_renders_and_hits(live_server: str, wells: str) -> None:
    _warm_catalogue(live_server)
    tile_cache().clear()
    timings = []
    for _ in range(2):
        status, headers, body = _get(live_server, TILE, {"Origin": "https://partner.example.org"})
        assert status == 200 and body
        assert headers["access-control-allow-origin"] == "*"
        assert all(name in headers for name in SECURITY)
        timings.append(headers["server-timing"].split(";dur=")[0])
    assert timings == ["tile;desc=render", "tile;desc=hit"]


# --- one live connection ------------------------------------------------------------------


def test_a_live_answer_carries_uvicorns_and_pishrafts_headers(live_server: str, anonymous: TestClient,
                                                              wells: str) -> None:
    _warm_catalogue(live_server)
    status, headers, body = _get(live_server, TILE)
    expected = anonymous.get(TILE)
    assert status == 200 and body == expected.content and headers["content-length"] == str(len(body))
    assert headers["server"] == "uvicorn" and "date" in headers
    for name in ("etag", "cache-control", "content-type", "vary", *SECURITY):
        assert headers[name] == expected.headers[name], name


def test_requests_on_one_connection_are_answered_in_order(live_server: str, wells: str) -> None:
    _warm_catalogue(live_server)
    tile_cache().clear()
    connection = http.client.HTTPConnection(*_address(live_server), timeout=30)
    timings = []
    for path in (TILE, RENDERED, TILE, "/health"):
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, path
        timings.append((response.getheader("server-timing") or "-").split(";dur=")[0])
    connection.close()
    assert timings == ["tile;desc=render", "tile;desc=render", "tile;desc=hit", "-"]


def test_a_rendered_tile_is_answered_before_the_request_pipelined_behind_it(live_server: str, wells: str,
                                                                           anonymous: TestClient) -> None:
    tile_cache().clear()
    requests = "".join(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n" for path in (RENDERED, "/health"))
    with socket.create_connection(_address(live_server), timeout=30) as sock:
        sock.sendall(requests.encode())
        reader = sock.makefile("rb")
        answers = []
        for _ in range(2):
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += reader.readline()
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            answers.append(head + reader.read(length))
    rendered, health = answers
    assert rendered.startswith(b"HTTP/1.1 200") and b"server-timing: tile;desc=render" in rendered
    assert rendered.endswith(anonymous.get(RENDERED).content)
    assert health.startswith(b"HTTP/1.1 200") and b'"status"' in health


def test_a_client_gone_while_its_tile_renders_leaves_the_server_serving(live_server: str, wells: str) -> None:
    _warm_catalogue(live_server)
    tile_cache().clear()
    with socket.create_connection(_address(live_server), timeout=30) as sock:
        sock.sendall(f"GET {RENDERED} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    # Gone before the answer: the server goes on answering, and the tile reaches the cache.
    deadline = time.monotonic() + 30
    while _get(live_server, RENDERED)[1].get("server-timing") != "tile;desc=hit":
        assert time.monotonic() < deadline, "the tile never reached the cache"
        time.sleep(0.05)


# --- limits, outages and shutdown ----------------------------------------------------------


@pytest.fixture
def one_at_a_time(database_url: str) -> Iterator[str]:
    """The real app under uvicorn, admitting one request at a time and turning others away after 0.5 s."""
    from api.app import create_app

    app = create_app()
    places = next(m.kwargs["places"] for m in app.user_middleware if m.cls is ConcurrencyLimit)
    places.limit, places.wait_s = 1, 0.5
    with _uvicorn(app) as (base, _, _):
        yield base


def test_a_tile_render_holds_a_place_under_the_concurrency_limit(one_at_a_time: str, anonymous: TestClient,
                                                                 wells: str) -> None:
    anonymous.get(TILE)  # the catalogue in memory; the tile itself must render below
    tile_cache().clear()
    with ThreadPoolExecutor(1) as pool:
        with _renders_held():
            held: Future[tuple[int, dict[str, str], bytes]] = pool.submit(_get, one_at_a_time, HELD)
            _until_a_render_waits()
            status, headers, body = _get(one_at_a_time, TILE)
            assert status == 503 and headers["retry-after"] == "1" and b'"busy"' in body
        assert held.result(timeout=30)[0] == 200
    assert _get(one_at_a_time, TILE)[0] == 200


def test_a_tile_held_in_memory_is_answered_while_renders_fill_every_place(one_at_a_time: str,
                                                                           anonymous: TestClient, wells: str) -> None:
    tile_cache().clear()
    assert anonymous.get(TILE).status_code == 200  # held in memory from now on
    with ThreadPoolExecutor(1) as pool:
        with _renders_held():
            held: Future[tuple[int, dict[str, str], bytes]] = pool.submit(_get, one_at_a_time, HELD)
            _until_a_render_waits()  # the only place is taken
            with session_scope() as session:  # the generation fresh in memory, as a busy server has it
                data_generation(session)
            status, headers, _ = _get(one_at_a_time, TILE)
            assert status == 200 and headers["server-timing"] == "tile;desc=hit"
        assert held.result(timeout=30)[0] == 200


def database_down(database_url: str) -> str:
    """``database_url`` moved to a loopback port where no database listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{port}"))


def test_while_the_database_is_down_tiles_get_a_clean_503(database_url: str) -> None:
    with served({"DATABASE_URL": database_down(database_url), "PISHRAFT_CONNECT_TIMEOUT_S": "2"}) as base:
        assert httpx.get(f"{base}/health", timeout=30).status_code == 503
        for _ in range(2):  # nothing about the first failure is remembered as a tile
            response = httpx.get(f"{base}{HELD}", timeout=30, headers={"Origin": "https://partner.example.org"})
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "database_unavailable"
            assert "try again" in response.json()["error"]["message"]
            assert "psycopg" not in response.text and "Traceback" not in response.text
            assert response.headers["access-control-allow-origin"] == "*"
            assert all(name in response.headers for name in SECURITY)


def test_shutdown_during_a_render_answers_it_then_stops(database_url: str, anonymous: TestClient) -> None:
    from api.app import create_app

    expected = anonymous.get(HELD)
    tile_cache().clear()
    with _uvicorn(create_app()) as (base, server, thread), ThreadPoolExecutor(1) as pool:
        with _renders_held():
            held = pool.submit(_get, base, HELD)
            _until_a_render_waits()
            server.should_exit = True
            deadline = time.monotonic() + 30
            while True:  # new connections are refused once the shutdown has begun
                try:
                    socket.create_connection(_address(base), timeout=1).close()
                except OSError:
                    break
                assert time.monotonic() < deadline, "the server did not begin to shut down"
                time.sleep(0.05)
        status, headers, body = held.result(timeout=30)
        thread.join(30)
        assert not thread.is_alive()
    assert status == 200 and body == expected.content and headers["connection"] == "close"
