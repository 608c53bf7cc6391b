"""The audit log: recording write requests, saying in words what each did, and querying them.

What a write did is said where the change is made: :func:`did` (the planning history's
``record``, the accounts' functions, a layer's load) tells the request being recorded
``create``/``edit``/``delete``… of which object, with the words its sentence needs (a
title, a role, an area code). A request that said nothing is described from its route
(:func:`change_of_route`). :func:`sentence` reads an entry out in Persian or English:
«demo-admin کاربر walk-core با نقش هسته در استان یزد ساخت».

A request that changes something is recorded *in the transaction that makes the change*:
the HTTP layer opens a :class:`PendingEntry` for the request (:func:`pending`), and every
transaction committed while it is open that wrote anything (PostgreSQL assigned it a
transaction id) inserts the entry before it commits (:func:`install_commit_hook`). If the
entry cannot be written, the commit is refused with :class:`AuditNotWritten` and the change
is not made. Once the answer is known the entry's ``status`` is set to it
(:func:`settle`); ``status`` 0 means the change was committed but the server stopped
before it answered. A request that changed nothing (a refusal, a failed check) is recorded
after its answer (also by :func:`settle`).

Examples
--------
>>> with pending(PendingEntry("POST", "/admin/users", "10.0.0.5", facts)):  # doctest: +SKIP
...     did("create", "user", "walk-core", name="walk-core", role="core", area="IR-21")
>>> entries(session, username="ali", object_kind="roadmap", limit=10)      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

from spatial.errors import DatabaseUnavailable
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


def _where(area: str | None, lang: str, places: Mapping[str, str]) -> str:
    """" in Yazd province" for an area code (the unit's name says its level), '' without one."""
    return " " + t("audit.where", lang, name=places.get(area, area)) if area else ""


def _change_columns(change: Change | None) -> dict[str, Any]:
    """The columns of an entry that say what its request did."""
    if change is None:
        return {"action": None, "object_kind": None, "object_id": None, "words": {}}
    return {"action": change.action, "object_kind": change.object_kind, "object_id": change.object_id,
            "words": change.words}


#: ``status`` of an entry written with its change, until the answer is known.
UNANSWERED = 0


class AuditNotWritten(DatabaseUnavailable):
    """The audit entry of a change could not be written, so the change was not made."""

    code = "audit_not_written"


@dataclass
class PendingEntry:
    """A write request before it is answered. ``facts`` gives what is learnt while it runs
    (``username``, ``role``, ``route``, ``target``), read when an entry is written. ``ids``
    are the entries written with the request's committed changes; ``changes`` what its code
    said it did (:func:`did`)."""

    method: str
    path: str
    client: str | None
    facts: Callable[[], dict[str, Any]]
    ids: list[int] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def values(self, status: int) -> dict[str, Any]:
        """The row for this request with ``status``. A refused request did nothing: its entry
        says what it asked (from its route)."""
        facts = self.facts()
        change = (self.changes[0] if self.changes and (status < 400 or self.changes[0].action == "resend")
                  else change_of_route(self.method, facts["route"], facts["target"]))
        return {**facts, "method": self.method, "path": self.path, "status": status, "client": self.client,
                **_change_columns(change)}


_pending: ContextVar[PendingEntry | None] = ContextVar("pishraft_audit_pending", default=None)


@contextmanager
def pending(entry: PendingEntry) -> Iterator[PendingEntry]:
    """Make ``entry`` the one written by every transaction that commits a change inside this
    block, and hear on ``entry.changes`` what the code inside says it did."""
    token, heard = _pending.set(entry), _heard.set(entry.changes)
    try:
        yield entry
    finally:
        _heard.reset(heard)
        _pending.reset(token)


def _mark_begun(session: Session, transaction: SessionTransaction, connection: Any) -> None:
    session.info["audit_connection"] = True


def _write_with_change(session: Session) -> None:
    entry = _pending.get()
    if entry is None or not session.info.pop("audit_connection", False):
        return
    session.flush()
    # PostgreSQL gives a transaction an id at its first write, whether through the ORM,
    # Core statements or COPY on the same connection; read-only transactions have none.
    if session.execute(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")).scalar_one():
        try:
            new_id = session.execute(insert(AuditEntry).values(**entry.values(UNANSWERED))
                                     .returning(AuditEntry.id)).scalar_one()
        except DBAPIError as exc:
            raise AuditNotWritten("The change could not be recorded in the audit log, so it was not made; "
                                  "nothing was saved. Try again, and tell the administrator if it persists.") from exc
        session.info["audit_written"] = (entry, int(new_id))


def _committed(session: Session) -> None:
    # Only now is the entry there: COMMIT itself may still refuse the change (and the entry).
    written = session.info.pop("audit_written", None)
    if written is not None:
        written[0].ids.append(written[1])


def _rolled_back(session: Session) -> None:
    session.info.pop("audit_written", None)


def install_commit_hook() -> None:
    """Have every session write the pending request's entry in the transaction of its change
    (idempotent; the HTTP layer calls it once)."""
    if not event.contains(Session, "before_commit", _write_with_change):
        event.listen(Session, "after_begin", _mark_begun)
        event.listen(Session, "before_commit", _write_with_change)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_rollback", _rolled_back)


def settle(session: Session, entry: PendingEntry, status: int) -> None:
    """Record the answer: set ``status`` on the entries written with the request's changes,
    or, when it changed nothing, add its entry now."""
    if entry.ids:
        session.execute(update(AuditEntry).where(AuditEntry.id.in_(entry.ids)).values(status=status))
    else:
        session.execute(insert(AuditEntry).values(**entry.values(status)))


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
