"""The collection catalogue holds one object per collection for as long as it is unchanged.

Caches on the tile path are keyed by collection objects; equal but distinct objects
would make every lookup compare all their properties.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from spatial.serving import collections
from spatial.db.engine import session_scope
from spatial.serving.generation import forget_generation


def _read() -> dict[str, collections.Collection]:
    forget_generation()
    with session_scope() as session:
        return collections.catalogue(session)


def _bump_generation() -> None:
    with session_scope() as session:
        session.execute(text("UPDATE pishraft_meta SET value = to_jsonb(nextval('pishraft_data_generation')) "
                             "WHERE key = 'data_generation'"))


def test_concurrent_first_reads_share_one_set_of_collections(database_url: str) -> None:
    _bump_generation()  # nobody holds this generation's catalogue yet
    with ThreadPoolExecutor(4) as pool:
        read = list(pool.map(lambda _: _read(), range(4)))
    assert all(r["counties"] is read[0]["counties"] for r in read)


def test_unchanged_collections_keep_their_identity_in_a_new_generation(database_url: str) -> None:
    before = _read()["counties"]
    _bump_generation()
    after = _read()
    assert collections.remembered_collection("counties", collections._cached[0]) is after["counties"]
    assert after["counties"] is before
