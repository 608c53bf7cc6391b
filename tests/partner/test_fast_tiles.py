"""The vector-tile fast path answers exactly what the route answers, from memory when it can."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.db.engine import session_scope
from spatial.serving.generation import forget_generation
from spatial.serving.tile_cache import tile_cache

TILE = "/collections/wells/tiles/WebMercatorQuad/6/25/41"
# A parameter the fast path does not know sends the request to the route, which ignores it.
VIA_ROUTE = "?via=route"


@pytest.fixture(scope="module")
def anonymous(database_url: str) -> Iterator[TestClient]:
    """A client without credentials: anonymous reading is on in the test settings."""
    from api.app import create_app

    with TestClient(create_app()) as c:
        yield c


def _warm_catalogue(client: TestClient) -> None:
    # The route reads the catalogue and remembers it; from then on the fast path may answer.
    assert client.get("/collections/wells/tiles/WebMercatorQuad/2/1/2" + VIA_ROUTE).status_code in (200, 204)


def test_fast_path_answer_equals_the_routes_answer(anonymous: TestClient, wells: str) -> None:
    _warm_catalogue(anonymous)
    tile_cache().clear()
    fast = anonymous.get(TILE)
    tile_cache().clear()
    routed = anonymous.get(TILE + VIA_ROUTE)
    assert fast.status_code == routed.status_code == 200
    assert fast.content == routed.content
    for header in ("etag", "cache-control", "content-type", "vary", "x-content-type-options"):
        assert fast.headers[header] == routed.headers[header], header
    assert fast.headers["server-timing"].startswith("tile;desc=render;dur=")
    assert "server-timing" not in routed.headers


def test_a_second_request_is_a_cache_hit(anonymous: TestClient, wells: str) -> None:
    _warm_catalogue(anonymous)
    tile_cache().clear()
    anonymous.get(TILE)
    again = anonymous.get(TILE)
    assert again.status_code == 200 and again.headers["server-timing"] == "tile;desc=hit"


def test_fast_path_answers_304_to_a_matching_etag(anonymous: TestClient, wells: str) -> None:
    _warm_catalogue(anonymous)
    first = anonymous.get(TILE)
    again = anonymous.get(TILE, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"] and "server-timing" in again.headers


def test_empty_tile_is_204_on_the_fast_path(anonymous: TestClient, wells: str) -> None:
    _warm_catalogue(anonymous)
    empty = anonymous.get("/collections/wells/tiles/WebMercatorQuad/7/0/0")
    assert empty.status_code == 204 and "server-timing" in empty.headers


def test_bad_tiles_fall_through_to_the_routes_errors(anonymous: TestClient, wells: str) -> None:
    _warm_catalogue(anonymous)
    outside = anonymous.get("/collections/wells/tiles/WebMercatorQuad/3/9/0")
    assert outside.status_code == 404 and outside.json()["error"]["field"] == "tileRow"
    unknown = anonymous.get("/collections/wells/tiles/WebMercatorQuad/6/25/41?properties=nope")
    assert unknown.status_code == 400 and "nope" in unknown.json()["error"]["message"]


def test_a_data_change_is_seen_once_the_generation_is_read_again(anonymous: TestClient, wells: str) -> None:
    _warm_catalogue(anonymous)
    before = anonymous.get(TILE)
    with session_scope() as s:
        s.execute(text("UPDATE layer SET version = version + 1 WHERE slug = 'wells'"))
    forget_generation()  # what PISHRAFT_TILE_CACHE_CHECK_S seconds of waiting does
    after = anonymous.get(TILE)
    assert after.status_code == 200 and after.content == before.content
    # The generation moved: the tile is not served from the old cache entry.
    assert after.headers.get("server-timing") != "tile;desc=hit"
