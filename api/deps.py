"""Shared FastAPI dependencies: the database session and common parameters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from spatial.db.engine import session_scope
from spatial.periods import optional_period_key, period_key


def db_session() -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Use it only through :data:`DbSession`, which ends it before the response is sent.
    """
    with session_scope() as session:
        yield session


#: The request's session. Its transaction ends when the route function returns and
#: *before* the response is sent (``scope="function"``): a 2xx means the write is
#: committed, and a commit that fails (a deferred constraint, a lost connection) becomes
#: an error response instead. Every route and dependency takes its session this way, so
#: that a request shares one session and one transaction.
DbSession = Annotated[Session, Depends(db_session, scope="function")]


#: A period in a query or body: a Jalali or Gregorian year (``1403`` or ``2024``, any
#: digits), handed on in its stored form (``2024``; :mod:`spatial.periods`).
PeriodKey = Annotated[str, AfterValidator(period_key)]
#: An optional :data:`PeriodKey` (``None``: the latest period).
OptionalPeriodKey = Annotated[str | None, AfterValidator(optional_period_key)]
