"""Shift-share: each unit's change in sector jobs between two periods, split three ways.

For unit r and sector s with jobs e⁰ (base period) and e¹ (final period), against the
reference area (every unit of the level: the nation) with sector jobs E⁰_s, E¹_s and
totals E⁰, E¹, growth rates g = E¹/E⁰ − 1, g_s = E¹_s/E⁰_s − 1 and g_rs = e¹/e⁰ − 1:

- national share  NS = e⁰ · g            (had the sector grown like the whole economy)
- industry mix    IM = e⁰ · (g_s − g)    (the sector's national trend beyond that)
- regional shift  RS = e⁰ · (g_rs − g_s) (what the unit did better or worse than the sector)

and NS + IM + RS = e¹ − e⁰. A positive regional shift is a sector the unit is winning
in: comparative advantage over time, next to the location quotients of
:mod:`spatial.analytics.advantage`. Sector measures are the indicators whose ``meta``
names a ``sector``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from spatial.analytics.advantage import sector_indicators, sector_matrix
from spatial.analytics.indicators import indicator_info, units_in_scope
from spatial.periods import period_key
from spatial.db.generation import GenerationCache
from spatial.errors import InvalidInput, NotFound
from spatial.units.hierarchy import get_unit

COMPONENTS: tuple[str, ...] = ("national_share", "industry_mix", "regional_shift")


def shift_share(base: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    """Shift-share of every row (unit) and column (sector) of ``base`` → ``final`` against their sums.

    Returns a long frame indexed by (unit, sector) with ``base``, ``final``, ``change``
    and the three components. A sector with no base jobs anywhere has no national
    growth rate; its new jobs are all regional shift.

    Examples
    --------
    >>> base = pd.DataFrame({"tourism": [100.0, 900.0]}, index=["A", "B"])
    >>> final = pd.DataFrame({"tourism": [120.0, 930.0]}, index=["A", "B"])
    >>> shift_share(base, final).loc[("A", "tourism"), list(COMPONENTS)].round(1).tolist()
    [5.0, 0.0, 15.0]
    """
    base = base.astype(float)
    final = final.reindex(index=base.index, columns=base.columns).astype(float)
    if (base < 0).any().any() or (final < 0).any().any():
        raise InvalidInput("Shift-share needs non-negative job counts.", field="sector")
    total_base, total_final = float(base.to_numpy().sum()), float(final.to_numpy().sum())
    if total_base <= 0:
        raise InvalidInput("No jobs in the base period; choose another base period.", field="base")
    g = total_final / total_base - 1.0
    sector_base, sector_final = base.sum(), final.sum()
    g_s = (sector_final / sector_base.where(sector_base > 0) - 1.0).fillna(g)
    e0, e1 = base.to_numpy(), final.to_numpy()
    national = e0 * g
    mix = e0 * (g_s.to_numpy() - g)
    regional = (e1 - e0) - national - mix  # = e⁰ (g_rs − g_s), and all of a new sector's jobs
    parts = {"base": e0, "final": e1, "change": e1 - e0, "national_share": national, "industry_mix": mix,
             "regional_shift": regional}
    index = pd.MultiIndex.from_product([base.index, base.columns], names=["code", "indicator"])
    return pd.DataFrame({k: np.asarray(v).ravel() for k, v in parts.items()}, index=index)


def unit_shift_share(session: Session, level: str, base_period: str, final_period: str,
                     parent_code: str | None = None) -> pd.DataFrame:
    """Shift-share of every unit at ``level`` and sector from ``base_period`` to ``final_period``.

    The reference is every unit of the level (the nation); ``parent_code`` then keeps
    the units below it. Long frame with columns ``code``, ``parent_code``, ``sector``,
    ``indicator``, ``base``, ``final``, ``change``, ``national_share``, ``industry_mix``,
    ``regional_shift``.
    """
    base_period, final_period = period_key(base_period, "base"), period_key(final_period, "final")
    if base_period == final_period:
        raise InvalidInput("The base and final periods are the same; name two periods.", field="final")
    sectors = sector_indicators(session)
    codes = list(sectors.values())
    for code in codes:
        periods = set(indicator_info(session, code)["periods"])  # type: ignore[call-overload]
        for name, period in (("base", base_period), ("final", final_period)):
            if period not in periods:
                raise NotFound(f"Sector indicator '{code}' has no values for the {name} period '{period}'; it has: "
                               f"{', '.join(sorted(periods)) or 'none'}.", field=name)
    result = _level_frames.get(session, (level, base_period, final_period),
                               lambda: _level_shift_share(session, sectors, level, base_period, final_period))
    if parent_code is not None:
        result = result[result["code"].isin(units_in_scope(session, level, parent_code).index)].reset_index(drop=True)
    return result


#: Level-wide shift-share, kept per (level, base, final) until published data changes: every
#: unit page shows its unit's, all computed against the same national reference.
_level_frames: GenerationCache[pd.DataFrame] = GenerationCache(size=16)


def _level_shift_share(session: Session, sectors: dict[str, str], level: str, base_period: str,
                       final_period: str) -> pd.DataFrame:
    codes = list(sectors.values())
    base = sector_matrix(session, level, base_period)
    final = sector_matrix(session, level, final_period)
    result = shift_share(base[codes].fillna(0.0), final[codes].fillna(0.0)).reset_index()
    result["sector"] = result["indicator"].map({v: k for k, v in sectors.items()})
    result["parent_code"] = result["code"].map(base["parent_code"])
    columns = ["code", "parent_code", "sector", "indicator", "base", "final", "change", *COMPONENTS]
    return result[columns]


def sector_periods(session: Session) -> list[str]:
    """Periods in which every sector indicator has values, oldest first."""
    common: set[str] | None = None
    for code in sector_indicators(session).values():
        periods = set(indicator_info(session, code)["periods"])  # type: ignore[call-overload]
        common = periods if common is None else common & periods
    return sorted(common or ())


def unit_profile_shift_share(session: Session, unit_code: str) -> dict[str, Any] | None:
    """Shift-share of one unit between the two latest periods with sector jobs (``None`` with fewer).

    ``{base, final, totals: {change, national_share, industry_mix, regional_shift},
    sectors: [...]}``, sectors by regional shift, largest first.
    """
    unit = get_unit(session, unit_code)
    try:
        periods = sector_periods(session)
    except NotFound:
        return None
    if len(periods) < 2:
        return None
    base, final = periods[-2], periods[-1]
    frame = unit_shift_share(session, unit.level, base, final)
    mine = frame[frame["code"] == unit_code].sort_values("regional_shift", ascending=False)
    if mine.empty:
        return None
    numbers = ["base", "final", "change", *COMPONENTS]
    return {"base": base, "final": final,
            "totals": {k: float(mine[k].sum()) for k in ("change", *COMPONENTS)},
            "sectors": [{"sector": r["sector"], "indicator": r["indicator"], **{k: float(r[k]) for k in numbers}}
                        for r in mine.to_dict(orient="records")]}
