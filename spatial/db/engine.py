"""Engine and sessions: the one way to reach the database.

Examples
--------
>>> from spatial.db.engine import session_scope
>>> with session_scope() as session:          # doctest: +SKIP
...     session.execute(text("select 1"))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from spatial.errors import DatabaseUnavailable, NotSaved
from spatial.settings import get_settings


def database_url() -> str:
    """The SQLAlchemy URL in use: ``DATABASE_URL`` or the embedded cluster's."""
    settings = get_settings()
    if settings.database_url:
        url = settings.database_url
        # Accept plain libpq URLs too; Pishraft always talks psycopg 3.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return _embedded_url(settings.home.resolve())


def _connect_args() -> dict[str, object]:
    settings = get_settings()
    return {
        "connect_timeout": settings.connect_timeout_s,
        "options": f"-c statement_timeout={settings.statement_timeout_ms}",
        "application_name": "pishraft",
    }


@lru_cache(maxsize=4)
def _embedded_url(home: Path) -> str:
    # Resolved once per process: checking the cluster (a `pg_ctl status` subprocess) on
    # every session cost several milliseconds per request, and restarting a cluster
    # that was stopped on purpose is not the API's job; while it is down, requests get 503.
    from spatial.db.embedded import EmbeddedPostgis

    return EmbeddedPostgis(home).url()


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    settings = get_settings()
    engine = create_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_timeout=settings.pool_timeout_s,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=_connect_args(),
    )

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
    enough (tile rendering), and :func:`session_scope` for everything else.
    """
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        session = Session(bind=connection)
        try:
            yield session
        finally:
            session.close()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session whose work is one transaction: committed on success, rolled back on error."""
    session = _session_factory(database_url())()
    try:
        yield session
        _commit(session)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


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
