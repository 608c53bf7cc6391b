"""The database: the one way to reach it, and everything that sets it up.

:mod:`~spatial.db.engine` (engine and sessions, ``session_scope``), :mod:`~spatial.db.loop_reads`
(a few autocommit connections for reads awaited on the server's event loop: vector tiles),
:mod:`~spatial.db.routing` (which server a session goes to: replicas for reads, the
primary for writes, read-your-writes), :mod:`~spatial.db.replication` (WAL positions and
replay lag as PostgreSQL reports them), :mod:`~spatial.db.embedded` (the private
PostgreSQL + PostGIS cluster under ``$PISHRAFT_HOME``) with :mod:`~spatial.db.replicas`
(its hot standbys), :mod:`~spatial.db.migrate` with the Alembic ``migrations`` folder, and
:mod:`~spatial.db.bulk` (COPY, the fast path for writing many rows; binary fetches for
reading them), :mod:`~spatial.db.generation` (the number that changes with published
data) and :mod:`~spatial.db.refresh_queue` (which derived products a change made stale). It may import only
:mod:`spatial.settings`, :mod:`spatial.errors` and :mod:`spatial.models`; every other room
imports it.
"""
