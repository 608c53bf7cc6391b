"""The audit log: recording write requests and querying them.

Examples
--------
>>> record(session, username="ali", role="planner", method="POST",        # doctest: +SKIP
...        route="/api/roadmaps", path="/api/roadmaps", target={}, status=201, client="10.0.0.5")
>>> entries(session, username="ali", limit=10)                            # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from spatial.models.audit import AuditEntry

MAX_PAGE = 1000


def record(
    session: Session, *, username: str, role: str, method: str, route: str, path: str,
    target: dict[str, Any], status: int, client: str | None,
) -> None:
    """Add one entry (committed with ``session``)."""
    session.add(AuditEntry(username=username, role=role, method=method, route=route, path=path,
                           target=target, status=status, client=client))


def entries(
    session: Session, *, username: str | None = None, role: str | None = None, method: str | None = None,
    route: str | None = None, status: int | None = None, since: datetime | None = None,
    until: datetime | None = None, limit: int = 100, offset: int = 0,
) -> list[dict[str, Any]]:
    """Entries matching every given filter, newest first.

    ``route`` matches the route template or the request path by prefix (``/api/users``
    matches ``/api/users/{username}``); ``since`` is inclusive, ``until`` exclusive.
    """
    q = select(AuditEntry)
    if username is not None:
        q = q.where(AuditEntry.username == username)
    if role is not None:
        q = q.where(AuditEntry.role == role)
    if method is not None:
        q = q.where(AuditEntry.method == method.upper())
    if route is not None:
        # startswith escapes LIKE wildcards in the value (autoescape), so '%' matches only '%'.
        q = q.where(AuditEntry.route.startswith(route, autoescape=True) | AuditEntry.path.startswith(route, autoescape=True))
    if status is not None:
        q = q.where(AuditEntry.status == status)
    if since is not None:
        q = q.where(AuditEntry.at >= since)
    if until is not None:
        q = q.where(AuditEntry.at < until)
    q = q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(min(limit, MAX_PAGE)).offset(offset)
    return [
        {"id": e.id, "at": e.at.isoformat(), "username": e.username, "role": e.role, "method": e.method,
         "route": e.route, "path": e.path, "target": e.target, "status": e.status, "client": e.client}
        for e in session.execute(q).scalars()
    ]
