"""The target community of a unit: unemployed people and vulnerable groups, by class.

Target-community indicators are counts (domain ``target_community``) whose ``meta``
names a ``group`` (``unemployed`` or ``vulnerable``) and a ``class`` (youth, women,
female-headed households…); they are usually imported from census tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.units.hierarchy import get_unit


def target_community(session: Session, unit_code: str, period: str | None = None) -> dict[str, Any]:
    """Counts and population shares of each target group and class in ``unit_code``.

    Uses the latest period with values unless ``period`` is named. Returns
    ``{unit, population, period, groups: {group: {count, share, classes: [...]}}}``.
    """
    unit = get_unit(session, unit_code)
    rows = session.execute(
        text("""SELECT i.code, i.name_fa, i.name_en, i.unit_of_measure, i.meta->>'group' AS grp,
                       coalesce(i.meta->>'class', i.code) AS class, v.period, v.value
                FROM indicator i JOIN indicator_value v ON v.indicator_id = i.id
                WHERE i.domain = 'target_community' AND i.meta ? 'group' AND v.unit_id = :unit
                  AND v.period = coalesce(CAST(:period AS text),
                        (SELECT max(v2.period) FROM indicator_value v2 JOIN indicator i2 ON i2.id = v2.indicator_id
                         WHERE i2.domain = 'target_community' AND i2.meta ? 'group' AND v2.unit_id = :unit))
                ORDER BY grp, i.code"""),
        {"unit": unit.id, "period": period},
    ).mappings().all()
    population = unit.population or 0
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        count = None if r["value"] is None else float(r["value"])
        group = groups.setdefault(r["grp"], {"count": 0.0, "share": None, "classes": []})
        group["classes"].append({
            "indicator": r["code"], "class": r["class"], "name_fa": r["name_fa"], "name_en": r["name_en"],
            "unit_of_measure": r["unit_of_measure"], "count": count,
            "share": count / population if count is not None and population else None,
        })
        group["count"] += count or 0.0
    for group in groups.values():
        group["share"] = group["count"] / population if population else None
    return {"unit": unit.code, "population": unit.population, "period": rows[0]["period"] if rows else period,
            "groups": groups}
