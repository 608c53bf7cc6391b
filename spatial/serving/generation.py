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
that long. The items route reads it afresh on the event loop instead (:func:`fresh_data_state`),
one read for every request waiting at once, so that its cached pages never outlive a change.
"""

from __future__ import annotations

import asyncio
import threading
import time

import psycopg
from anyio.lowlevel import RunVar
from sqlalchemy.orm import Session

from spatial.db.generation import DATA_STATE_SQL, GENERATION_SQL, DataState, read_generation
from spatial.db.loop_reads import LoopConnections
from spatial.errors import DatabaseUnavailable
from spatial.settings import get_settings

__all__ = ["GENERATION_SQL", "data_generation", "forget_generation", "fresh_data_state", "read_generation",
           "remember_generation", "remembered_generation"]

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


class _LoopStateReader:
    """Reads the data state on the event loop, over the loop's connections to the primary
    (:mod:`spatial.db.loop_reads`).

    Every caller gets a state read *after* it asked, so that a change committed before a
    request arrived is always seen; yet callers share reads: all who ask before a read is
    sent share it, so there is about one read per turn of the event loop whatever the load,
    and none waits in a worker thread. Reads overlap (up to :attr:`CONNECTIONS`), so that a
    caller who comes while one is under way does not wait for it to end before its own starts.
    """

    #: Reads in flight at once, each on a connection of its own.
    CONNECTIONS = 3

    def __init__(self) -> None:
        self._slots = asyncio.Semaphore(self.CONNECTIONS)
        #: Callers who asked since the last read was sent; a read is on its way for them.
        self._waiting: list[asyncio.Future[DataState]] = []
        self._reads: set[asyncio.Task[None]] = set()

    async def read(self, reads: LoopConnections) -> DataState:
        answer: asyncio.Future[DataState] = asyncio.get_running_loop().create_future()
        if not self._waiting:
            read = asyncio.get_running_loop().create_task(self._read_for_waiting(reads))
            self._reads.add(read)  # held, so that the task is not collected while it runs
            read.add_done_callback(self._reads.discard)
        self._waiting.append(answer)
        # Each caller waits on its own answer: one that goes away (a client that hung up) cancels
        # only that, never the read the others share.
        return await answer

    async def _read_for_waiting(self, reads: LoopConnections) -> None:
        """Send one read for everyone waiting when it is sent, and answer them all."""
        waiting: list[asyncio.Future[DataState]] = []
        try:
            async with self._slots:
                waiting, self._waiting = self._waiting, []
                try:
                    row = await reads.fetch_one(DATA_STATE_SQL)
                except psycopg.OperationalError:
                    # A connection the server dropped while it sat idle (a restart; it is closed
                    # now): once more, on another.
                    row = await reads.fetch_one(DATA_STATE_SQL)
        except BaseException as exc:
            if not waiting:
                waiting, self._waiting = self._waiting, []
            error = (DatabaseUnavailable("The database is not reachable right now; try again shortly.")
                     if isinstance(exc, psycopg.OperationalError) else exc)
            for answer in waiting:
                if not answer.done():
                    answer.set_exception(error)
            if not isinstance(exc, Exception):
                raise  # cancelled (the loop is closing): those waiting heard of it above
            return
        assert row is not None
        generation, database, cluster = row
        state = (int(generation) if generation is not None else 0, str(database), int(cluster))
        remember_generation(state[0])
        for answer in waiting:
            if not answer.done():
                answer.set_result(state)


_readers: RunVar[_LoopStateReader] = RunVar("pishraft_state_reader")


async def fresh_data_state(reads: LoopConnections) -> DataState:
    """The data state (:func:`spatial.db.generation.read_data_state`) of the primary, read over
    ``reads`` on the running event loop after this call: no worker thread, and one read shared by
    every caller waiting at the same time (see :class:`_LoopStateReader`)."""
    try:
        reader = _readers.get()
    except LookupError:
        reader = _LoopStateReader()
        _readers.set(reader)
    return await reader.read(reads)
