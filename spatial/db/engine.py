"""Engine and sessions: the one way to reach the database.

:func:`session_scope` and :func:`read_session` open their session on the server that
:mod:`spatial.db.routing` picks: inside a request that only reads, a replica when one is
configured (``DATABASE_READ_URLS``, or the embedded replicas), else the primary in a
read-only transaction; everywhere else, the primary. After a request's writes commit, the
primary's WAL position is noted on the request (read-your-writes).

Examples
--------
>>> from spatial.db.engine import session_scope
>>> with session_scope() as session:          # doctest: +SKIP
...     session.execute(text("select 1"))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from spatial.db import routing
from spatial.db.replication import COMMIT_LSN_SQL, REPLAY_SQL, Replay, lsn_int
from spatial.errors import DatabaseUnavailable, NotSaved
from spatial.settings import get_settings

log = logging.getLogger("pishraft.db")

#: What a failed connection raises, however it surfaces (a refused first connection is psycopg's own).
UNREACHABLE = (DatabaseUnavailable, OperationalError, psycopg.OperationalError)


def database_url() -> str:
    """The SQLAlchemy URL in use: ``DATABASE_URL`` or the embedded cluster's."""
    settings = get_settings()
    if settings.database_url:
        return _psycopg_url(settings.database_url)
    return _embedded_url(settings.home.resolve())


def connect_args() -> dict[str, object]:
    """psycopg's connection arguments of every Pishraft connection (timeouts, name, prepared statements)."""
    settings = get_settings()
    args: dict[str, object] = {"connect_timeout": settings.connect_timeout_s, "application_name": "pishraft"}
    if settings.prepared_statements:
        args["options"] = f"-c statement_timeout={settings.statement_timeout_ms}"
    else:
        # Behind a transaction-mode pooler: no server-side prepared statements, and no
        # startup options (PgBouncer refuses them; it sets the timeout on its server connections).
        args["prepare_threshold"] = None
    return args


@lru_cache(maxsize=4)
def _embedded_url(home: Path) -> str:
    # Resolved once per process: checking the cluster (a `pg_ctl status` subprocess) on
    # every session cost several milliseconds per request, and restarting a cluster
    # that was stopped on purpose is not the API's job; while it is down, requests get 503.
    from spatial.db.embedded import EmbeddedPostgis

    return EmbeddedPostgis(home).url()


#: A pooled connection unused for longer than this is pinged before it is handed out.
PING_IDLE_S = 1.0


