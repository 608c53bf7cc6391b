"""Which server a read goes to, and the tile cache's generation under lagging replicas."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.replication import Replay, lsn_int, lsn_text
from spatial.db.routing import PRIMARY, ReadNode, ReadRouter
from spatial.serving import generation, tiles
from spatial.serving.collections import get_collection
from spatial.serving.tile_cache import tile_cache


def router(*names: str, max_lag_s: float = 10.0) -> ReadRouter:
    return ReadRouter(replicas=[ReadNode(n, f"postgresql+psycopg://{n}/db") for n in names],
                      primary=ReadNode(PRIMARY, "postgresql+psycopg://primary/db"),
                      max_lag_s=max_lag_s, retry_s=60.0, check_s=1.0)


@pytest.mark.parametrize("text_lsn", ["0/0", "0/3000148", "16/B374D848", "FFFFFFFF/FFFFFFFF"])
def test_wal_positions_round_trip_and_compare_as_integers(text_lsn: str) -> None:
    value = lsn_int(text_lsn)
    assert value is not None and lsn_text(value) == text_lsn
    assert lsn_int("0/3000149") > lsn_int("0/3000148") > lsn_int("0/FFFFFF")  # type: ignore[operator]


@pytest.mark.parametrize("junk", [None, "", "3000148", "0/", "x/1", "0/3000148; drop table"])
def test_anything_else_is_no_position(junk: str | None) -> None:
    assert lsn_int(junk) is None


def test_reads_take_the_replicas_in_turn_then_the_primary() -> None:
    r = router("a", "b", "c")
    firsts = [r.order()[0].name for _ in range(6)]
    assert firsts == ["a", "b", "c", "a", "b", "c"]
    assert [n.name for n in r.order()][-1] == PRIMARY


def test_a_replica_that_did_not_answer_is_left_out_for_a_while() -> None:
    r = router("a", "b")
    r.leave_out(r.replicas[0])
    assert [n.name for n in r.order()] in (["b", PRIMARY],)
    r.replicas[0].down_until = time.monotonic() - 1  # the retry time has passed
    assert "a" in [n.name for n in r.order()]


def test_a_replica_serves_only_within_the_lag_limit_and_after_the_readers_last_write() -> None:
    r = router("a", max_lag_s=5.0)
    node = r.replicas[0]
    assert not r.serves(node, None)  # never checked
    r.note(node, Replay(in_recovery=True, lsn=1000, lag_s=1.0))
    assert r.serves(node, None) and r.serves(node, 1000)
    assert not r.serves(node, 1001)
    assert r.needs_check(node, 1001) and not r.needs_check(node, 1000)
    r.note(node, Replay(in_recovery=True, lsn=2000, lag_s=6.0))
    assert not r.serves(node, None)
    r.note(node, Replay(in_recovery=False, lsn=3000, lag_s=0.0))  # promoted: no longer a read replica
    assert not r.serves(node, None)
    assert r.serves(r.primary, 10**9) and not r.needs_check(r.primary, 10**9)


def test_the_remembered_generation_does_not_go_back_for_a_lagging_replica() -> None:
    generation.forget_generation()  # a real generation remembered by an earlier test would outrank 100
    generation.remember_generation(100)
    generation.remember_generation(99)  # a replica that has not replayed the change
    assert generation.remembered_generation() == 100
    generation.remember_generation(101)
    assert generation.remembered_generation() == 101
    generation.forget_generation()


def test_a_tile_rendered_on_data_older_than_the_remembered_generation_is_cached_under_its_own(
        session: Session) -> None:
    collection = get_collection(session, "provinces")
    seen = int(session.execute(text(generation.GENERATION_SQL)).scalar_one())
    tile_cache().clear()
    generation.remember_generation(seen + 5)  # as another request read on the primary
    try:
        tile, rendered = tiles.cached_vector_tile(session, collection, 4, 6, 10)
        assert rendered and tile.body
        newer = tiles.mvt_key(seen + 5, collection, 4, 6, 10, None)
        own = tiles.mvt_key(seen, collection, 4, 6, 10, None)
        assert tile_cache().get(newer) is None and tile_cache().get(own) is not None
    finally:
        generation.forget_generation()
        tile_cache().clear()
