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
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from spatial.db.engine import database_url
from spatial.db.generation import DATA_STATE_SQL, GENERATION_SQL, DataState, read_generation
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
    """Reads the data state on the event loop, over one autocommit connection to the primary.

    Every caller gets a state read *after* it asked, so that a change committed before a
    request arrived is always seen; yet callers share reads: those that ask while a read is
    under way share the next one, so there is at most one read in flight whatever the load
    (a read per event-loop turn, not per request), and none waits in a worker thread.
    """

    def __init__(self) -> None:
        self._connection: psycopg.AsyncConnection | None = None
        self._next: asyncio.Future[DataState] | None = None
        self._reading: asyncio.Task[None] | None = None

    async def read(self) -> DataState:
        loop = asyncio.get_running_loop()
        if self._next is None:
            self._next = loop.create_future()
        waiting = self._next
        if self._reading is None:
            self._reading = loop.create_task(self._read_for_waiting())
        # One caller going away (a client that hung up) must not cancel the read the others share.
        return await asyncio.shield(waiting)

    async def _read_for_waiting(self) -> None:
        """Read for those waiting now; then again for any who came meanwhile, until none."""
        try:
            while self._next is not None:
                waiting, self._next = self._next, None
                try:
                    waiting.set_result(await self._query())
                except Exception as exc:  # every caller of this read hears of the failure
                    waiting.set_exception(exc)
                    waiting.exception()  # heard: a read nobody waits for any more is not an unretrieved error
        finally:
            self._reading = None

    async def _query(self) -> DataState:
        try:
            if self._connection is None or self._connection.closed:
                settings = get_settings()
                self._connection = await psycopg.AsyncConnection.connect(
                    make_url(database_url()).set(drivername="postgresql").render_as_string(hide_password=False),
                    autocommit=True, connect_timeout=settings.connect_timeout_s, application_name="pishraft",
                    prepare_threshold=5 if settings.prepared_statements else None)
            row = await (await self._connection.execute(DATA_STATE_SQL)).fetchone()
        except psycopg.OperationalError as exc:
            if self._connection is not None:
                await self._connection.close()
            self._connection = None
            raise DatabaseUnavailable("The database is not reachable right now; try again shortly.") from exc
        assert row is not None
        generation, database, cluster = row
        state = (int(generation) if generation is not None else 0, str(database), int(cluster))
        remember_generation(state[0])
        return state


_readers: RunVar[_LoopStateReader] = RunVar("pishraft_state_reader")


async def fresh_data_state() -> DataState:
    """The data state (:func:`spatial.db.generation.read_data_state`) of the primary, read on the
    running event loop after this call: no worker thread, and one read shared by every caller
    waiting at the same time (see :class:`_LoopStateReader`)."""
    try:
        reader = _readers.get()
    except LookupError:
        reader = _LoopStateReader()
        _readers.set(reader)
    return await reader.read()