@lru_cache(maxsize=8)
def _engine_for(url: str, ping_idle_s: float = PING_IDLE_S) -> Engine:
    settings = get_settings()
    engine = create_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_timeout=settings.pool_timeout_s,
        pool_recycle=1800,
        connect_args=connect_args(),
    )
    _ping_when_idle(engine, ping_idle_s)

    @event.listens_for(engine, "handle_error")
    def _unavailable(context) -> None:  # type: ignore[no-untyped-def]
        # A lost connection becomes a domain error the API maps to 503.
        # (A refused first connection arrives as psycopg's own OperationalError.)
        if context.is_disconnect or isinstance(context.original_exception, OperationalError | psycopg.OperationalError):
            if context.is_disconnect or "connect" in str(context.original_exception).lower():
                raise DatabaseUnavailable(
                    "The database is not reachable right now; try again shortly."
                ) from context.original_exception

    return engine


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    """Check a pooled connection with a round trip before use only when it sat idle for
    ``idle_s``: a restarted or lost server is then noticed before a request fails
    (the pool takes a fresh connection instead), while a busy pool, whose connections went
    back moments ago, pays no ping per checkout (``pool_pre_ping`` cost a round trip per
    tile). A connection to the primary that fails in use is a 503 once and makes the pool
    drop every connection older than the failure; replicas are pinged at every checkout
    (``idle_s`` 0), so that a replica that stopped costs no read: the router goes on to the
    next server (:func:`_try_connect`)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, proxy) -> None:  # type: ignore[no-untyped-def]
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_s:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises for a dead connection
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("the connection did not answer a ping")


def driver_connection(session: Session) -> psycopg.Connection[Any]:
    """psycopg's connection under ``session``'s transaction: for COPY and for SQL composed
    with :mod:`psycopg.sql` (identifiers quoted by psycopg, never by hand)."""
    return cast(psycopg.Connection[Any], session.connection().connection.driver_connection)


def get_engine() -> Engine:
    """The process-wide engine for :func:`database_url`."""
    return _engine_for(database_url())


@lru_cache(maxsize=4)
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=_engine_for(url), expire_on_commit=False)


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for read-only work in autocommit mode: no BEGIN/COMMIT round trips.

    Each statement sees the data committed when it starts; use it only where that is
    enough (tile rendering), and :func:`session_scope` for everything else. Inside a
    read-only request it reads from a replica, as :func:`session_scope` does.
    """
    state = routing.current()
    if state is not None and state.reads_only:
        connection = _read_connection(state)
    else:
        connection = get_engine().connect()
    with connection.execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        session = Session(bind=autocommit)
        try:
            yield session
        finally:
            session.close()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session whose work is one transaction: committed on success, rolled back on error.

    In a request that only reads, the transaction is read-only, on a replica when one
    serves (see :mod:`spatial.db.routing`); everywhere else it is on the primary.
    """
    state = routing.current()
    if state is not None and state.reads_only:
        with _ReadSession(state) as read:
            try:
                yield read
                read.commit()
            except BaseException:
                read.rollback()
                raise
        return
    session = _session_factory(database_url())()
    began = False
    try:
        yield session
        # A session that never touched the database (a credential check answered from
        # memory) committed nothing: no WAL position to wait for, no round trip to the primary.
        began = session.in_transaction()
        _commit(session)
    except DatabaseUnavailable as exc:
        session.rollback()
        if state is None or not read_router().replicas:
            raise
        raise DatabaseUnavailable("The primary database is not reachable, so changes cannot be saved right now; "
                                  "reading goes on from the replicas. Try again shortly.") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if state is not None and began:
        _note_commit_lsn(state)


def unconnected(session: Session) -> bool:
    """Whether ending ``session`` needs no database work: a read-only request's session
    that never took its connection (a write's session may still owe a round trip for the
    commit position, so it never counts)."""
    return isinstance(session, _ReadSession) and session._read is None


# -- reads on replicas --------------------------------------------------------------------
def read_urls() -> list[tuple[str, str]]:
    """The replicas reads may go to, as (name, SQLAlchemy URL): ``DATABASE_READ_URLS`` with
    ``DATABASE_URL``, else the embedded cluster's replicas."""
    settings = get_settings()
    if settings.database_url:
        return [(f"replica{i}", _psycopg_url(url)) for i, url in enumerate(settings.read_urls, start=1)]
    from spatial.db.replicas import list_replicas, replica_urls

    home = settings.home.resolve()
    return list(zip((r.name for r in list_replicas(home)), replica_urls(home), strict=True))


def read_router() -> routing.ReadRouter:
    """This process's router over the primary and the replicas (made once per configuration)."""
    settings = get_settings()
    # The embedded cluster's home only matters without DATABASE_URL (resolving it is file
    # system calls, on every read connection).
    home = None if settings.database_url else settings.home.resolve()
    return _router_for(settings.database_url, settings.database_read_urls, home,
                       settings.replica_max_lag_s, settings.replica_retry_s, settings.replica_check_s)


@lru_cache(maxsize=4)
def _router_for(database_url_setting: str | None, read_urls_setting: str | None, home: Path | None, max_lag_s: float,
                retry_s: float, check_s: float) -> routing.ReadRouter:
    # Keyed by the settings it derives from: the embedded replicas are looked up on disk once.
    return routing.ReadRouter(replicas=[routing.ReadNode(name, url) for name, url in read_urls()],
                              primary=routing.ReadNode(routing.PRIMARY, database_url()),
                              max_lag_s=max_lag_s, retry_s=retry_s, check_s=check_s)


