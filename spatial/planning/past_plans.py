"""The past plans register: earlier empowerment projects, what came of them and why,
so that successes can spread and failures are not repeated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput
from spatial.planning.history import Editor, recorded_create, recorded_delete, recorded_update
from spatial.models.roadmaps import PastPlan
from spatial.planning.references import SUBTREE, get_or_404, guard, required, unit_filter, unit_ref, with_unit
from spatial.planning.roadmap_inputs import PastPlanIn, PastPlanPatch
from spatial.planning.versions import Opened, reconcile


def _check(values: dict[str, Any]) -> None:
    start, end = values.get("start_year"), values.get("end_year")
    if start is not None and end is not None and end < start:
        raise InvalidInput(f"end_year {end} is before start_year {start}.", reason="end_before_start", field="end_year")


def create_past_plan(session: Session, data: PastPlanIn, editor: Editor) -> dict[str, Any]:
    """Add a past plan to the register."""
    unit_id = unit_ref(session, data.unit)
    guard(session, editor, unit_id)
    values = data.model_dump(exclude={"unit"})
    _check(values)
    return recorded_create(session, "past_plan", PastPlan(unit_id=unit_id, **values), editor,
                           lambda p: with_unit(session, p))


def get_past_plan(session: Session, plan_id: int) -> dict[str, Any]:
    """One past plan."""
    return with_unit(session, get_or_404(session, PastPlan, plan_id, "past plan"))


def update_past_plan(session: Session, plan_id: int, patch: PastPlanPatch, editor: Editor,
                     opened: Opened | None = None) -> dict[str, Any]:
    """Change a past plan's record.
    ``opened``: the version the edit was made against (see :mod:`spatial.planning.versions`)."""
    plan = get_or_404(session, PastPlan, plan_id, "past plan")
    guard(session, editor, plan.unit_id)
    changes = reconcile(session, "past_plan", plan, patch.model_dump(exclude_unset=True),
                        lambda p: with_unit(session, p), opened)
    required(changes, ("title", "sector", "outcome", "strengths", "weaknesses", "spread", "lessons"))
    _check({"start_year": plan.start_year, "end_year": plan.end_year, **changes})
    return recorded_update(session, "past_plan", plan, changes, editor, lambda p: with_unit(session, p))


def delete_past_plan(session: Session, plan_id: int, editor: Editor, opened: Opened | None = None) -> None:
    """Remove a past plan from the register (it stays in the history; refused if changed since ``opened``)."""
    plan = get_or_404(session, PastPlan, plan_id, "past plan")
    guard(session, editor, plan.unit_id)
    reconcile(session, "past_plan", plan, {}, lambda p: with_unit(session, p), opened)
    recorded_delete(session, "past_plan", plan, editor, lambda p: with_unit(session, p))


def search_past_plans(session: Session, unit: str | None = None, sector: str | None = None,
                      outcome: str | None = None, q: str | None = None) -> list[dict[str, Any]]:
    """Past plans in ``unit`` (or below), by sector and outcome, and a text search over the
    title, strengths, weaknesses, spread and lessons."""
    unit_filter(session, unit)
    ids = session.execute(
        text(f"""{SUBTREE}
                SELECT p.id FROM past_plan p
                WHERE (CAST(:unit AS text) IS NULL OR p.unit_id IN (SELECT id FROM sub))
                  AND (CAST(:sector AS text) IS NULL OR p.sector = :sector)
                  AND (CAST(:outcome AS text) IS NULL OR p.outcome = :outcome)
                  AND (CAST(:q AS text) IS NULL OR concat_ws(' ', p.title, p.strengths, p.weaknesses, p.spread,
                                                             p.lessons) ILIKE '%' || :q || '%')
                ORDER BY p.start_year NULLS LAST, p.id"""),
        {"unit": unit, "sector": sector, "outcome": outcome, "q": q},
    ).scalars().all()
    return [get_past_plan(session, i) for i in ids]
