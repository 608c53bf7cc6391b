"""The audit log: recording write requests, saying in words what each did, and querying them.

What a write did is said where the change is made: :func:`did` (the planning history's
``record``, the accounts' functions, a layer's load) tells the request being recorded
``create``/``edit``/``delete``… of which object, with the words its sentence needs (a
title, a role, an area code). A request that said nothing is described from its route
(:func:`change_of_route`). :func:`sentence` reads an entry out in Persian or English:
«demo-admin کاربر walk-core با نقش هسته در استان یزد ساخت».

Examples
--------
>>> with listening() as changes:                                           # doctest: +SKIP
...     did("create", "user", "walk-core", name="walk-core", role="core", area="IR-21")
>>> record(session, username="ali", role="planner", method="POST",        # doctest: +SKIP
...        route="/api/roadmaps", path="/api/roadmaps", target={}, status=201, client="10.0.0.5",
...        change=changes[0])
>>> entries(session, username="ali", object_kind="roadmap", limit=10)      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from spatial.jalali import format_number, persian_digits
from spatial.messages import has, label, t
from spatial.models.audit import AuditEntry

MAX_PAGE = 1000
#: The kinds of change an entry records (its ``action``).
ACTIONS = ("create", "edit", "delete", "revoke", "import", "derive", "signin", "signout", "resend")
#: The kinds of object changed (its ``object_kind``).
OBJECT_KINDS = ("user", "key", "roadmap", "action", "measurement", "core", "past_plan", "person", "organisation",
                "handover", "layer", "indicator")


@dataclass(frozen=True)
class Change:
    """What one write did: ``action`` to the object ``object_kind`` ``object_id``, and the
    ``words`` of its sentence (codes and names as stored; :func:`sentence` puts them in words)."""

    action: str
    object_kind: str
    object_id: str | None = None
    words: dict[str, Any] = field(default_factory=dict)


_heard: ContextVar[list[Change] | None] = ContextVar("pishraft_audit_changes", default=None)


@contextmanager
def listening() -> Iterator[list[Change]]:
    """Collect what the code run inside says it did (:func:`did`), in order; used around a
    request by the audit middleware (the list is shared with the request's worker thread)."""
    changes: list[Change] = []
    token = _heard.set(changes)
    try:
        yield changes
    finally:
        _heard.reset(token)


def did(action: str, object_kind: str, object_id: object = None, **words: Any) -> None:
    """Say what the change being made does, for its audit entry (outside a recorded
    request, nothing happens). The first change said is the entry's object."""
    changes = _heard.get()
    if changes is not None:
        changes.append(Change(action, object_kind, None if object_id is None else str(object_id),
                              {k: v for k, v in words.items() if v is not None}))


def instead(action: str, object_kind: str, object_id: object = None, **words: Any) -> None:
    """Say what the request did *instead* of what was said so far (a change rolled back
    because the same form was sent before: the request only sent it again)."""
    changes = _heard.get()
    if changes is not None:
        changes.clear()
    did(action, object_kind, object_id, **words)


#: First segment of a route (after /api or /admin) -> the kind of object it writes.
_ROUTE_KINDS = {"users": "user", "keys": "key", "roadmaps": "roadmap", "actions": "action",
                "measurements": "measurement", "cores": "core", "past-plans": "past_plan", "people": "person",
                "organisations": "organisation", "handovers": "handover", "layers": "layer",
                "indicators": "indicator"}
#: Last segment of a route -> the kind of change (when it says it).
_ROUTE_ACTIONS = {"new": "create", "edit": "edit", "revoke": "revoke", "import": "import", "derive": "derive",
                  "signin": "signin", "token": "signin", "signout": "signout", "measure": "create"}


def change_of_route(method: str, route: str, target: Mapping[str, str]) -> Change | None:
    """What a write request did, read from its route template when the code did not say
    (:func:`did`): ``POST /roadmaps/new`` creates a roadmap, ``PATCH /api/users/{username}``
    edits that user. ``None`` for routes that name no object.

    Examples
    --------
    >>> change_of_route("POST", "/roadmaps/{roadmap_id}/actions/new", {"roadmap_id": "7"})
    Change(action='create', object_kind='action', object_id=None, words={'roadmap_id': '7'})
    >>> change_of_route("DELETE", "/api/roadmaps/{roadmap_id}", {"roadmap_id": "7"}).action
    'delete'
    """
    segments = [s for s in route.split("/") if s and s not in ("api", "admin")]
    if not segments:
        return None
    last = segments[-1]
    if last in ("signin", "signout") or route.endswith("/auth/token"):
        return Change(_ROUTE_ACTIONS[last], "session")
    nouns = [s for s in segments if s in _ROUTE_KINDS]
    if not nouns:
        return None
    kind = "measurement" if last == "measure" else _ROUTE_KINDS[nouns[-1]]
    params = [s for s in segments if s.startswith("{")]
    action = _ROUTE_ACTIONS.get(last)
    if action is None:
        action = {"DELETE": "delete", "PATCH": "edit", "PUT": "edit"}.get(
            method, "edit" if last.startswith("{") else "create")
    words = {"roadmap_id": target["roadmap_id"]} if "roadmap_id" in target else {}
    object_id = None
    if action != "create" and params:
        object_id = target.get(params[-1].strip("{}"))
    return Change(action, kind, object_id, words)


def sentence(entry: Mapping[str, Any], lang: str, places: Mapping[str, str] | None = None,
             data: Callable[[str], str] = str) -> str:
    """What ``entry`` did, said in ``lang``: «demo-admin کاربر walk-core با نقش هسته در
    استان یزد ساخت». ``places`` names the area codes the words hold (code -> name in
    ``lang``); ``data`` wraps what people typed (names, titles), e.g. to mark it for a page.
    A refused request says what was asked and that it was refused; an entry whose change
    is not known names its request."""
    words = entry.get("words") or {}
    who = data(entry["username"])
    action, kind = entry.get("action"), entry.get("object_kind")
    if not action or not has(f"audit.did.{action}"):
        return t("audit.did.request", lang, who=who, method=data(entry["method"]), path=data(entry["path"]))
    kind_word = t(f"audit.kind.{kind}", lang) if has(f"audit.kind.{kind}") else ""
    if entry["status"] >= 400:
        return " ".join(t("audit.refused", lang, who=who, change=t(f"audit.change.{action}", lang),
                          what=kind_word).split())
    if action in ("signin", "signout", "resend"):
        return t(f"audit.did.{action}", lang, who=who)
    if kind == "user" and action == "create" and words.get("role"):
        area = words.get("area")
        where = " " + t("audit.where", lang, name=data((places or {}).get(area, area))) if area else ""
        return t("audit.did.user_create", lang, who=who, name=data(words.get("name", entry.get("object_id") or "")),
                 role=label("role", words["role"], lang), where=where)
    if kind == "measurement" and action == "create" and "value" in words:
        return t("audit.did.measurement_create", lang, who=who, value=format_number(words["value"], lang, 2))
    name = str(words.get("name") or entry.get("object_id") or "")
    if name and lang == "fa" and name.isdigit():
        name = persian_digits(name)
    what = t("audit.named", lang, kind=kind_word, name=data(name)) if name else kind_word
    return t(f"audit.did.{action}", lang, who=who, what=what)


def record(
    session: Session, *, username: str, role: str, method: str, route: str, path: str,
    target: dict[str, Any], status: int, client: str | None, change: Change | None = None,
) -> None:
    """Add one entry (committed with ``session``); ``change`` says what the write did
    (default: read from the route, :func:`change_of_route`)."""
    change = change or change_of_route(method, route, target)
    session.add(AuditEntry(username=username, role=role, method=method, route=route, path=path,
                           target=target, status=status, client=client,
                           action=change.action if change else None,
                           object_kind=change.object_kind if change else None,
                           object_id=change.object_id if change else None,
                           words=change.words if change else {}))


def entries(
    session: Session, *, username: str | None = None, role: str | None = None, method: str | None = None,
    route: str | None = None, status: int | None = None, since: datetime | None = None,
    until: datetime | None = None, action: str | None = None, object_kind: str | None = None,
    object_id: str | None = None, limit: int = 100, offset: int = 0,
) -> list[dict[str, Any]]:
    """Entries matching every given filter, newest first.

    ``route`` matches the route template or the request path by prefix (``/api/users``
    matches ``/api/users/{username}``); ``since`` is inclusive, ``until`` exclusive;
    ``action``, ``object_kind`` and ``object_id`` are what the write did (:class:`Change`).
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
    if action is not None:
        q = q.where(AuditEntry.action == action)
    if object_kind is not None:
        q = q.where(AuditEntry.object_kind == object_kind)
    if object_id is not None:
        q = q.where(AuditEntry.object_id == object_id)
    if since is not None:
        q = q.where(AuditEntry.at >= since)
    if until is not None:
        q = q.where(AuditEntry.at < until)
    q = q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(min(limit, MAX_PAGE)).offset(offset)
    return [
        {"id": e.id, "at": e.at.isoformat(), "username": e.username, "role": e.role, "method": e.method,
         "route": e.route, "path": e.path, "target": e.target, "status": e.status, "client": e.client,
         "action": e.action, "object_kind": e.object_kind, "object_id": e.object_id, "words": e.words}
        for e in session.execute(q).scalars()
    ]
