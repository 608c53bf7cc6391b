"""Shared FastAPI dependencies: the database session and common parameters, and the
version an edit was made against (``If-Match``) with the ``ETag`` that names it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request, Response
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from spatial.db.engine import session_scope, unconnected
from spatial.errors import InvalidInput, VersionRequired
from spatial.periods import optional_period_key, period_key
from spatial.planning.versions import Opened
from spatial.settings import get_settings


async def db_session() -> AsyncIterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Use it only through :data:`DbSession`, which ends it before the response is sent.
    Opening the session does no I/O (sessions connect on first use), so it is done on the
    event loop; ending it goes to a worker thread only when it holds a connection, so that a
    request answered from memory (a cached tile, anonymous access) takes no thread hop.
    """
    scope = session_scope()
    session = scope.__enter__()
    try:
        yield session
    except BaseException:
        if not await _end(scope, session, *sys.exc_info()):
            raise
    else:
        await _end(scope, session, None, None, None)


async def _end(scope: AbstractContextManager[Session], session: Session, kind: type[BaseException] | None,
               error: BaseException | None, trace: TracebackType | None) -> bool | None:
    """Leave ``scope`` (commit or roll back, close); in a worker thread when that is a round trip."""
    if unconnected(session):
        return scope.__exit__(kind, error, trace)
    return await anyio.to_thread.run_sync(scope.__exit__, kind, error, trace)


#: The request's session. Its transaction ends when the route function returns and
#: *before* the response is sent (``scope="function"``): a 2xx means the write is
#: committed, and a commit that fails (a deferred constraint, a lost connection) becomes
#: an error response instead. Every route and dependency takes its session this way, so
#: that a request shares one session and one transaction (the credential check of
#: :func:`api.auth.require` alone reads in a short session of its own, ended before this one
#: begins, so that an anonymous request needs no session at all).
DbSession = Annotated[Session, Depends(db_session, scope="function")]


def etag(version: int) -> str:
    """The ``ETag`` of an object at ``version``."""
    return f'"{version}"'


def with_etag(response: Response, document: dict[str, Any]) -> dict[str, Any]:
    """Set ``ETag`` on ``response`` from the document's ``version``; returns the document."""
    response.headers["ETag"] = etag(int(document["version"]))
    return document


def if_match(request: Request) -> Opened | None:
    """The version a PATCH/PUT/DELETE was made against, from ``If-Match`` (``"3"`` as the
    ``ETag`` gave it; ``*`` or no header: any version). Without the header the change is
    accepted, unless the ``require_if_match`` setting is on (428)."""
    sent = request.headers.get("if-match", "").strip()
    if not sent:
        if get_settings().require_if_match:
            raise VersionRequired("Send If-Match with the ETag of the object as you read it (e.g. If-Match: "
                                  "\"3\"), so that a change made since is not overwritten.", field="If-Match")
        return None
    if sent == "*":
        return None
    value = sent.removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit() and len(value) < 10):
        raise InvalidInput(f"If-Match {sent!r} is not an ETag this API gave; read the object again and send its "
                           "ETag, e.g. If-Match: \"3\".", field="If-Match")
    return Opened(int(value))


#: The version named by the request's ``If-Match`` (or ``None``).
IfMatch = Annotated[Opened | None, Depends(if_match)]
#: A period in a query or body: a Jalali or Gregorian year (``1403`` or ``2024``, any
#: digits), handed on in its stored form (``2024``; :mod:`spatial.periods`).
PeriodKey = Annotated[str, AfterValidator(period_key)]
#: An optional :data:`PeriodKey` (``None``: the latest period).
OptionalPeriodKey = Annotated[str | None, AfterValidator(optional_period_key)]
