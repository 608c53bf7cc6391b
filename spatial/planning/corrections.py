"""Corrections: archive (not delete) a roadmap, an action, a financing line or a key result;
withdraw or correct a measurement; restore what was archived — each with who and why in
the history.

An archived object stays in its table with ``archived_at``, ``archived_by`` and
``archive_reason`` set (a withdrawn measurement is an archived one): lists, the roadmap's
document and the progress roll-ups leave it out (:mod:`spatial.planning.progress`), and
its history and "as it was on" keep it readable. Archiving a financing line or a key
result changes its action's document, so it is recorded as an ``archive`` event of the
action, with the line gone from the ``after`` document.

Who may: an editor of the object's unit (:func:`spatial.planning.references.guard`);
restoring is for administrators (checked where the role is known, in ``api``).

Examples
--------
>>> archive_action(session, 12, "entered twice", LocalEditor("bahar"))      # doctest: +SKIP
>>> restore_action(session, 12, LocalEditor("admin"), "not a duplicate")    # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from spatial.errors import Conflict, InvalidInput
from spatial.models.roadmaps import Action, Financing, KeyResult, Measurement, Roadmap
from spatial.planning.history import Document, Editor, now, record, recorded_update, row_document
from spatial.planning.references import check_draft_write, get_or_404, guard
from spatial.planning.roadmap_inputs import MeasurementPatch
from spatial.planning.roadmaps import (
    action_document, get_roadmap, measurement_document, measurement_roadmap, roadmap_document, update_measurement,
)

#: The longest reason kept (a sentence or two, not a report).
REASON_MAX = 1000


def checked_reason(reason: str | None, required: bool = True) -> str:
    """``reason`` stripped; :class:`InvalidInput` naming ``reason`` when it is missing or too long."""
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput("reason: say why (it is kept in the history beside your name).", field="reason")
    if len(text) > REASON_MAX:
        raise InvalidInput(f"reason: at most {REASON_MAX} characters.", field="reason")
    return text


def _stamps(editor: Editor, at: Any, reason: str) -> dict[str, Any]:
    return {"archived_at": at, "archived_by": editor.username, "archive_reason": reason}


_CLEARED: dict[str, Any] = {"archived_at": None, "archived_by": None, "archive_reason": None}


def _flip(session: Session, entity: str, obj: Any, editor: Editor, document: Document, roadmap_id: int,
          *, archive: bool, reason: str, operation: str) -> dict[str, Any]:
    """Archive (or restore) a tracked row, recording ``operation`` with ``reason``."""
    if archive and obj.archived_at is not None:
        raise Conflict(f"This {entity} was already archived on {obj.archived_at:%Y-%m-%d}.", field="id")
    if not archive and obj.archived_at is None:
        raise Conflict(f"This {entity} is not archived; there is nothing to restore.", field="id")
    changes = _stamps(editor, now(session), reason) if archive else dict(_CLEARED)
    return recorded_update(session, entity, obj, changes, editor, document, roadmap_id=roadmap_id,
                           operation=operation, reason=reason or None)


# --- roadmaps and actions ---------------------------------------------------------------

def archive_roadmap(session: Session, roadmap_id: int, reason: str, editor: Editor) -> dict[str, Any]:
    """Archive a roadmap: it leaves lists and progress; its page and history stay."""
    roadmap = get_or_404(session, Roadmap, roadmap_id, "roadmap")
    guard(session, editor, roadmap.unit_id)
    check_draft_write(session, editor, roadmap.id)
    _flip(session, "roadmap", roadmap, editor, lambda r: roadmap_document(session, r), roadmap.id,
          archive=True, reason=checked_reason(reason), operation="archive")
    return get_roadmap(session, roadmap.id)


def restore_roadmap(session: Session, roadmap_id: int, editor: Editor, reason: str = "") -> dict[str, Any]:
    """Bring an archived roadmap back into lists and progress."""
    roadmap = get_or_404(session, Roadmap, roadmap_id, "roadmap")
    guard(session, editor, roadmap.unit_id)
    _flip(session, "roadmap", roadmap, editor, lambda r: roadmap_document(session, r), roadmap.id,
          archive=False, reason=checked_reason(reason, required=False), operation="restore")
    return get_roadmap(session, roadmap.id)


def _action(session: Session, action_id: int, editor: Editor) -> Action:
    action = get_or_404(session, Action, action_id, "action")
    guard(session, editor, action.roadmap.unit_id)
    check_draft_write(session, editor, action.roadmap_id)
    return action


def archive_action(session: Session, action_id: int, reason: str, editor: Editor) -> dict[str, Any]:
    """Archive an action: it leaves its roadmap, lists and progress; its history stays."""
    action = _action(session, action_id, editor)
    doc = _flip(session, "action", action, editor, action_document, action.roadmap_id,
                archive=True, reason=checked_reason(reason), operation="archive")
    session.expire(action.roadmap, ["actions"])
    return doc


def restore_action(session: Session, action_id: int, editor: Editor, reason: str = "") -> dict[str, Any]:
    """Bring an archived action back into its roadmap."""
    action = _action(session, action_id, editor)
    doc = _flip(session, "action", action, editor, action_document, action.roadmap_id,
                archive=False, reason=checked_reason(reason, required=False), operation="restore")
    session.expire(action.roadmap, ["actions"])
    return doc


# --- an action's parts: financing lines and key results -----------------------------------

def _flip_part(session: Session, part: Financing | KeyResult, editor: Editor, *, archive: bool,
               reason: str) -> dict[str, Any]:
    """Archive or restore a part of an action, recorded as an event of the action (whose
    document gains or loses the part)."""
    what = "financing line" if isinstance(part, Financing) else "key result"
    if archive and part.archived_at is not None:
        raise Conflict(f"This {what} is already archived.", field="id")
    if not archive and part.archived_at is None:
        raise Conflict(f"This {what} is not archived; there is nothing to restore.", field="id")
    action = _action(session, part.action_id, editor)
    before = action_document(action)
    at = now(session)
    for name, value in (_stamps(editor, at, reason) if archive else _CLEARED).items():
        setattr(part, name, value)
    action.updated_at, action.updated_by = at, editor.username
    session.flush()
    session.expire(action, ["financing", "key_results"])
    after = action_document(action)
    record(session, "action", action.id, "archive" if archive else "restore", before=before, after=after,
           author=editor.username, at=at, roadmap_id=action.roadmap_id, reason=reason or None)
    return after


def archive_financing(session: Session, line_id: int, reason: str, editor: Editor) -> dict[str, Any]:
    """Archive one financing line of an action; returns the action's document."""
    line = get_or_404(session, Financing, line_id, "financing line")
    return _flip_part(session, line, editor, archive=True, reason=checked_reason(reason))


