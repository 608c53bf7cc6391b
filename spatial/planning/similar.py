"""Places like this one, and the actions that worked there: suggestions for a new roadmap.

Two units are alike when their standardised indicator profiles are close. The profile of a
level is every indicator with values in the level's current period (the one most of its
indicators were last measured in), each turned into
z-scores over the level's units (``(value - mean) / standard deviation``), so that rates,
counts and money weigh alike. The distance between two units is the root mean square of
their z-score differences over the indicators both have: 0 for identical profiles, about
1.4 for two units drawn at random. Units within :data:`SIMILAR_WITHIN` are similar;
farther ones are not, however near they are among the rest — a unit unlike any other gets
an honest "no similar place" rather than the least unlike. What made two units similar is
said by the indicators with the smallest standardised differences.

From the similar places, the suggestions are the actions of their roadmaps that were
achieved or are on track (done, or achieved / on track on the progress watch,
:mod:`spatial.planning.progress`), and their past plans that succeeded; each with its
sector, its cost (the action's financing, the past plan's estimate) and its result, the nearest place first.

The level's profile is computed once per data generation (:class:`GenerationCache`), so a
suggestion costs a vector distance over the level and the similar places' own queries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.indicators import indicator_matrix, indicator_names
from spatial.db.generation import GenerationCache
from spatial.jalali import format_number
from spatial.messages import indicator_name, label, t
from spatial.planning.progress import action_progress
from spatial.planning.references import NOT_A_PROPOSAL
from spatial.units.hierarchy import get_unit

#: Root mean square of the z-score differences under which two units are similar: on
#: average within a quarter of a standard deviation on each indicator (on the demo, most
#: counties have a similar place; a unit among the outliers of its level has none).
SIMILAR_WITHIN = 0.25
#: The share of a level's units an indicator must be measured in to be part of the profile.
MEASURED_IN = 0.5
#: How many similar places are shown and searched for suggestions.
MAX_SIMILAR = 5
#: How many indicators say why two places are similar.
SIMILAR_BY = 3
#: Share of the unit's indicators that another unit must also have to be compared at all.
MIN_SHARED = 0.5
#: Results that make an action or past plan worth suggesting, best first.
RESULTS: tuple[str, ...] = ("done", "achieved", "succeeded", "on_track")


@dataclass(frozen=True)
class LevelProfile:
    """The standardised profiles of a level's units in one period."""

    period: str
    codes: list[str]  # indicator codes, the columns of ``z``
    units: list[str]  # unit codes, the rows of ``z``
    unit_ids: np.ndarray
    z: np.ndarray  # z-scores; NaN where a unit has no value
    row: dict[str, int]  # unit code -> row


_profiles: GenerationCache[LevelProfile | None] = GenerationCache(size=8)

_NEWEST_SQL = """
SELECT i.code, max(v.period) AS period
FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id JOIN admin_unit u ON u.id = v.unit_id
WHERE u.level = :level AND u.valid_to IS NULL AND v.value IS NOT NULL
GROUP BY i.code ORDER BY i.code
"""


def level_profile(session: Session, level: str) -> LevelProfile | None:
    """The standardised profiles of the current units at ``level`` (``None``: no indicator has values there)."""
    return _profiles.get(session, level, lambda: _compute_profile(session, level))


def _compute_profile(session: Session, level: str) -> LevelProfile | None:
    newest: dict[str, str] = {code: period for code, period in session.execute(text(_NEWEST_SQL), {"level": level})}
    if not newest:
        return None
    # The period most indicators were last measured in (the newest of equals): one indicator
    # entered for a later period alone must not shrink every place's profile to itself.
    counts = Counter(newest.values())
    period = max(counts, key=lambda p: (counts[p], p))
    codes = [code for code, p in newest.items() if p == period]
    frame = indicator_matrix(session, codes, level, period)
    values = frame[codes].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
        z = (values - mean) / std
    keep = np.isfinite(std) & (std > 0)  # an indicator equal everywhere tells no places apart
    # Nor does one measured in a few places: over two values any difference standardises to ±1.
    keep &= np.isfinite(values).sum(axis=0) >= MEASURED_IN * len(values)
    units = list(frame.index)
    return LevelProfile(period=period, codes=[c for c, k in zip(codes, keep, strict=True) if k], units=units,
                        unit_ids=frame["unit_id"].to_numpy(), z=z[:, keep], row={c: i for i, c in enumerate(units)})


def similar_units(session: Session, code: str, lang: str = "fa") -> dict[str, Any]:
    """The units most like unit ``code`` at its level, nearest first.

    ``{unit, level, period, within, similar: [{code, name, distance, similar_by: [{indicator,
    name, difference}]}], message}``: at most :data:`MAX_SIMILAR` units within distance
    :data:`SIMILAR_WITHIN`; ``similar_by`` the indicators with the smallest standardised
    differences, smallest first. ``message`` says "no similar place" in ``lang`` when there is none.
    """
    unit = get_unit(session, code)
    profile = level_profile(session, unit.level)
    found: list[dict[str, Any]] = []
    if profile is not None and code in profile.row:
        found = _nearest(profile, profile.row[code])
    if found:
        names = {row["code"]: indicator_name(row, lang) for row in indicator_names(session)}
        others = _unit_names(session, [f["code"] for f in found], lang)
        for item in found:
            item["name"] = others[item["code"]]
            for by in item["similar_by"]:
                by["name"] = names.get(by["indicator"], by["indicator"])
    return {"unit": {"code": unit.code, "name_fa": unit.name_fa, "name_en": unit.name_en, "level": unit.level},
            "level": unit.level, "period": profile.period if profile else None, "within": SIMILAR_WITHIN,
            "similar": found, "message": None if found else t("similar.none", lang)}


