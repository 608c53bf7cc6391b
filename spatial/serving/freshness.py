"""What is derived from the boundaries and values, refreshed after they change.

One hook answers "boundaries or data changed": the triggers of migration
``0026_refresh_queue`` mark a level's derived products stale in the transaction that makes
the change (:mod:`spatial.db.refresh_queue`), and the data generation moves on with it.
Until a product is rebuilt, nothing outdated is shown: a stale map coverage is forgotten
(maps draw the exact boundaries) and a level with stale tiles is drawn from its exact
boundaries at every zoom (``Collection.coalesced``). :func:`refresh_stale` rebuilds what is
marked: the stored coverage of each marked level
(:func:`spatial.units.coverage.refresh_coverage`, seconds), then the coalesced tiles of the
marked levels (:func:`spatial.serving.coalesce.refresh_coalesced_tiles`, a minute of CPU at
50,000 neighbourhoods), each product in a transaction of its own under its advisory lock, so
that one process of many does the work. The server runs it in the background after every
data change (a :class:`~spatial.serving.warming.Warmer` of its own, ``PISHRAFT_WARM_CHECK_S``);
``pishraft tiles refresh`` does the tiles' part by hand.

Examples
--------
>>> refresh_stale(session)      # doctest: +SKIP
{'coverage': ('neighbourhood',), 'tiles': ('neighbourhood',)}
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.refresh_queue import Product, stale_marks
from spatial.serving.coalesce import refresh_coalesced_tiles
from spatial.units.coverage import REFRESH_LOCK, refresh_coverage

#: Advisory lock key of a tile refresh ('pishraft coalesced tiles'), one at a time per database.
TILES_LOCK = 7_316_020_402


def refresh_stale(session: Session) -> dict[Product, tuple[str, ...]]:
    """Rebuild every derived product marked stale, committing each; {product: levels rebuilt}.

    A product whose lock another process holds is left to that process (it is rebuilding
    it, and its rebuild starts a new generation, which brings the others here again).
    """
    done: dict[Product, tuple[str, ...]] = {}
    steps: tuple[tuple[Product, int], ...] = (("coverage", REFRESH_LOCK), ("tiles", TILES_LOCK))
    for product, lock in steps:
        levels = tuple(stale_marks(session, product))
        if levels and session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock}).scalar():
            if product == "coverage":
                for level in levels:
                    refresh_coverage(session, level)
            else:
                refresh_coalesced_tiles(session, levels)
            done[product] = levels
        session.commit()
    return done
