"""Progress cores (هسته‌های پیشرفت): local groups identified, assessed, selected and
trained per area, which then draft their area's roadmaps. A core's area (a unit and its
descendants) is where its members may edit once roles exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import Conflict, InvalidInput
from spatial.planning.history import Editor, recorded_create, recorded_delete, recorded_update
from spatial.models.roadmaps import CoreMember, ProgressCore
from spatial.planning.references import SUBTREE, get_or_404, guard, required, unit_filter, unit_ref, with_unit
from spatial.planning.roadmap_inputs import CoreIn, CorePatch
from spatial.planning.versions import Opened, reconcile


def _check(values: dict[str, Any]) -> None:
    if values.get("members_count") is not None and values["members_count"] < 0:
        raise InvalidInput(f"members_count is {values['members_count']}; it cannot be negative.",
                           field="members_count")
    for criterion, score in (values.get("assessment") or {}).items():
        if not 0 <= score <= 100:
            raise InvalidInput(f"assessment.{criterion} is {score}; scores run from 0 to 100.",
                               field=f"assessment.{criterion}")
    for i, course in enumerate(values.get("training") or []):
        for name in ("hours", "participants"):
            if course.get(name) is not None and course[name] < 0:
                raise InvalidInput(f"training.{i}.{name} cannot be negative.", field=f"training.{i}.{name}")


def _member_ids(session: Session, core_id: int) -> list[int]:
    return list(session.execute(text("SELECT person_id FROM core_member WHERE core_id = :id ORDER BY person_id"),
                                {"id": core_id}).scalars())


def _document(session: Session, core: ProgressCore) -> dict[str, Any]:
    """The core as recorded in the history: its fields and its members' ids."""
    return {**with_unit(session, core), "member_ids": _member_ids(session, core.id)}


def _members(session: Session, member_ids: list[int]) -> Callable[[ProgressCore], None]:
    """Check ``member_ids`` (existing people, not retired) and return what writes them as the core's members."""
    found: dict[int, bool] = {row.id: row.retired for row in session.execute(
        text("SELECT id, retired_at IS NOT NULL AS retired FROM person WHERE id = ANY(:ids)"), {"ids": member_ids})}
    for i, person_id in enumerate(member_ids):
        if person_id not in found:
            raise InvalidInput(f"member_ids.{i}: no person has id {person_id}; register them first.",
                               field="member_ids")
        if found[person_id]:
            raise InvalidInput(f"member_ids.{i}: person {person_id} is retired.", field="member_ids")

    def attach(core: ProgressCore) -> None:
        session.execute(text("DELETE FROM core_member WHERE core_id = :id"), {"id": core.id})
        for person_id in sorted(set(member_ids)):
            session.add(CoreMember(core_id=core.id, person_id=person_id))
        session.flush()

    return attach


def core_document(session: Session, core_id: int) -> dict[str, Any]:
    """A core with its members by name, the roadmaps it drafted and its mean assessment score."""
    core = get_or_404(session, ProgressCore, core_id, "progress core")
    doc = _document(session, core)
    doc["members"] = [dict(m) for m in session.execute(
        text("""SELECT p.id, p.name, p.role FROM core_member c JOIN person p ON p.id = c.person_id
                WHERE c.core_id = :id ORDER BY p.name, p.id"""), {"id": core.id}).mappings()]
    doc["roadmaps"] = [dict(r) for r in session.execute(
        text("SELECT id, title, status FROM roadmap WHERE core_id = :id AND archived_at IS NULL ORDER BY id"), {"id": core.id}).mappings()]
    scores = list(core.assessment.values())
    doc["mean_score"] = sum(scores) / len(scores) if scores else None
    return doc


def create_core(session: Session, data: CoreIn, editor: Editor) -> dict[str, Any]:
    """Register a progress core for an area."""
    unit_id = unit_ref(session, data.unit)
    guard(session, editor, unit_id)
    values = data.model_dump(mode="json", exclude={"unit", "member_ids"})
    _check(values)
    core = ProgressCore(unit_id=unit_id, **values)
    recorded_create(session, "core", core, editor, lambda c: _document(session, c),
                    attach=_members(session, data.member_ids))
    return core_document(session, core.id)


def update_core(session: Session, core_id: int, patch: CorePatch, editor: Editor,
                opened: Opened | None = None) -> dict[str, Any]:
    """Change a core: stage, member count and members by name, assessment scores, training record, name.
    ``opened``: the version the edit was made against (see :mod:`spatial.planning.versions`)."""
    core = get_or_404(session, ProgressCore, core_id, "progress core")
    guard(session, editor, core.unit_id)
    changes = reconcile(session, "core", core, patch.model_dump(mode="json", exclude_unset=True),
                        lambda c: _document(session, c), opened)
    required(changes, tuple(changes))
    _check(changes)
    member_ids = changes.pop("member_ids", None)
    recorded_update(session, "core", core, changes, editor, lambda c: _document(session, c),
                    attach=_members(session, member_ids) if member_ids is not None else None)
    return core_document(session, core.id)


def delete_core(session: Session, core_id: int, editor: Editor, opened: Opened | None = None) -> None:
    """Delete a core that drafted no roadmap (refused if changed since the version ``opened``)."""
    core = get_or_404(session, ProgressCore, core_id, "progress core")
    guard(session, editor, core.unit_id)
    reconcile(session, "core", core, {}, lambda c: _document(session, c), opened)
    if session.execute(text("SELECT 1 FROM roadmap WHERE core_id = :id LIMIT 1"), {"id": core.id}).first():
        raise Conflict(f"Progress core {core.id} drafted roadmaps; unlink them first.", field="id")
    recorded_delete(session, "core", core, editor, lambda c: _document(session, c))


def list_cores(session: Session, unit: str | None = None, stage: str | None = None) -> list[dict[str, Any]]:
    """Cores whose area lies in ``unit`` (or below), filtered by stage."""
    unit_filter(session, unit)
    ids = session.execute(
        text(f"""{SUBTREE}
                SELECT c.id FROM progress_core c
                WHERE (CAST(:unit AS text) IS NULL OR c.unit_id IN (SELECT id FROM sub))
                  AND (CAST(:stage AS text) IS NULL OR c.stage = :stage)
                ORDER BY c.id"""),
        {"unit": unit, "stage": stage},
    ).scalars().all()
    return [core_document(session, i) for i in ids]