class _ReadSession(Session):
    """The session of a read-only request. It takes its connection (:func:`_read_connection`)
    on first use: a request answered from memory, such as a cached tile behind the key
    check, then costs no pool checkout and no round trip to the database."""

    def __init__(self, state: routing.RequestRouting) -> None:
        super().__init__(expire_on_commit=False)
        self._state = state
        self._read: Connection | None = None

    def get_bind(self, mapper: Any = None, **kwargs: Any) -> Connection:
        if self._read is None:
            self._read = _read_connection(self._state)
        return self._read

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._read is not None:
                self._read.close()
                self._read = None


def _read_connection(state: routing.RequestRouting) -> Connection:
    """A connection for a read-only request: the first server of :meth:`ReadRouter.order`
    that answers and may serve it, else any replica that answers; notes which on ``state``."""
    router = read_router()
    for node in router.order():
        connection = _try_connect(router, node, state.min_lsn)
        if connection is None:
            continue
        if router.serves(node, state.min_lsn):
            state.served_by = node.name
            # On the primary, a read-only transaction: a read request that writes fails
            # here as it would on a replica, not only once replicas are added.
            return connection.execution_options(postgresql_readonly=True) if node.is_primary else connection
        connection.close()
    for node in router.last_resort():  # the primary is down: stale data beats no answer
        connection = _try_connect(router, node, None)
        if connection is not None:
            state.served_by = node.name
            return connection
    raise DatabaseUnavailable("The database is not reachable right now"
                              + (" (neither the primary nor any replica)" if router.replicas else "")
                              + "; try again shortly.")


def _try_connect(router: routing.ReadRouter, node: routing.ReadNode, min_lsn: int | None) -> Connection | None:
    """A connection to ``node`` with its replay state fresh enough, or ``None`` (and the node
    left out for a while) when it does not answer."""
    try:
        connection = (_engine_for(node.url) if node.is_primary else _engine_for(node.url, 0.0)).connect()
        try:
            if router.needs_check(node, min_lsn):
                row = connection.exec_driver_sql(REPLAY_SQL).one()
                connection.rollback()
                router.note(node, Replay.from_row(tuple(row)))
        except BaseException:
            connection.close()
            raise
    except UNREACHABLE:
        if router.replicas:  # with nowhere else to read, the primary is simply tried again next time
            log.warning("%s does not answer; reads go elsewhere for %.0f s", node.name, router.retry_s)
            router.leave_out(node)
        return None
    return connection


def _note_commit_lsn(state: routing.RequestRouting) -> None:
    """Remember on the request the primary's WAL position now that its writes committed."""
    if not read_router().replicas:
        return
    try:
        with get_engine().connect() as connection:
            lsn = lsn_int(connection.exec_driver_sql(COMMIT_LSN_SQL).scalar())
    except UNREACHABLE:
        log.warning("could not read the primary's WAL position after a commit", exc_info=True)
        return
    if lsn is not None:
        state.commit_lsn = max(lsn, state.commit_lsn or 0)


def _psycopg_url(url: str) -> str:
    # Accept plain libpq URLs too; Pishraft always talks psycopg 3.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _commit(session: Session) -> None:
    """Commit ``session``. What the database refuses at COMMIT itself (a deferred constraint,
    a constraint trigger) becomes :class:`NotSaved`, which says that nothing was saved;
    a lost connection stays what it is (503), and so do errors of the statements flushed first."""
    session.flush()
    try:
        session.commit()
    except DBAPIError as exc:
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            raise
        diag = getattr(exc.orig, "diag", None)
        reason = getattr(diag, "message_primary", None) or type(exc.orig).__name__
        raise NotSaved(f"The database refused the change when saving it ({reason}); nothing was saved. "
                       "Correct the data and try again.") from exc
