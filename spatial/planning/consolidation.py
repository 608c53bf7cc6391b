"""Consolidating past plans («اجماع طرح‌ها»): several roadmaps and past plans of a unit side
by side, and a new roadmap made of the parts worth keeping.

Plans must survive a change of managers: rather than start again, a planner lays the
plans written before for a place (and the places within it) side by side — their goals,
actions, sectors, money and what happened — marks what to keep, and makes one roadmap of
it. The new roadmap names all its sources (``roadmap.sources``, so its history names them
too), and each action taken over names the action or past plan it came from
(:mod:`spatial.planning.sources`).

A kept part is written as the form sends it: ``strategy:ROADMAP:I``, ``capacity:ROADMAP:I``
and ``advantage:ROADMAP:I`` (line ``I`` of that roadmap), ``action:ID`` (an action, taken
over as a new planned action with its cost), ``past_plan:ID`` (a past plan, taken over as
an action) and ``lesson:ID`` (a past plan's lessons, as a strategy line).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput
from spatial.planning.history import Editor
from spatial.planning.past_plans import get_past_plan
from spatial.planning.progress import action_features, roadmap_progress
from spatial.planning.references import SUBTREE, unit_filter
from spatial.planning.roadmap_inputs import ActionIn, ConsolidationIn, RoadmapIn, SourceRef
from spatial.planning.roadmaps import create_action, create_roadmap, get_roadmap
from spatial.planning.sources import action_values

#: Line parts of a roadmap that can be kept, and the roadmap field that holds them.
LINE_PARTS = {"strategy": "strategies", "capacity": "capacities", "advantage": "advantages"}


def consolidation_candidates(session: Session, code: str) -> dict[str, list[dict[str, Any]]]:
    """The roadmaps (archived ones left out) and past plans of unit ``code`` and the units within it."""
    unit_filter(session, code)
    roadmaps = session.execute(text(f"""{SUBTREE}
        SELECT r.id, r.title, r.status, r.start_date, r.end_date, u.code AS unit, u.name_fa, u.name_en
        FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id
        WHERE r.unit_id IN (SELECT id FROM sub) AND r.archived_at IS NULL ORDER BY r.start_date, r.id"""),
        {"unit": code}).mappings().all()
    plans = session.execute(text(f"""{SUBTREE}
        SELECT p.id, p.title, p.outcome, p.sector, p.start_year, p.end_year, u.code AS unit, u.name_fa, u.name_en
        FROM past_plan p JOIN admin_unit u ON u.id = p.unit_id
        WHERE p.unit_id IN (SELECT id FROM sub) ORDER BY p.start_year NULLS LAST, p.id"""),
        {"unit": code}).mappings().all()
    return {"roadmaps": [dict(r) for r in roadmaps], "past_plans": [dict(p) for p in plans]}


def side_by_side(session: Session, code: str, roadmap_ids: list[int], plan_ids: list[int]) -> list[dict[str, Any]]:
    """The chosen roadmaps and past plans of unit ``code``, one column each, in the order chosen.

    A roadmap's column: ``kind="roadmap", id, title, unit, period, status, progress_status,
    strategies, capacities, advantages, actions`` (each with ``sector, status,
    progress_status, cost_rials``), ``sectors`` and ``cost_rials`` (its actions' financing).
    A past plan's: ``kind="past_plan"`` and its record (``sector, outcome, strengths,
    weaknesses, spread, lessons``, years). :class:`InvalidInput` names a source outside the unit.
    """
    _check_within(session, code, roadmap_ids, plan_ids)
    columns: list[dict[str, Any]] = []
    statuses = roadmap_progress(session, roadmap_ids)
    for rid in roadmap_ids:
        doc = get_roadmap(session, rid)
        actions = [f["properties"] for f in action_features(session, [a["id"] for a in doc["actions"]])]
        for a in actions:
            a["cost_rials"] = sum(f["amount_rials"] for f in a["financing"])
        columns.append({
            "kind": "roadmap", "ref": f"roadmap:{rid}", "id": rid, "title": doc["title"], "unit": doc["unit"],
            "start_date": doc["start_date"], "end_date": doc["end_date"], "status": doc["status"],
            "progress_status": statuses[rid], "strategies": doc["strategies"], "capacities": doc["capacities"],
            "advantages": doc["advantages"], "actions": actions,
            "sectors": sorted({a["sector"] for a in actions if a["sector"]}),
            "cost_rials": sum(a["cost_rials"] for a in actions)})
    for pid in plan_ids:
        plan = get_past_plan(session, pid)
        columns.append({**plan, "kind": "past_plan", "ref": f"past_plan:{pid}",
                        "sectors": [plan["sector"]] if plan["sector"] else []})
    return columns


def _check_within(session: Session, code: str, roadmap_ids: list[int], plan_ids: list[int]) -> None:
    """Refuse roadmaps and past plans that do not exist or lie outside unit ``code``, naming them."""
    found = consolidation_candidates(session, code)
    for field, ids, have in (("roadmaps", roadmap_ids, found["roadmaps"]), ("past_plans", plan_ids, found["past_plans"])):
        known = {r["id"] for r in have}
        for i, one in enumerate(ids):
            if one not in known:
                raise InvalidInput(f"{field}.{i}: {field[:-1].replace('_', ' ')} {one} is not one of unit {code} "
                                   "or the units within it.", reason="source_outside_unit", field=f"{field}.{i}")


def consolidate(session: Session, data: ConsolidationIn, editor: Editor) -> dict[str, Any]:
    """Create a roadmap for ``data.unit`` from the kept parts of the chosen roadmaps and past plans.

    The new roadmap (status ``draft``) names every chosen roadmap and past plan in its
    ``sources``; kept strategy, capacity and advantage lines are copied in the order the
    sources were chosen; a kept action or past plan becomes a new planned action naming its
    source; a kept past plan's lessons become a strategy line. Returns the new roadmap with
    its actions. :class:`InvalidInput` names the field at fault; in the caller's transaction
    nothing is then written.
    """
    if not data.roadmaps and not data.past_plans:
        raise InvalidInput("roadmaps, past_plans: choose at least one roadmap or past plan to consolidate.",
                           reason="required", field="roadmaps")
    columns = {c["ref"]: c for c in side_by_side(session, data.unit, data.roadmaps, data.past_plans)}
    lines: dict[str, list[Any]] = {field: [] for field in LINE_PARTS.values()}
    taken: list[SourceRef] = []
    for i, part in enumerate(data.keep):
        kind, _, rest = part.partition(":")
        field = f"keep.{i}"
        if kind in LINE_PARTS:
            rid, _, index = rest.partition(":")
            column = columns.get(f"roadmap:{rid}")
            items = column[LINE_PARTS[kind]] if column else []
            if not index.isdigit() or int(index) >= len(items):
                raise InvalidInput(f"{field}: '{part}' is not a line of a chosen roadmap.", reason="bad_part",
                                   field=field)
            lines[LINE_PARTS[kind]].append(items[int(index)])
        elif kind == "lesson" and f"past_plan:{rest}" in columns:
            lessons = columns[f"past_plan:{rest}"]["lessons"]
            if lessons:
                lines["strategies"].append(lessons)
        elif kind == "action" and rest.isdigit() and any(
                a["id"] == int(rest) for c in columns.values() for a in c.get("actions", [])):
            taken.append(SourceRef(kind="action", id=int(rest)))
        elif kind == "past_plan" and part in columns:
            taken.append(SourceRef(kind="past_plan", id=int(rest)))
        else:
            raise InvalidInput(f"{field}: '{part}' is not a part of the chosen roadmaps and past plans.",
                               reason="bad_part", field=field)
    sources = [SourceRef(kind="roadmap", id=r) for r in data.roadmaps] + [
        SourceRef(kind="past_plan", id=p) for p in data.past_plans]
    made = create_roadmap(session, RoadmapIn(
        unit=data.unit, title=data.title, start_date=data.start_date, end_date=data.end_date,
        capacities=lines["capacities"], advantages=lines["advantages"], strategies=lines["strategies"],
        sources=sources, synthetic=data.synthetic), editor)
    for i, ref in enumerate(taken):
        create_action(session, ActionIn(roadmap_id=made["id"], synthetic=data.synthetic,
                                        **action_values(session, ref, f"keep.{i}")), editor)
    return get_roadmap(session, made["id"])
