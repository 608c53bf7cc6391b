"""The data generation: one number that changes whenever published data changes.

Statement-level triggers (migration ``0005_partner``) set ``pishraft_meta['data_generation']``
to a fresh number from a sequence whenever ``admin_unit``, ``indicator``,
``indicator_value`` or ``layer`` (a replaced layer bumps ``layer.version``) change. The
collection catalogue and the tile cache are keyed by it, so a change invalidates them
in every worker without any message passing.

Reading it is one indexed row, done by every request that goes to the database
anyway (:func:`data_generation`), so those always see the committed catalogue. Only
the tile route, which answers cache hits without the database, trusts the number
remembered from the last read for up to ``PISHRAFT_TILE_CACHE_CHECK_S`` seconds
(default 1 s, :func:`remembered_generation`): a cached tile may outlive a change by
that long.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy.orm import Session

from spatial.db.generation import GENERATION_SQL, read_generation
from spatial.settings import get_settings

__all__ = ["GENERATION_SQL", "data_generation", "forget_generation", "read_generation", "remember_generation",
           "remembered_generation"]

_lock = threading.Lock()
_last: tuple[float, int] | None = None  # (monotonic time read, generation)


def remember_generation(generation: int) -> None:
    """Note ``generation`` as just read from the database (by any means).

    The number never goes back because of a read replica: a smaller one than was read less
    than ``PISHRAFT_REPLICA_MAX_LAG_S`` ago comes from a replica that has not replayed the
    change yet, and is not remembered (a restored database's smaller number is, after that).
    """
    global _last
    now = time.monotonic()
    with _lock:
        if _last is not None and generation < _last[1] and now - _last[0] < get_settings().replica_max_lag_s:
            return
        _last = (now, generation)


def data_generation(session: Session) -> int:
    """The committed generation number, read now and remembered for the tile route's cache hits."""
    generation = read_generation(session)
    remember_generation(generation)
    return generation


def remembered_generation() -> int | None:
    """The generation read less than ``tile_cache_check_s`` ago, or ``None`` (no database access)."""
    last = _last
    if last is not None and time.monotonic() - last[0] < get_settings().tile_cache_check_s:
        return last[1]
    return None


def forget_generation() -> None:
    """Drop the remembered number, so the next call reads the database (after local writes, in tests)."""
    global _last
    with _lock:
        _last = None
