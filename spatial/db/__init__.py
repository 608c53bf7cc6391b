"""The database: the one way to reach it, and everything that sets it up.

:mod:`~spatial.db.engine` (engine and sessions, ``session_scope``),
:mod:`~spatial.db.embedded` (the private PostgreSQL + PostGIS cluster under
``$PISHRAFT_HOME``), :mod:`~spatial.db.migrate` with the Alembic ``migrations`` folder, and
:mod:`~spatial.db.bulk` (COPY, the fast path for writing many rows; binary fetches for
reading them) and :mod:`~spatial.db.generation` (the number that changes with published
data). It may import only
:mod:`spatial.settings`, :mod:`spatial.errors` and :mod:`spatial.models`; every other room
imports it.
"""
