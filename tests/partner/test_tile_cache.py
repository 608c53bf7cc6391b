"""The tile cache: LRU in memory, optional disk tier, invalidation by layer version."""

from __future__ import annotations

from pathlib import Path

import mapbox_vector_tile
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.db.engine import session_scope
from spatial.serving.generation import forget_generation
from spatial.serving.tile_cache import TileCache, strong_etag

WELLS_TILE = "/collections/wells/tiles/WebMercatorQuad/6/25/41"  # holds the whole test grid


def test_memory_cache_returns_what_was_put_with_its_etag() -> None:
    cache = TileCache(max_bytes=1 << 20)
    cache.put((1, "c", 1, "mvt", 3, 2, 5, ()), b"tile")
    hit = cache.get((1, "c", 1, "mvt", 3, 2, 5, ()))
    assert hit is not None and hit.body == b"tile" and hit.etag == strong_etag(b"tile")
    assert cache.get((2, "c", 1, "mvt", 3, 2, 5, ())) is None  # another generation


def test_memory_cache_evicts_the_least_recently_used_when_full() -> None:
    cache = TileCache(max_bytes=3 * (1000 + 64))
    for i in range(4):
        cache.put((1, "c", 1, "mvt", 9, i, 0, ()), b"x" * 1000)
    assert cache.get((1, "c", 1, "mvt", 9, 0, 0, ())) is None
    assert cache.get((1, "c", 1, "mvt", 9, 3, 0, ())) is not None


def test_disk_tier_survives_a_restart_and_drops_old_generations(tmp_path: Path) -> None:
    TileCache(1 << 20, tmp_path).put((1, "c", 1, "mvt", 3, 2, 5, ()), b"old")
    restarted = TileCache(1 << 20, tmp_path)
    assert restarted.get((1, "c", 1, "mvt", 3, 2, 5, ())).body == b"old"  # type: ignore[union-attr]
    restarted.put((2, "c", 1, "mvt", 3, 2, 5, ()), b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["g2"]


def test_replacing_a_layer_invalidates_its_cached_tiles(client: TestClient, wells: str) -> None:
    before = client.get(WELLS_TILE)
    names = {f["properties"]["name"] for f in mapbox_vector_tile.decode(before.content)["wells"]["features"]}
    assert "renamed well" not in names
    with session_scope() as s:  # what a layer replacement does: new rows, version + 1
        s.execute(text("UPDATE layers.test_wells SET name = 'renamed well' WHERE fid = 1"))
        s.execute(text("UPDATE layer SET version = version + 1 WHERE slug = 'wells'"))
    try:
        forget_generation()
        after = client.get(WELLS_TILE, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        names = {f["properties"]["name"] for f in mapbox_vector_tile.decode(after.content)["wells"]["features"]}
        assert "renamed well" in names
    finally:
        with session_scope() as s:
            s.execute(text("UPDATE layers.test_wells SET name = 'well 1' WHERE fid = 1"))
            s.execute(text("UPDATE layer SET version = version + 1 WHERE slug = 'wells'"))


def test_concurrent_misses_on_one_tile_render_it_once() -> None:
    import threading
    import time

    cache = TileCache(max_bytes=1 << 20)
    renders = []

    def render() -> bytes:
        renders.append(1)
        time.sleep(0.2)
        return b"tile"

    threads = [threading.Thread(target=cache.get_or_render, args=((1, "c", 1, "mvt", 3, 2, 5, ()), render))
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(renders) == 1
