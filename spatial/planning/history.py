"""History: every create, update and delete as before/after JSON documents, and the
reconstruction of a roadmap as it was at any moment.

Each write stores the *whole* document of the object before and after the change
(an action's document includes its financing lines and key results). A roadmap at a
moment ``t`` is therefore the latest recorded document of the roadmap and of each of
its actions at or before ``t`` — no replay of diffs, so nothing can drift.

Examples
--------
>>> at = now(session)                                              # doctest: +SKIP
>>> record(session, "roadmap", 7, "update", before=old, after=new,
...        author="bahar", at=at, roadmap_id=7)                    # doctest: +SKIP
>>> as_of(session, 7, parse_as_of("2026-11-26T09:00:00Z"))         # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, UTC
from typing import Any, Protocol

from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from spatial.accounts import audit
from spatial.errors import InvalidInput, NotFound
from spatial.models.roadmaps import HistoryEvent


class Editor(Protocol):
    """Who makes a change: ``api.auth.Principal`` satisfies this, and so does :class:`LocalEditor`."""

    @property
    def username(self) -> str: ...

    @property
    def area_unit_id(self) -> int | None: ...


@dataclass(frozen=True)
class LocalEditor:
    """An editor outside HTTP (CLI, demo): a name, no area restriction by default."""

    username: str
    area_unit_id: int | None = None


def now(session: Session) -> datetime:
    """The database's wall clock (``clock_timestamp()``), so that successive writes in one
    transaction still get distinct, ordered times."""
    return session.execute(text("SELECT clock_timestamp()")).scalar_one()


def jsonable(value: Any) -> Any:
    """A column value as JSON: ISO dates and times, GeoJSON geometries, lists for tuples."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, WKBElement):
        return json.loads(json.dumps(mapping(to_shape(value))))
    return value


