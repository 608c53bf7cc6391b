"""The progress watch (دیده‌بان پیشرفت): is each key result, action and roadmap on track?

Key result
----------
A key result moves an indicator from ``baseline`` to ``target`` by ``target_date``.
Its expected path is the straight line from ``(start, baseline)`` to
``(target_date, target)``, where ``start`` is the action's start date, or the
roadmap's when the action has none. On a day ``on`` (default today), with the latest
measurement taken on or before ``on``:

- ``no_data``: no measurement yet;
- ``achieved``: the latest value has reached the target (at or beyond it, in the
  direction from baseline to target — a target below the baseline is reached by going
  down);
- ``overdue``: not achieved and ``on`` is after the target date;
- ``on_track``: the latest value is at or beyond the line *on the day it was measured*;
- ``behind``: otherwise.

``progress`` is the share of the way from baseline to target, clamped to 0..1 (0 when
there is no measurement yet).

Roll-up (actions and roadmaps)
------------------------------
An action's status rolls up its key results, and a roadmap's rolls up its actions
(cancelled and archived actions are left out; archived key results and withdrawn
measurements do not count), with one rule, :func:`roll_up`: the worst known
status wins — ``overdue`` before ``behind`` — then ``achieved`` only when *every*
part is achieved, else ``on_track``. Parts without data are ignored unless nothing has
data, which gives ``no_data``. So one overdue key result makes its action and roadmap
overdue, and an action is achieved only when all its key results are.

Examples
--------
>>> roll_up(["achieved", "on_track"])
'on_track'
>>> roll_up(["achieved", "behind", "no_data"])
'behind'
>>> roll_up(["no_data"]), roll_up([])
('no_data', 'no_data')
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.planning.references import NOT_A_PROPOSAL, SUBTREE, unit_filter
from spatial.units.hierarchy import check_level

STATUSES: tuple[str, ...] = ("achieved", "on_track", "behind", "overdue", "no_data")
_KEY_RESULT_SQL = (Path(__file__).parent / "sql" / "key_result_progress.sql").read_text()
_KEY_RESULT_PROGRESS = text(_KEY_RESULT_SQL)
#: The same statuses, only the day, action and status of each (what a series over many days needs).
_KEY_RESULT_STATUS = text(f"SELECT on_day, action_id, status FROM ({_KEY_RESULT_SQL}) judged")


def roll_up(statuses: Iterable[str]) -> str:
    """One status for a whole from the statuses of its parts (see the module docstring)."""
    parts = list(statuses)
    known = [s for s in parts if s != "no_data"]
    if not known:
        return "no_data"
    for worst in ("overdue", "behind"):
        if worst in known:
            return worst
    return "achieved" if all(s == "achieved" for s in parts) else "on_track"


def key_result_progress(session: Session, action_ids: list[int], on: date | None = None) -> list[dict[str, Any]]:
    """The status of every key result of ``action_ids`` on day ``on`` (default today), in one query.

    Each dict holds ``id, action_id, indicator, unit_of_measure, baseline, target,
    target_date, start_date, latest_on, latest_value, expected, status, progress``.
    """
    rows = session.execute(_KEY_RESULT_PROGRESS, {"action_ids": action_ids, "days": [on or date.today()]})
    return [{k: v for k, v in r.items() if k != "on_day"} for r in rows.mappings()]


def action_statuses_on(session: Session, action_ids: list[int], days: list[date]) -> dict[date, dict[int, str]]:
    """Per day of ``days``: every action's rolled-up status on that day (the same rule as
    :func:`action_progress`, judged for all the days in one query), for progress over time."""
    parts: dict[date, dict[int, list[str]]] = {d: {a: [] for a in action_ids} for d in days}
    rows = session.execute(_KEY_RESULT_STATUS, {"action_ids": action_ids, "days": days})
    for r in rows:
        parts[r.on_day][r.action_id].append(r.status)
    return {d: {a: roll_up(s) for a, s in per.items()} for d, per in parts.items()}


def action_progress(session: Session, action_ids: list[int], on: date | None = None) -> dict[int, dict[str, Any]]:
    """Per action: its rolled-up ``status`` and its ``key_results`` with theirs."""
    result: dict[int, dict[str, Any]] = {a: {"status": "no_data", "key_results": []} for a in action_ids}
    for kr in key_result_progress(session, action_ids, on):
        result[kr["action_id"]]["key_results"].append(kr)
    for entry in result.values():
        entry["status"] = roll_up([kr["status"] for kr in entry["key_results"]])
    return result


def roadmap_progress(session: Session, roadmap_ids: list[int], on: date | None = None) -> dict[int, str]:
    """Per roadmap: the roll-up of its actions' statuses, cancelled actions left out."""
    rows = session.execute(
        text("""SELECT id, roadmap_id FROM action
                WHERE roadmap_id = ANY(:ids) AND status <> 'cancelled' AND archived_at IS NULL"""),
        {"ids": roadmap_ids},
    ).all()
    per_action = action_progress(session, [r.id for r in rows], on)
    by_roadmap: dict[int, list[str]] = {rid: [] for rid in roadmap_ids}
    for r in rows:
        by_roadmap[r.roadmap_id].append(per_action[r.id]["status"])
    return {rid: roll_up(statuses) for rid, statuses in by_roadmap.items()}


