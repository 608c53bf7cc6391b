"""Shared FastAPI dependencies: the database session and common parameters."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from spatial.db.engine import session_scope


def db_session() -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with session_scope() as session:
        yield session
