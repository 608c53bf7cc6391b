"""Who is calling, and what they may do: the one authorisation dependency.

Every route declares the permission it needs with ``Depends(require("..."))``; the
route body receives the :class:`Principal`. Permissions:

- ``read``: read any resource (anonymous when the ``anonymous_read`` setting is on);
- ``layers:write``, ``indicators:write``: analysts;
- ``roadmaps:write``: planners, and core members inside their area;
- ``admin``: user management and the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ROLES: tuple[str, ...] = ("admin", "analyst", "planner", "core", "viewer")


@dataclass(frozen=True)
class Principal:
    """The caller of a request.

    ``area_unit_id`` restricts edits to a unit and its descendants (progress-core
    members; ``None`` means no restriction). ``api_key`` is the partner key the caller
    presented, so that links handed back (TileJSON tile URLs) can carry it.
    """

    username: str
    role: str
    area_unit_id: int | None = None
    partner: str | None = None
    api_key: str | None = None


LOCAL_OPERATOR = Principal(username="local", role="admin")


def require(permission: str, *, collection_param: str | None = None) -> Callable[[], Principal]:
    """A FastAPI dependency that admits callers holding ``permission``.

    ``collection_param`` names the path parameter holding an OGC collection id, for
    partner keys scoped to some collections. Until accounts exist, the only caller is
    the local operator.
    """

    def dependency() -> Principal:
        return LOCAL_OPERATOR

    dependency.__name__ = f"require_{permission.replace(':', '_')}"
    return dependency
