"""The audit log, for administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from api.auth import Principal, require
from api.deps import DbSession
from spatial.accounts import audit

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", summary="Recorded writes, newest first (admins only)")
def audit_log(
    session: DbSession,
    username: Annotated[str | None, Query(max_length=128)] = None,
    role: Annotated[str | None, Query(max_length=32)] = None,
    method: Literal["POST", "PUT", "PATCH", "DELETE"] | None = None,
    route: Annotated[str | None, Query(max_length=256, description="Route template or path prefix")] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
    since: Annotated[datetime | None, Query(description="ISO time, inclusive")] = None,
    until: Annotated[datetime | None, Query(description="ISO time, exclusive")] = None,
    action: Annotated[Literal[audit.ACTIONS] | None, Query(description="Kind of change")] = None,  # type: ignore[valid-type]
    object_kind: Annotated[Literal[audit.OBJECT_KINDS] | None,  # type: ignore[valid-type]
                           Query(description="Kind of object changed")] = None,
    object_id: Annotated[str | None, Query(max_length=128, description="Id (or username, key prefix, slug) "
                                                                      "of the object changed")] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    _: Principal = Depends(require("admin")),
) -> list[dict[str, Any]]:
    """Each entry with what the write did (``action``, ``object_kind``, ``object_id`` and the
    ``words`` of its sentence), as the audit page says it."""
    return audit.entries(session, username=username, role=role, method=method, route=route, status=status,
                         since=since, until=until, action=action, object_kind=object_kind, object_id=object_id,
                         limit=limit, offset=offset)
