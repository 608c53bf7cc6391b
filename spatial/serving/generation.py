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
    """Reads the data state on the event loop, over a few autocommit connections to the primary.

    Every caller gets a state read *after* it asked, so that a change committed before a
    request arrived is always seen; yet callers share reads: all who ask before a read is
    sent share it, so there is about one read per turn of the event loop whatever the load,
    and none waits in a worker thread. Reads overlap (up to :attr:`CONNECTIONS`), so that a
    caller who comes while one is under way does not wait for it to end before its own starts.
    """

    #: Reads in flight at once, each on a connection of its own (opened when first needed).
    CONNECTIONS = 3

    def __init__(self) -> None:
        self._idle: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()
        self._opened = 0
        #: Callers who asked since the last read was sent; a read is on its way for them.
        self._waiting: list[asyncio.Future[DataState]] = []
        self._reads: set[asyncio.Task[None]] = set()

    async def read(self) -> DataState:
        answer: asyncio.Future[DataState] = asyncio.get_running_loop().create_future()
        if not self._waiting:
            read = asyncio.get_running_loop().create_task(self._read_for_waiting())
            self._reads.add(read)  # held, so that the task is not collected while it runs
            read.add_done_callback(self._reads.discard)
        self._waiting.append(answer)
        # Each caller waits on its own answer: one that goes away (a client that hung up) cancels
        # only that, never the read the others share.
        return await answer

    async def _read_for_waiting(self) -> None:
        """Send one read for everyone waiting when it is sent, and answer them all."""
        waiting: list[asyncio.Future[DataState]] = []
        connection: psycopg.AsyncConnection | None = None
        try:
            connection = await self._connection()
            waiting, self._waiting = self._waiting, []
            try:
                row = await (await connection.execute(DATA_STATE_SQL)).fetchone()
            except psycopg.OperationalError:
                # A connection the server dropped while it sat idle (a restart): once more on a new one.
                await self._discard(connection)
                connection = None
                connection = await self._connection()
                row = await (await connection.execute(DATA_STATE_SQL)).fetchone()
        except BaseException as exc:
            if connection is not None:
                await self._discard(connection)
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
        self._idle.put_nowait(connection)
        assert row is not None
        generation, database, cluster = row
        state = (int(generation) if generation is not None else 0, str(database), int(cluster))
        remember_generation(state[0])
        for answer in waiting:
            if not answer.done():
                answer.set_result(state)

    async def _discard(self, connection: psycopg.AsyncConnection) -> None:
        self._opened -= 1
        await connection.close()

    async def _connection(self) -> psycopg.AsyncConnection:
        """An idle connection; a new one while fewer than :attr:`CONNECTIONS` are open."""
        if self._idle.empty() and self._opened < self.CONNECTIONS:
            self._opened += 1
            settings = get_settings()
            try:
                return await psycopg.AsyncConnection.connect(
                    make_url(database_url()).set(drivername="postgresql").render_as_string(hide_password=False),
                    autocommit=True, connect_timeout=settings.connect_timeout_s, application_name="pishraft",
                    prepare_threshold=5 if settings.prepared_statements else None)
            except BaseException:
                self._opened -= 1
                raise
        return await self._idle.get()


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
