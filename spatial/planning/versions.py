"""No lost updates: an edit names the version of the object it was opened with, and a
change to an object changed since is refused, or merged where nothing conflicts.

Every editable object (:class:`spatial.models.roadmaps.Tracked`) carries ``version``:
1 when made, one more at every change. The document of each version is in the history
(the ``after`` of the change that made it), so the state an edit was opened with is known,
and a stale edit is compared three ways, field by field: the opened version (*base*), the
current one (*theirs*) and the edit (*yours*).

- ``merge=False`` (the API's ``If-Match``): any other version is refused with
  :class:`~spatial.errors.VersionMismatch`, listing what changed since.
- ``merge=True`` (a page's form, which sends every field): a field only theirs changed
  keeps their value, a field only yours changed takes yours, and a field both changed to
  different values is a conflict, refused with the list so that the person can choose.

Examples
--------
>>> changes = reconcile(session, "roadmap", roadmap, {"title": "New"}, document,   # doctest: +SKIP
...                     Opened(3, merge=True))
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import VersionMismatch

#: Fields every document has that say who and when, not what: never compared.
BOOKKEEPING = frozenset({"id", "version", "created_at", "created_by", "updated_at", "updated_by", "synthetic"})


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump()
    raise TypeError(f"not JSON: {type(value).__name__}")


def comparable(value: Any) -> Any:
    """``value`` as its JSON document form (ISO dates, plain lists and dicts), for comparing."""
    return json.loads(json.dumps(value, default=_default))


def document_at(session: Session, entity: str, entity_id: int, version: int) -> dict[str, Any] | None:
    """The object's document at ``version``, from the history; ``None`` if it never had it.

    Documents recorded before objects had versions count as version 1 (the latest of them).
    """
    found = session.execute(text("""
        SELECT after FROM history
         WHERE entity = :entity AND entity_id = :id AND after IS NOT NULL
           AND coalesce((after->>'version')::int, 1) = :version
         ORDER BY id DESC LIMIT 1"""), {"entity": entity, "id": entity_id, "version": version}).scalar()
    return dict(found) if found is not None else None


def changed_since(base: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields whose value differs between ``base`` and ``current``, in document order."""
    return [{"field": k, "opened": (base or {}).get(k), "now": v} for k, v in current.items()
            if k not in BOOKKEEPING and (base is None or base.get(k) != v)]


@dataclass(frozen=True)
class Opened:
    """The version an edit was opened with, and whether a stale edit may be merged."""

    version: int
    merge: bool = False


def reconcile(session: Session, entity: str, obj: Any, changes: dict[str, Any],
              document: Callable[[Any], dict[str, Any]], opened: Opened | None) -> dict[str, Any]:
    """The changes to apply to ``obj`` by an edit ``opened`` at some version.

    The same ``changes`` when no version is named or it is the current one; with
    ``opened.merge``, the edit's changes to fields nobody else changed; otherwise
    :class:`~spatial.errors.VersionMismatch` (HTTP 412) listing what changed since.
    """
    if opened is None or opened.version == obj.version:
        return changes
    expected_version, merge = opened.version, opened.merge
    base = document_at(session, entity, obj.id, expected_version)
    current = document(obj)
    changed = changed_since(base, current)
    if not merge or base is None:
        raise VersionMismatch(
            f"This {entity.replace('_', ' ')} was changed since version {expected_version} that the edit was "
            f"made against; it is now version {obj.version}. Read it again, and send the change with "
            f"If-Match: \"{obj.version}\".", version=obj.version, changed=changed)
    keep: dict[str, Any] = {}
    conflicts: list[str] = []
    yours: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in current:  # not part of the document (kept as given)
            keep[name] = value
            continue
        mine, opened, now = comparable(value), base.get(name), current[name]
        if mine != opened:
            yours[name] = mine
        if opened == now or mine == now:
            keep[name] = value
        elif mine != opened:
            conflicts.append(name)
        # else: only they changed it; their value stands
    if conflicts:
        for item in changed:
            if item["field"] in yours:
                item["yours"] = yours[item["field"]]
        raise VersionMismatch(
            f"This {entity.replace('_', ' ')} was changed by someone else since you opened it, in the same "
            f"fields as your edit ({', '.join(conflicts)}); choose the value to keep and save again.",
            version=obj.version, changed=changed, conflicts=conflicts, yours=yours, field=conflicts[0])
    return keep
