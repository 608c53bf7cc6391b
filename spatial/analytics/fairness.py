"""Fair distribution over time (توزیع عادلانه منابع): how unequally an indicator is spread
over the units below a place, period after period.

Per period: the Gini coefficient and Theil T split between and within groups — the
units' parents, so for the country's counties the groups are the provinces, and for a
province's neighbourhoods its counties — exactly as
:func:`spatial.analytics.spatial_stats.inequality` computes them; and the gap between the
most and least deprived fifth of units (:func:`~spatial.analytics.spatial_stats.fifths_gap`,
deprived by the indicator's direction). For the latest period, the Lorenz curve.

The whole country is named :data:`NATION` (``"IR"``); its units are the provinces' descendants.

Examples
--------
>>> fairness_over_time(session, "unemployment_rate", "IR")["level"]   # doctest: +SKIP
'county'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.indicators import indicator_info, units_in_scope
from spatial.analytics.indices import source_values
from spatial.analytics.spatial_stats import fifths_gap, gini, inequality, lorenz, theil
from spatial.errors import InvalidInput
from spatial.models.units import LEVELS
from spatial.units.hierarchy import check_level, get_unit

#: The code that names the whole country.
NATION = "IR"
#: At most this many points of a Lorenz curve are drawn (evenly spread over the units).
LORENZ_POINTS = 201

_LEVELS_BELOW = text("""
    WITH RECURSIVE below(id, level) AS (
        SELECT id, level FROM admin_unit
        WHERE valid_to IS NULL AND (CAST(:parent AS text) IS NULL AND parent_id IS NULL OR code = :parent)
        UNION ALL
        SELECT a.id, a.level FROM admin_unit a JOIN below b ON a.parent_id = b.id WHERE a.valid_to IS NULL
    )
    SELECT DISTINCT level FROM below""")


def levels_below(session: Session, unit_code: str) -> list[str]:
    """The levels of the units below ``unit_code`` (for :data:`NATION`: every level), top first."""
    parent = None if unit_code == NATION else get_unit(session, unit_code).code
    found = set(session.execute(_LEVELS_BELOW, {"parent": parent}).scalars())
    if parent is not None:
        found.discard(get_unit(session, unit_code).level)
    return [level for level in LEVELS if level in found]


def default_level(levels: list[str]) -> str | None:
    """The level measured by default: the grandchildren's, so that the groups are the
    place's own children (the provinces of the country, the counties of a province)."""
    return levels[1] if len(levels) > 1 else (levels[0] if levels else None)