def restore_financing(session: Session, line_id: int, editor: Editor, reason: str = "") -> dict[str, Any]:
    """Bring an archived financing line back; returns the action's document."""
    line = get_or_404(session, Financing, line_id, "financing line")
    return _flip_part(session, line, editor, archive=False, reason=checked_reason(reason, required=False))


def archive_key_result(session: Session, key_result_id: int, reason: str, editor: Editor) -> dict[str, Any]:
    """Archive a key result (its measurements stop counting with it); returns the action's document."""
    kr = get_or_404(session, KeyResult, key_result_id, "key result")
    return _flip_part(session, kr, editor, archive=True, reason=checked_reason(reason))


def restore_key_result(session: Session, key_result_id: int, editor: Editor, reason: str = "") -> dict[str, Any]:
    """Bring an archived key result back; returns the action's document."""
    kr = get_or_404(session, KeyResult, key_result_id, "key result")
    return _flip_part(session, kr, editor, archive=False, reason=checked_reason(reason, required=False))


def action_parts(session: Session, action_ids: list[int], archived: bool = False) -> dict[int, dict[str, Any]]:
    """The financing lines and key results of ``action_ids`` with their ids, live ones or
    (``archived=True``) the archived ones: ``{action_id: {"financing": [...], "key_results": [...]}}``,
    each row with every column (who archived it and why included)."""
    parts: dict[int, dict[str, Any]] = {a: {"financing": [], "key_results": []} for a in action_ids}
    kinds: tuple[tuple[str, type[Financing] | type[KeyResult]], ...] = (
        ("financing", Financing), ("key_results", KeyResult))
    for key, model in kinds:
        state = model.archived_at.is_not(None) if archived else model.archived_at.is_(None)
        for obj in session.scalars(select(model).where(model.action_id.in_(action_ids), state).order_by(model.id)):
            row = row_document(obj)
            parts[row["action_id"]][key].append(row)
    return parts


def archived_actions(session: Session, roadmap_id: int) -> list[dict[str, Any]]:
    """The archived actions of a roadmap (for restoring them), with who archived each and why."""
    found = session.scalars(select(Action).where(Action.roadmap_id == roadmap_id, Action.archived_at.is_not(None))
                            .order_by(Action.archived_at.desc()))
    return [action_document(a) for a in found]


# --- measurements -------------------------------------------------------------------------

def _measurement(session: Session, measurement_id: int, editor: Editor) -> tuple[Measurement, int]:
    m = get_or_404(session, Measurement, measurement_id, "measurement")
    roadmap = measurement_roadmap(session, m)
    guard(session, editor, roadmap.unit_id)
    return m, roadmap.id


def withdraw_measurement(session: Session, measurement_id: int, reason: str, editor: Editor) -> dict[str, Any]:
    """Withdraw a measurement: it no longer counts in progress; the history keeps it with the reason."""
    m, roadmap_id = _measurement(session, measurement_id, editor)
    return _flip(session, "measurement", m, editor, measurement_document, roadmap_id,
                 archive=True, reason=checked_reason(reason), operation="withdraw")


def restore_measurement(session: Session, measurement_id: int, editor: Editor, reason: str = "") -> dict[str, Any]:
    """Count a withdrawn measurement again."""
    m, roadmap_id = _measurement(session, measurement_id, editor)
    return _flip(session, "measurement", m, editor, measurement_document, roadmap_id,
                 archive=False, reason=checked_reason(reason, required=False), operation="restore")


def correct_measurement(session: Session, measurement_id: int, patch: MeasurementPatch, reason: str,
                        editor: Editor) -> dict[str, Any]:
    """Correct a measurement's value, day or source, saying why (the old value stays in the history)."""
    m, _ = _measurement(session, measurement_id, editor)
    if m.archived_at is not None:
        raise Conflict("This measurement was withdrawn; restore it before correcting it.", field="id")
    return update_measurement(session, measurement_id, patch, editor, reason=checked_reason(reason))