def row_document(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The mapped columns of an ORM object as a JSON-ready dict (``geom`` becomes ``geometry``)."""
    doc: dict[str, Any] = {}
    for column in inspect(obj).mapper.column_attrs:
        if column.key in skip:
            continue
        name = "geometry" if column.key == "geom" else column.key
        doc[name] = jsonable(getattr(obj, column.key))
    return doc


def record(
    session: Session, entity: str, entity_id: int, operation: str, *, before: dict[str, Any] | None,
    after: dict[str, Any] | None, author: str, at: datetime, roadmap_id: int | None = None,
    reason: str | None = None,
) -> None:
    """Append one event to the history (inside the caller's transaction), and say it to
    the audit log of the request making it (:func:`spatial.accounts.audit.did`).

    ``roadmap_id`` files the event under a roadmap's history; a roadmap's own events are
    always filed under itself. ``reason`` is why, for corrections (archive, restore,
    withdraw, a corrected value).
    """
    if entity == "roadmap":
        roadmap_id = entity_id
    document = after or before or {}
    audit.did({"update": "edit"}.get(operation, operation), entity, entity_id,
              name=document.get("title") or document.get("name"), roadmap_id=roadmap_id,
              value=document.get("value") if entity == "measurement" else None)
    session.add(HistoryEvent(entity=entity, entity_id=entity_id, roadmap_id=roadmap_id, operation=operation,
                             author=author, at=at, before=before, after=after, reason=reason))
    session.flush()


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """The top-level fields that differ: ``{field: [before, after]}``.

    Examples
    --------
    >>> diff({"title": "a", "status": "draft"}, {"title": "b", "status": "draft"})
    {'title': ['a', 'b']}
    """
    before, after = before or {}, after or {}
    keys = list(before) + [k for k in after if k not in before]
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def compose(roadmap: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """The roadmap document: its own fields plus its actions ordered by id.

    The current document (:func:`spatial.planning.roadmaps.get_roadmap`) and a reconstructed one
    (:func:`as_of`) are both built here, so that they compare equal.
    """
    return {**roadmap, "actions": sorted(actions, key=lambda a: a["id"])}


def events(session: Session, roadmap_id: int, entity: str | None = None) -> list[dict[str, Any]]:
    """Every recorded change of a roadmap and of its actions and measurements, oldest first,
    each with its author, time, before/after documents and the fields that changed."""
    rows = session.execute(
        text("""SELECT id, entity, entity_id, operation, author, at, before, after, reason FROM history
                WHERE roadmap_id = :rid AND (CAST(:entity AS text) IS NULL OR entity = :entity)
                ORDER BY at, id"""),
        {"rid": roadmap_id, "entity": entity},
    ).mappings().all()
    if not rows and entity is None:
        raise NotFound(f"Roadmap {roadmap_id} has no history: it never existed.", field="roadmap_id")
    return [{**r, "at": r["at"].isoformat(), "changes": diff(r["before"], r["after"])} for r in rows]


def as_of(session: Session, roadmap_id: int, at: datetime) -> dict[str, Any]:
    """The roadmap with its actions exactly as they were at ``at`` (actions archived by then left
    out, as the current roadmap leaves them out).

    Raises :class:`NotFound` when the roadmap did not exist then (not yet created, or
    already deleted).
    """
    rows = session.execute(
        text("""SELECT DISTINCT ON (entity, entity_id) entity, entity_id, operation, after FROM history
                WHERE roadmap_id = :rid AND entity IN ('roadmap', 'action') AND at <= :at
                ORDER BY entity, entity_id, at DESC, id DESC"""),
        {"rid": roadmap_id, "at": at},
    ).mappings().all()
    roadmap = next((r for r in rows if r["entity"] == "roadmap"), None)
    if roadmap is None or roadmap["operation"] == "delete":
        raise NotFound(f"Roadmap {roadmap_id} did not exist at {at.isoformat()}; see its history for when it did.",
                       field="as_of")
    actions = [r["after"] for r in rows if r["entity"] == "action" and r["operation"] != "delete"
               and not r["after"].get("archived_at")]
    return compose(roadmap["after"], actions)


def parse_as_of(value: str) -> datetime:
    """An ``as_of`` parameter as a UTC-aware moment.

    A date (``2026-11-26``) means the end of that day in UTC, i.e. the state after
    every change made that day; a timestamp without a zone is taken as UTC.

    Examples
    --------
    >>> parse_as_of("2026-11-26").isoformat()
    '2026-11-26T23:59:59.999999+00:00'
    """
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.max, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"as_of '{value}' is not an ISO date or timestamp, e.g. 2026-11-26 or "
                           "2026-11-26T09:30:00+00:00.", field="as_of") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)



Document = Callable[[Any], dict[str, Any]]


#: Writes rows that hang off an object (a core's members) once the object itself is flushed,
#: so that its recorded document includes them.
Attach = Callable[[Any], None]


def recorded_create(session: Session, entity: str, obj: Any, editor: Editor, document: Document,
                    roadmap_id: int | None = None, attach: Attach | None = None) -> dict[str, Any]:
    """Insert ``obj`` (stamping who and when) and record its creation; returns its document."""
    at = now(session)
    obj.created_at = obj.updated_at = at
    obj.created_by = obj.updated_by = editor.username
    session.add(obj)
    session.flush()
    if attach is not None:
        attach(obj)
    doc = document(obj)
    record(session, entity, obj.id, "create", before=None, after=doc, author=editor.username, at=at,
           roadmap_id=roadmap_id)
    return doc


def recorded_update(session: Session, entity: str, obj: Any, changes: dict[str, Any], editor: Editor,
                    document: Document, roadmap_id: int | None = None, operation: str = "update",
                    reason: str | None = None, attach: Attach | None = None) -> dict[str, Any]:
    """Apply ``changes`` to ``obj`` and record the before/after documents (as ``operation``, with
    ``reason`` when one was given); returns the new one."""
    before = document(obj)
    at = now(session)
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.updated_at, obj.updated_by = at, editor.username
    session.flush()
    if attach is not None:
        attach(obj)
    after = document(obj)
    record(session, entity, obj.id, operation, before=before, after=after, author=editor.username, at=at,
           roadmap_id=roadmap_id, reason=reason)
    return after


def recorded_delete(session: Session, entity: str, obj: Any, editor: Editor, document: Document,
                    roadmap_id: int | None = None) -> None:
    """Record the deletion of ``obj`` (with its last document), then delete it."""
    record(session, entity, obj.id, "delete", before=document(obj), after=None, author=editor.username,
           at=now(session), roadmap_id=roadmap_id)
    session.delete(obj)
    session.flush()
