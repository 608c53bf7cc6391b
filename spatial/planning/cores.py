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
from spatial.models.journey import CoreStageEvent
from spatial.models.roadmaps import CoreMember, ProgressCore
from spatial.planning.references import SUBTREE, get_or_404, guard, required, unit_filter, unit_ref, with_unit
from spatial.planning.roadmap_inputs import CoreIn, CorePatch
from spatial.planning.versions import Opened, reconcile
from spatial.units.access import unit_within_area


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
    """The core as recorded in the history: its fields, its members' ids and their accounts."""
    accounts = {row.person_id: row.username for row in session.execute(
        text("SELECT person_id, username FROM core_member WHERE core_id = :id AND username IS NOT NULL "
             "ORDER BY person_id"), {"id": core.id})}
    return {**with_unit(session, core), "member_ids": _member_ids(session, core.id),
            "member_accounts": [{"person_id": p, "username": u} for p, u in accounts.items()]}


def _members(session: Session, unit_id: int, member_ids: list[int],
             accounts: list[dict[str, Any]]) -> Callable[[ProgressCore], None]:
    """Check ``member_ids`` (existing people, not retired) and ``accounts`` (members who sign in
    as a core member's account whose area holds the core's), and return what writes them."""
    found: dict[int, bool] = {row.id: row.retired for row in session.execute(
        text("SELECT id, retired_at IS NOT NULL AS retired FROM person WHERE id = ANY(:ids)"), {"ids": member_ids})}
    for i, person_id in enumerate(member_ids):
        if person_id not in found:
            raise InvalidInput(f"member_ids.{i}: no person has id {person_id}; register them first.",
                               field="member_ids")
        if found[person_id]:
            raise InvalidInput(f"member_ids.{i}: person {person_id} is retired.", field="member_ids")
    usernames: dict[int, str] = {}
    for i, account in enumerate(accounts):
        if account["person_id"] not in member_ids:
            raise InvalidInput(f"member_accounts.{i}: person {account['person_id']} is not a member of the core.",
                               reason="account_not_a_member", field="member_accounts")
        area = session.execute(text("SELECT area_unit_id FROM app_user WHERE username = :u AND role = 'core' "
                                    "AND NOT disabled"), {"u": account["username"]}).scalar()
        if area is None or not unit_within_area(session, unit_id, area):
            raise InvalidInput(f"member_accounts.{i}: '{account['username']}' is not a progress-core member's "
                               "account whose area holds this core's.", reason="account_not_core",
                               field="member_accounts", name=account["username"])
        usernames[account["person_id"]] = account["username"]

    def attach(core: ProgressCore) -> None:
        session.execute(text("DELETE FROM core_member WHERE core_id = :id"), {"id": core.id})
        for person_id in sorted(set(member_ids)):
            session.add(CoreMember(core_id=core.id, person_id=person_id, username=usernames.get(person_id)))
        session.flush()

    return attach


def core_document(session: Session, core_id: int) -> dict[str, Any]:
    """A core with its members by name, the roadmaps it drafted and its mean assessment score."""
    core = get_or_404(session, ProgressCore, core_id, "progress core")
    doc = _document(session, core)
    doc["members"] = [dict(m) for m in session.execute(
        text("""SELECT p.id, p.name, p.role, c.username FROM core_member c JOIN person p ON p.id = c.person_id
                WHERE c.core_id = :id ORDER BY p.name, p.id"""), {"id": core.id}).mappings()]
    doc["roadmaps"] = [dict(r) for r in session.execute(
        text("SELECT id, title, status FROM roadmap WHERE core_id = :id AND archived_at IS NULL ORDER BY id"), {"id": core.id}).mappings()]
    scores = list(core.assessment.values())
    doc["mean_score"] = sum(scores) / len(scores) if scores else None
    doc["stages"] = stage_events(session, core.id)
    return doc


def stage_events(session: Session, core_id: int) -> list[dict[str, Any]]:
    """The core's stage moves, oldest first: from, to, when, by whom and why."""
    return [{**r, "at": r["at"].isoformat()} for r in session.execute(
        text("""SELECT from_stage, to_stage, at, by, reason FROM core_stage_event WHERE core_id = :id
                ORDER BY at, id"""), {"id": core_id}).mappings()]


def create_core(session: Session, data: CoreIn, editor: Editor) -> dict[str, Any]:
    """Register a progress core for an area."""
    unit_id = unit_ref(session, data.unit)
    guard(session, editor, unit_id)
    values = data.model_dump(mode="json", exclude={"unit", "member_ids", "member_accounts"})
    _check(values)
    core = ProgressCore(unit_id=unit_id, **values)
    recorded_create(session, "core", core, editor, lambda c: _document(session, c),
                    attach=_members(session, unit_id, data.member_ids, [a.model_dump() for a in data.member_accounts]))
    session.add(CoreStageEvent(core_id=core.id, from_stage=None, to_stage=core.stage, at=core.created_at,
                               by=editor.username))
    session.flush()
    return core_document(session, core.id)


def update_core(session: Session, core_id: int, patch: CorePatch, editor: Editor,
                opened: Opened | None = None) -> dict[str, Any]:
    """Change a core: name, kind, contacts, member count and members by name (and their accounts), the
    legacy assessment scores and training record. Its stage moves with :func:`spatial.planning.journey.move_stage`.
    ``opened``: the version the edit was made against (see :mod:`spatial.planning.versions`)."""
    core = get_or_404(session, ProgressCore, core_id, "progress core")
    guard(session, editor, core.unit_id)
    changes = reconcile(session, "core", core, patch.model_dump(mode="json", exclude_unset=True),
                        lambda c: _document(session, c), opened)
    required(changes, tuple(changes))
    _check(changes)
    member_ids = changes.pop("member_ids", None)
    accounts = changes.pop("member_accounts", None)
    attach = None
    if member_ids is not None or accounts is not None:
        current = _document(session, core)
        attach = _members(session, core.unit_id, member_ids if member_ids is not None else current["member_ids"],
                          accounts if accounts is not None else [
                              a for a in current["member_accounts"]
                              if member_ids is None or a["person_id"] in member_ids])
    recorded_update(session, "core", core, changes, editor, lambda c: _document(session, c), attach=attach)
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