def _scope_values(session: Session, source: str, level: str, period: str, parent: str | None,
                  population_weighted: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The values and weights :func:`inequality` reads, for the fifths and the Lorenz curve."""
    _, raw = source_values(session, source, level, period, parent)
    scope = units_in_scope(session, level, parent).loc[list(raw)]
    weights = scope["population"].fillna(0).to_numpy(dtype=float) if population_weighted else None
    return np.array(list(raw.values()), dtype=float), weights


def scope_level(session: Session, unit_code: str, level: str | None) -> tuple[str, list[str]]:
    """The level compared below ``unit_code`` (``level``, checked, else :func:`default_level`)
    and every level below it."""
    levels = levels_below(session, unit_code)
    if level is None:
        level = default_level(levels)
        if level is None:
            raise InvalidInput(f"Unit '{unit_code}' has no units below it to compare.", field="unit")
    elif check_level(level) not in levels:
        raise InvalidInput(f"Unit '{unit_code}' has no units at level '{level}'; use one of: "
                           f"{', '.join(levels) or 'none'}.", field="level")
    return level, levels


def fairness_over_time(session: Session, source: str, unit_code: str, level: str | None = None,
                       population_weighted: bool = True) -> dict[str, Any]:
    """Gini, Theil T (between/within the units' parents) and the fifths' gap of indicator
    ``source`` per period over the units at ``level`` below ``unit_code``, and the Lorenz
    curve of the latest period.

    Returns ``source, unit, level, levels, group_level, direction, population_weighted,
    periods`` (oldest first, each ``period, n, gini, theil {total, between, within},
    fifths {most_deprived, least_deprived, gap, ratio}``) and ``lorenz`` (``period,
    points [{population, value}]``). ``level`` defaults to :func:`default_level`.
    """
    info = indicator_info(session, source)
    level, levels = scope_level(session, unit_code, level)
    parent = None if unit_code == NATION else unit_code
    worse_is_higher = info["direction"] == "higher_is_worse"
    periods: list[dict[str, Any]] = []
    last: tuple[str, np.ndarray, np.ndarray | None] | None = None
    for period in info["periods"]:  # type: ignore[attr-defined]
        values, weights = _scope_values(session, source, level, period, parent, population_weighted)
        if values.size < 5:
            continue  # too few units measured in this period to speak of fifths
        result = inequality(session, source, level, period, parent, population_weighted)
        periods.append({"period": period, "n": result["n"], "gini": result["gini"], "theil": result["theil"],
                        "fifths": fifths_gap(values, worse_is_higher, weights)})
        last = (period, values, weights)
    if last is None:
        raise InvalidInput(f"Indicator '{source}' has fewer than 5 units with a value at level '{level}' "
                           f"below '{unit_code}' in every period.", field="indicator")
    return _result(session, unit_code, level, levels, last, periods,
                   {"source": source, "direction": info["direction"], "population_weighted": population_weighted})


def fairness_of_values(session: Session, source: str, unit_code: str, level: str, levels: list[str],
                       by_period: dict[str, pd.Series], deprivation: pd.Series | None) -> dict[str, Any]:
    """The same as :func:`fairness_over_time` for values that are not a stored indicator
    (e.g. money disbursed per head): ``by_period`` maps each period to the values of the
    units at ``level`` below ``unit_code`` (by code; units missing from a period count 0),
    population-weighted. The fifths are the most and least deprived by ``deprivation``
    (higher is more deprived; ``None``: no fifths), their values this measure's means."""
    parent = None if unit_code == NATION else unit_code
    scope = units_in_scope(session, level, parent)
    scope = scope[scope["population"].fillna(0) > 0]  # a value per head needs heads
    weights = scope["population"].to_numpy(dtype=float)
    groups = scope["parent_code"].fillna("").to_numpy()
    ranked = deprivation.reindex(scope.index) if deprivation is not None else None
    periods: list[dict[str, Any]] = []
    last: tuple[str, np.ndarray, np.ndarray | None] | None = None
    for period in sorted(by_period):
        values = by_period[period].reindex(scope.index).fillna(0.0).to_numpy(dtype=float)
        if values.size < 5 or not (values > 0).any():
            continue  # nothing in this period below the place, or too few units for fifths
        fifths = None
        if ranked is not None and ranked.notna().sum() >= 5:
            known = ranked.notna().to_numpy()
            fifths = fifths_gap(values[known], True, weights[known], rank_by=ranked.to_numpy(dtype=float)[known])
        periods.append({"period": period, "n": int(values.size), "gini": gini(values, weights),
                        "theil": theil(values, groups, weights), "fifths": fifths})
        last = (period, values, weights)
    if last is None:
        raise InvalidInput(f"No {source} below '{unit_code}' at level '{level}' in any period.", field="indicator")
    return _result(session, unit_code, level, levels, last, periods,
                   {"source": source, "direction": "higher_is_better", "population_weighted": True})


def _result(session: Session, unit_code: str, level: str, levels: list[str],
            last: tuple[str, np.ndarray, np.ndarray | None], periods: list[dict[str, Any]],
            about: dict[str, Any]) -> dict[str, Any]:
    """The answer of :func:`fairness_over_time`: the periods, the Lorenz curve of the last one
    and the level whose units are the groups."""
    people, held = lorenz(last[1], last[2])
    keep = np.unique(np.linspace(0, len(people) - 1, min(LORENZ_POINTS, len(people))).round().astype(int))
    parent = None if unit_code == NATION else unit_code
    levels_up = ([get_unit(session, unit_code).level] if parent else []) + levels
    position = levels_up.index(level)
    return {"source": about["source"], "unit": unit_code, "level": level, "levels": levels,
            "group_level": levels_up[position - 1] if position > 0 else None,
            "direction": about["direction"], "population_weighted": about["population_weighted"], "periods": periods,
            "lorenz": {"period": last[0], "points": [{"population": float(people[i]), "value": float(held[i])}
                                                     for i in keep]}}
