"""The data generation number, as stored: changed by triggers whenever published data changes.

Statement-level triggers (migration ``0005_partner``) set ``pishraft_meta['data_generation']``
to a fresh number whenever ``admin_unit``, ``indicator``, ``indicator_value`` or ``layer``
change, so anything computed from those tables can be cached under it. The serving
room's :mod:`spatial.serving.generation` adds the process-wide memory of the last read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

V = TypeVar("V")

#: The scalar query of the generation number (also embedded in the tile statement).
GENERATION_SQL = "SELECT value::bigint FROM pishraft_meta WHERE key = 'data_generation'"

#: The generation with the identity of the database it belongs to, in one round trip: two
#: databases (or two clusters) can stand at the same number, and a process that uses both
#: (tests, scratch clusters) must not be handed one's values for the other. A streaming
#: replica shares its primary's ``system_identifier`` and name, so the two share entries.
DATA_STATE_SQL = (f"SELECT ({GENERATION_SQL}), current_database(), "
                  "(SELECT system_identifier FROM pg_control_system())")

#: What a cached value was computed from: (generation, database name, cluster identifier).
DataState = tuple[int, str, int]


def read_generation(session: Session) -> int:
    """The generation number as ``session`` sees it, straight from the database."""
    value = session.execute(text(GENERATION_SQL)).scalar()
    return int(value) if value is not None else 0


def read_data_state(session: Session) -> DataState:
    """The generation number with the name and cluster of the database ``session`` reads."""
    generation, database, cluster = session.execute(text(DATA_STATE_SQL)).one()
    return (int(generation) if generation is not None else 0, str(database), int(cluster))


class GenerationCache(Generic[V]):
    """A small least-recently-used memory of values computed from published data.

    Entries are keyed by the data generation as well as the caller's key, so any change
    to units, indicators, their values, index scores or layers makes them unreachable (a
    rolled-back change's number is never seen committed); and by the database's name and
    cluster, so another database at the same generation never sees them. Safe to share between threads:
    a value asked for by several threads at once is computed by the first, and the others
    wait for it (a level of 50,000 units is then computed once, not once per request).

    Examples
    --------
    >>> advantages_by_level: GenerationCache[dict] = GenerationCache(size=8)
    >>> # advantages_by_level.get(session, ("county", "2024"), lambda: compute(...))
    >>> pages: GenerationCache[bytes] = GenerationCache(size=64 << 20, weigh=len)  # 64 MB of bodies
    """

    def __init__(self, size: int, weigh: Callable[[V], int] | None = None) -> None:
        #: At most this many entries; with ``weigh``, at most this much weight (bytes, say) in all.
        self.size = size
        self._weigh = weigh
        self._weight = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[DataState, Hashable], V] = OrderedDict()
        self._computing: dict[tuple[DataState, Hashable], threading.Lock] = {}

    def get(self, session: Session, key: Hashable, compute: Callable[[], V]) -> V:
        """The value under ``key`` at the generation ``session`` sees, computed once."""
        return self.get_at(read_data_state(session), key, compute)

    def get_at(self, state: DataState, key: Hashable, compute: Callable[[], V]) -> V:
        """The value under ``key`` at ``state``, a :func:`read_data_state` the caller read itself
        (to key other things by it too), computed once."""
        full_key = (state, key)
        with self._lock:
            hit = self._hit(full_key)
            if hit is not None:
                return hit
            computing = self._computing.setdefault(full_key, threading.Lock())
        with computing:
            with self._lock:
                hit = self._hit(full_key)  # computed by another thread while this one waited
            if hit is not None:
                return hit
            try:
                value = compute()
                with self._lock:
                    self._store(full_key, value)
            finally:
                with self._lock:
                    self._computing.pop(full_key, None)
        return value

    def peek(self, state: DataState, key: Hashable) -> V | None:
        """The value under ``key`` at ``state`` if it is kept, computing nothing (and touching no database)."""
        with self._lock:
            return self._hit((state, key))

    def _store(self, full_key: tuple[DataState, Hashable], value: V) -> None:
        # Called with the lock held. Least recently used entries go first, until the entries
        # (or their weight) fit; a value heavier than the whole cache is not kept at all.
        replaced = self._entries.pop(full_key, None)
        if replaced is not None:
            self._weight -= self._weight_of(replaced)
        self._entries[full_key] = value
        self._weight += self._weight_of(value)
        while self._entries and (self._weight if self._weigh else len(self._entries)) > self.size:
            _, dropped = self._entries.popitem(last=False)
            self._weight -= self._weight_of(dropped)

    def _weight_of(self, value: V) -> int:
        return self._weigh(value) if self._weigh else 0

    def _hit(self, full_key: tuple[DataState, Hashable]) -> V | None:
        # Called with the lock held.
        hit = self._entries.get(full_key)
        if hit is not None:
            self._entries.move_to_end(full_key)
        return hit
