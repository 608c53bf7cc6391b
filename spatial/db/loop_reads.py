"""Reads on the event loop: a few autocommit psycopg connections to the primary.

The vector-tile path (:mod:`api.tile_path`) renders a tile with one statement; awaiting it
on the server's event loop costs nothing, while a worker thread and an ORM session around
it cost more than a small tile's render (a thread hop each way, the session's setup). This
holds the idle connections of that path, one event loop's worth; the items route reads the
data state over them too (:func:`spatial.serving.generation.fresh_data_state`).

Why not :class:`psycopg_pool.AsyncConnectionPool`: when the database is down, a pool keeps
a request waiting for its whole timeout while it retries in the background; here a connect
that fails fails at once, so the caller can hand the request to the ordinary path, which
answers 503 at once. How many connections are in use is bounded by the caller (the server's
concurrency limit); at most ``keep`` idle ones are kept.

Only a server without read replicas uses it (:func:`loop_connections`): with replicas, reads
are spread by :mod:`spatial.db.routing`, whose checks are synchronous.

Examples
--------
>>> reads = LoopConnections("host=127.0.0.1 dbname=pishraft", {}, keep=4)   # doctest: +SKIP
>>> await reads.fetch_one("SELECT 1", {})                                    # doctest: +SKIP
(1,)
"""

from __future__ import annotations

import asyncio
from typing import Any

from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from sqlalchemy.engine import make_url

from spatial.db.engine import connect_args, database_url, read_router


class LoopConnections:
    """Idle autocommit connections to one server, reused last-in first-out on one event loop."""

    def __init__(self, conninfo: str, kwargs: dict[str, Any], keep: int) -> None:
        self.conninfo, self.kwargs, self.keep = conninfo, kwargs, keep
        self._idle: list[AsyncConnection[Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def fetch_one(self, statement: str, params: dict[str, Any] | None = None, *,
                        binary: bool = False) -> tuple[Any, ...] | None:
        """The first row of ``statement`` run with ``params`` on an idle connection, or a new one
        (raises :class:`psycopg.OperationalError` when the server does not answer); the connection
        is kept for reuse afterwards unless it broke."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections wait on the loop they were made on
            self._loop = loop
            await self.close()
        connection = self._idle.pop() if self._idle else await AsyncConnection.connect(
            self.conninfo, autocommit=True, **self.kwargs)
        try:
            cursor = await connection.execute(statement, params, binary=binary)
            return await cursor.fetchone()
        finally:
            if (len(self._idle) < self.keep and not connection.closed
                    and connection.info.transaction_status == TransactionStatus.IDLE):
                self._idle.append(connection)
            else:
                await connection.close()

    async def close(self) -> None:
        """Close the idle connections (at the server's shutdown, or once used from another event loop)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


def loop_connections(keep: int) -> LoopConnections | None:
    """Connections to the primary for reads on the event loop; ``None`` when read replicas
    are configured (their reads go through the router and its replay checks)."""
    if read_router().replicas:
        return None
    url = make_url(database_url()).set(drivername="postgresql")
    return LoopConnections(url.render_as_string(hide_password=False), connect_args(), keep)
