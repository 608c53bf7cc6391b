"""The audit log: recording write requests and querying them.

A request that changes something is recorded *in the transaction that makes the change*:
the HTTP layer opens a :class:`PendingEntry` for the request (:func:`pending`), and every
transaction committed while it is open that wrote anything (PostgreSQL assigned it a
transaction id) inserts the entry before it commits (:func:`install_commit_hook`). If the
entry cannot be written, the commit is refused with :class:`AuditNotWritten` and the change
is not made. Once the answer is known the entry's ``status`` is set to it
(:func:`settle`); ``status`` 0 means the change was committed but the server stopped
before it answered. A request that changed nothing (a refusal, a failed check) is recorded
after its answer (:func:`settle`, with :func:`record`).

Examples
--------
>>> record(session, username="ali", role="planner", method="POST",        # doctest: +SKIP
...        route="/api/roadmaps", path="/api/roadmaps", target={}, status=201, client="10.0.0.5")
>>> entries(session, username="ali", limit=10)                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

from spatial.errors import DatabaseUnavailable
from spatial.models.audit import AuditEntry

MAX_PAGE = 1000
#: ``status`` of an entry written with its change, until the answer is known.
UNANSWERED = 0


class AuditNotWritten(DatabaseUnavailable):
    """The audit entry of a change could not be written, so the change was not made."""

    code = "audit_not_written"


@dataclass
class PendingEntry:
    """A write request before it is answered. ``facts`` gives what is learnt while it runs
    (``username``, ``role``, ``route``, ``target``), read when an entry is written. ``ids``
    are the entries written with the request's committed changes."""

    method: str
    path: str
    client: str | None
    facts: Callable[[], dict[str, Any]]
    ids: list[int] = field(default_factory=list)

    def values(self, status: int) -> dict[str, Any]:
        """The row for this request with ``status``."""
        return {**self.facts(), "method": self.method, "path": self.path, "status": status, "client": self.client}


_pending: ContextVar[PendingEntry | None] = ContextVar("pishraft_audit_pending", default=None)


@contextmanager
def pending(entry: PendingEntry) -> Iterator[PendingEntry]:
    """Make ``entry`` the one written by every transaction that commits a change inside this block."""
    token = _pending.set(entry)
    try:
        yield entry
    finally:
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
        record(session, **entry.values(status))


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
