"""The profile of one unit: what planners read before writing its roadmap."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.advantage import top_advantages
from spatial.analytics.bivariate import bivariate_classes
from spatial.analytics.indices import scored_units
from spatial.analytics.multidimensional import unit_deprivation
from spatial.analytics.shift_share import unit_profile_shift_share
from spatial.errors import NotFound
from spatial.analytics.target_community import target_community
from spatial.units.hierarchy import ancestors, get_unit


def unit_profile(session: Session, code: str) -> dict[str, Any]:
    """Indicators, index scores and ranks, advantages, shift-share, Alkire-Foster deprivation, LISA cluster
    and bivariate class of ``code``.

    Each part uses its latest period (shift-share: the two latest with sector jobs).
    ``cluster`` is the unit's LISA label on the latest deprivation index; ``bivariate``
    its class on the latest capacity and deprivation indices (``None`` when either is
    missing at the unit's level).
    """
    unit = get_unit(session, code)
    indicators = session.execute(
        text("""SELECT DISTINCT ON (i.code) i.code, i.name_fa, i.name_en, i.unit_of_measure, i.domain, i.direction, i.source,
                       i.synthetic, v.period, v.value
                FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id
                WHERE v.unit_id = :unit ORDER BY i.code, v.period DESC"""),
        {"unit": unit.id},
    ).mappings().all()
    scored_rows = session.execute(
        text("""SELECT DISTINCT ON (ci.code) ci.id, ci.code, ci.name_fa, ci.name_en, ci.domain, ci.definition_hash,
                       ci.synthetic, s.period, s.level, s.score, s.rank_overall, s.rank_in_parent, s.cluster
                FROM index_score s JOIN composite_index ci ON ci.id = s.index_id
                WHERE s.unit_id = :unit ORDER BY ci.code, ci.id DESC, s.period DESC"""),
        {"unit": unit.id},
    ).mappings().all()
    scored = scored_units(session)  # how many units each rank is out of, counted once per data generation
    indices = [{**{k: v for k, v in r.items() if k != "level"}, "out_of": scored.get((r["id"], r["period"], r["level"]), 0)}
               for r in scored_rows]
    latest = {domain: max((r for r in indices if r["domain"] == domain), key=lambda r: r["id"], default=None)
              for domain in ("capacity", "deprivation")}
    bivariate = None
    if latest["capacity"] and latest["deprivation"]:
        classes = bivariate_classes(session, f"index:{latest['capacity']['id']}",
                                    f"index:{latest['deprivation']['id']}", unit.level)
        bivariate = classes.get(code)
    try:
        advantage = top_advantages(session, code)
    except NotFound:
        advantage = None
    return {
        "unit": {**unit.properties(), "children": unit.children,
                 "ancestors": [a.code for a in ancestors(session, code)]},
        "indicators": [dict(r) for r in indicators],
        "indices": indices,
        "cluster": latest["deprivation"]["cluster"] if latest["deprivation"] else None,
        "bivariate": bivariate,
        "advantages": advantage,
        "shift_share": unit_profile_shift_share(session, code),
        "multidimensional_deprivation": unit_deprivation(session, unit.id),
        "target_community": target_community(session, code),
    }