def _nearest(profile: LevelProfile, me: int) -> list[dict[str, Any]]:
    """The rows within :data:`SIMILAR_WITHIN` of row ``me``, nearest first, with what made them similar."""
    mine = profile.z[me]
    has = np.isfinite(mine)
    if not has.any():
        return []
    diff = np.abs(profile.z[:, has] - mine[has])
    shared = np.isfinite(diff)
    counts = shared.sum(axis=1)
    squared = np.where(shared, diff, 0.0) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = np.sqrt(squared.sum(axis=1) / counts)
    distance[counts < max(1, MIN_SHARED * has.sum())] = np.inf
    distance[me] = np.inf
    order = np.argsort(distance, kind="stable")[:MAX_SIMILAR]
    codes = np.asarray(profile.codes)[has]
    found = []
    for row in order:
        if not distance[row] <= SIMILAR_WITHIN:
            break
        closest = np.argsort(np.where(shared[row], diff[row], np.inf), kind="stable")[:SIMILAR_BY]
        found.append({"code": profile.units[row], "unit_id": int(profile.unit_ids[row]),
                      "distance": round(float(distance[row]), 4),
                      "similar_by": [{"indicator": str(codes[i]), "difference": round(float(diff[row, i]), 4)}
                                     for i in closest if shared[row, i]]})
    return found


def _unit_names(session: Session, codes: list[str], lang: str) -> dict[str, str]:
    column = "name_fa" if lang == "fa" else "name_en"
    rows = session.execute(text("SELECT code, name_fa, name_en FROM admin_unit WHERE code = ANY(:c) AND valid_to IS NULL"),
                           {"c": codes}).mappings()
    return {r["code"]: r[column] or r["name_fa"] for r in rows}


_ACTIONS_SQL = f"""
SELECT a.id, a.title, a.sector, a.status, a.roadmap_id, r.title AS roadmap_title, r.unit_id,
       coalesce((SELECT sum(f.amount_rials) FROM financing f WHERE f.action_id = a.id AND f.archived_at IS NULL), 0)
         AS cost_rials,
       EXISTS (SELECT 1 FROM financing f WHERE f.action_id = a.id AND f.archived_at IS NULL) AS costed
FROM action a JOIN roadmap r ON r.id = a.roadmap_id
WHERE r.unit_id = ANY(:units) AND a.archived_at IS NULL AND r.archived_at IS NULL AND a.status <> 'cancelled'
  AND {NOT_A_PROPOSAL}
ORDER BY a.id
"""
_PLANS_SQL = """
SELECT p.id, p.title, p.sector, p.outcome, p.lessons, p.unit_id, p.cost_rials FROM past_plan p
WHERE p.unit_id = ANY(:units) AND p.outcome = 'succeeded' ORDER BY p.id
"""


def roadmap_suggestions(session: Session, code: str, lang: str = "fa") -> dict[str, Any]:
    """Actions for a new roadmap of unit ``code``, from the places most like it.

    What :func:`similar_units` returns, with ``suggestions``: the achieved or on-track
    actions of the similar places' roadmaps and their successful past plans, nearest place
    first, then by result (:data:`RESULTS`). Each: ``ref`` (``action:12``, ``past_plan:3``:
    what the new-roadmap form sends to take it), ``kind, id, title, sector, sector_label,
    cost_rials`` (``None`` when unknown), ``result, result_label, text`` (the line in
    words), ``unit, unit_name, distance, similar_by`` and, for an action, ``roadmap_id,
    roadmap_title``.
    """
    found = similar_units(session, code, lang)
    places = {s["unit_id"]: s for s in found["similar"]}
    suggestions: list[dict[str, Any]] = []
    if places:
        ids = list(places)
        actions = session.execute(text(_ACTIONS_SQL), {"units": ids}).mappings().all()
        progress = action_progress(session, [a["id"] for a in actions])
        for a in actions:
            result = "done" if a["status"] == "done" else progress[a["id"]]["status"]
            if result in RESULTS:
                suggestions.append(_suggestion(
                    "action", a, places[a["unit_id"]], result, lang,
                    int(a["cost_rials"]) if a["costed"] else None, roadmap_id=a["roadmap_id"],
                    roadmap_title=a["roadmap_title"]))
        for p in session.execute(text(_PLANS_SQL), {"units": ids}).mappings():
            suggestions.append(_suggestion("past_plan", p, places[p["unit_id"]], "succeeded", lang,
                                           p["cost_rials"], lessons=p["lessons"]))
    suggestions.sort(key=lambda s: (s["distance"], RESULTS.index(s["result"]), s["kind"] != "action", s["id"]))
    for item in found["similar"]:
        item.pop("unit_id")
    return {**found, "suggestions": suggestions}


def _suggestion(kind: str, row: Any, place: dict[str, Any], result: str, lang: str, cost: int | None,
                **rest: Any) -> dict[str, Any]:
    vocabulary = "outcome" if kind == "past_plan" else ("action_status" if result == "done" else "progress")
    result_label = label(vocabulary, result, lang)
    sector = label("sector", row["sector"], lang)
    money = (t("similar.cost", lang, amount=format_number(cost, lang)) if cost is not None
             else t("similar.cost_unknown", lang))
    return {"ref": f"{kind}:{row['id']}", "kind": kind, "id": int(row["id"]), "title": row["title"],
            "sector": row["sector"], "sector_label": sector, "cost_rials": cost, "result": result,
            "result_label": result_label, "unit": place["code"], "unit_name": place["name"],
            "distance": place["distance"], "similar_by": place["similar_by"],
            "text": t("similar.line", lang, title=row["title"], place=place["name"], sector=sector, cost=money,
                      result=result_label),
            **rest}