def _actions_under(session: Session, unit_code: str, level: str | None) -> list[int]:
    unit_filter(session, unit_code)
    if level is not None:
        check_level(level)
    return list(session.execute(
        text(f"""{SUBTREE}
                SELECT a.id FROM action a JOIN roadmap r ON r.id = a.roadmap_id
                JOIN admin_unit u ON u.id = r.unit_id
                WHERE r.unit_id IN (SELECT id FROM sub) AND (CAST(:level AS text) IS NULL OR u.level = :level)
                  AND a.archived_at IS NULL AND r.archived_at IS NULL AND {NOT_A_PROPOSAL}
                ORDER BY a.id"""),
        {"unit": unit_code, "level": level},
    ).scalars())


def action_features(session: Session, action_ids: list[int], on: date | None = None) -> list[dict[str, Any]]:
    """GeoJSON features of actions with their progress, for maps and the progress list.

    Properties: ``id, title, sector, status, progress_status, responsible_person_id,
    responsible`` (the person's name), ``sponsor,
    financing [{source, amount_rials}], start_date, end_date`` (ISO), ``key_results
    [{indicator, baseline, target, target_date, latest_value, status, progress}]``,
    and ``roadmap_id, roadmap_title, unit_code, level``. ``geometry`` may be ``None``.
    """
    rows = session.execute(
        text("""SELECT a.id, a.title, a.sector, a.status, a.start_date, a.end_date,
                       a.roadmap_id, r.title AS roadmap_title, u.code AS unit_code, u.level,
                       a.responsible_person_id, p.name AS responsible, o.name AS sponsor,
                       CAST(ST_AsGeoJSON(a.geom) AS jsonb) AS geometry,
                       coalesce((SELECT jsonb_agg(jsonb_build_object('source', f.source,
                                                                     'amount_rials', f.amount_rials) ORDER BY f.id)
                                 FROM financing f WHERE f.action_id = a.id AND f.archived_at IS NULL),
                                '[]'::jsonb) AS financing
                FROM action a JOIN roadmap r ON r.id = a.roadmap_id JOIN admin_unit u ON u.id = r.unit_id
                LEFT JOIN person p ON p.id = a.responsible_person_id
                LEFT JOIN organisation o ON o.id = a.sponsor_id
                WHERE a.id = ANY(:ids) ORDER BY a.id"""),
        {"ids": action_ids},
    ).mappings().all()
    progress = action_progress(session, action_ids, on)
    features = []
    for r in rows:
        entry = progress[r["id"]]
        props = {k: v for k, v in r.items() if k != "geometry"}
        props["start_date"] = r["start_date"].isoformat() if r["start_date"] else None
        props["end_date"] = r["end_date"].isoformat() if r["end_date"] else None
        props["progress_status"] = entry["status"]
        props["key_results"] = [
            {"indicator": kr["indicator"], "baseline": kr["baseline"], "target": kr["target"],
             "target_date": kr["target_date"].isoformat(), "latest_value": kr["latest_value"],
             "latest_on": kr["latest_on"].isoformat() if kr["latest_on"] else None,
             "status": kr["status"], "progress": kr["progress"]}
            for kr in entry["key_results"]
        ]
        features.append({"type": "Feature", "id": r["id"], "geometry": r["geometry"], "properties": props})
    return features


def progress_for_unit(session: Session, unit_code: str, level: str | None = None,
                      on: date | None = None) -> dict[str, Any]:
    """The status of every action under a unit (its roadmaps and its descendants'),
    with counts per status. ``level`` keeps only roadmaps of units at that level."""
    day = on or date.today()
    features = action_features(session, _actions_under(session, unit_code, level), day)
    actions = [{**f["properties"], "has_geometry": f["geometry"] is not None} for f in features]
    counts = {s: 0 for s in STATUSES}
    for a in actions:
        counts[a["progress_status"]] += 1
    return {"unit": unit_code, "level": level, "on": day.isoformat(), "counts": counts, "actions": actions}


def progress_geojson(session: Session, unit_code: str, level: str | None = None,
                     on: date | None = None) -> dict[str, Any]:
    """A FeatureCollection of the actions under a unit that have a geometry, each with its
    ``progress_status`` (for the progress map: late and on-track actions)."""
    features = action_features(session, _actions_under(session, unit_code, level), on)
    return {"type": "FeatureCollection", "features": [f for f in features if f["geometry"] is not None]}
