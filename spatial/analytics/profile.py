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
from spatial.messages import label, measure, t
from spatial.tables import Table
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
                       i.meta->>'source_en' AS source_en, i.synthetic, v.period, v.value
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


def profile_tables(profile: dict[str, Any], lang: str = "fa") -> list[Table]:
    """A :func:`unit_profile` as two tables in ``lang``'s words: the unit's indicators
    (latest period of each) and its composite index scores with their ranks."""
    def w(key: str) -> str:
        return t(key, lang)

    def name(row: dict[str, Any]) -> str:
        return str((row["name_fa"] if lang == "fa" else row["name_en"]) or row["name_en"] or row["code"])

    return [
        Table(w("unit.indicators"), [w("unit.indicator"), w("unit.value"), w("kr.unit_of_measure"), w("unit.period"),
                                     w("unit.source")], [
            [name(i), i["value"], measure(i["unit_of_measure"], lang), i["period"], i["source"]]
            for i in profile["indicators"]]),
        Table(w("unit.indices"), [w("unit.indicator"), w("derive.domain"), w("unit.score"), w("unit.rank"),
                                  w("export.out_of"), w("unit.period")], [
            [name(i), label("domain", i["domain"], lang), i["score"], i["rank_overall"], i["out_of"], i["period"]]
            for i in profile["indices"]]),
    ]
_SERIES_SQL = """
WITH me AS (
    SELECT id, parent_id, level FROM admin_unit WHERE code = :code AND valid_to IS NULL
), peers AS (  -- the unit and its siblings: same parent (or, for the top level, none), same level
    SELECT u.id FROM admin_unit u, me
    WHERE u.valid_to IS NULL AND u.level = me.level
      AND (u.parent_id = me.parent_id OR (me.parent_id IS NULL AND u.parent_id IS NULL))
), ranked AS (
    SELECT v.indicator_id, v.period, v.unit_id, v.value,
           avg(v.value) OVER w AS peers_mean, count(*) OVER w AS peers,
           percent_rank() OVER (w ORDER BY v.value) AS share_below,
           rank() OVER (w ORDER BY v.value DESC) AS rank_high, rank() OVER (w ORDER BY v.value) AS rank_low
    FROM indicator_value v JOIN peers p ON p.id = v.unit_id
    WHERE v.value IS NOT NULL
    WINDOW w AS (PARTITION BY v.indicator_id, v.period)
)
SELECT i.code, i.name_fa, i.name_en, i.unit_of_measure, i.domain, i.direction,
       r.period, r.value, r.peers_mean, r.peers, r.share_below, r.rank_high, r.rank_low
FROM ranked r JOIN indicator i ON i.id = r.indicator_id, me
WHERE r.unit_id = me.id
ORDER BY i.domain, i.code, r.period
"""


def indicator_series(session: Session, code: str) -> list[dict[str, Any]]:
    """Every indicator of unit ``code`` in every period, beside its siblings: one row per
    (indicator, period) with the unit's ``value``, the siblings' ``peers_mean``, their
    number ``peers`` (the unit included), ``share_below``, the share of them with a
    lower value (0–1), and the unit's ranks among them, highest first (``rank_high``) and
    lowest first (``rank_low``). One query over the unit and its siblings only, so its cost follows
    the size of the family, not of the level."""
    return [dict(r) for r in session.execute(text(_SERIES_SQL), {"code": code}).mappings()]
