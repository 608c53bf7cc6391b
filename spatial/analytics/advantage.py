"""Comparative advantage: location quotients and specialisation of each unit.

Sector measures (employment or output per sector) are indicators whose ``meta``
names a ``sector``. The location quotient of unit *r* in sector *s* against a
reference area is (e_rs / e_r) / (E_s / E): above 1, the sector is relatively more
important in *r* than in the reference — a candidate comparative advantage.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.generation import GenerationCache
from spatial.errors import NotFound
from spatial.analytics.indicators import indicator_matrix, latest_common_period
from spatial.units.hierarchy import get_unit


def location_quotient(employment: pd.DataFrame, groups: pd.Series | None = None) -> pd.DataFrame:
    """LQ of each row (unit) in each column (sector) against the total of its group, or of all rows.

    Examples
    --------
    >>> e = pd.DataFrame({"farming": [20, 10], "services": [80, 190]}, index=["A", "B"])
    >>> location_quotient(e).round(2)["farming"].tolist()
    [2.0, 0.5]
    """
    share = employment.div(employment.sum(axis=1), axis=0)
    reference = _reference(employment, groups)
    reference_share = reference.div(reference.sum(axis=1), axis=0)
    return share / reference_share


def specialisation(employment: pd.DataFrame, groups: pd.Series | None = None) -> pd.Series:
    """Krugman specialisation index in [0, 1]: ½ Σ_s |share_rs − reference share_s|.

    0 means the unit's sector mix equals the reference's; 1 means no overlap.
    """
    share = employment.div(employment.sum(axis=1), axis=0)
    reference = _reference(employment, groups)
    return 0.5 * (share - reference.div(reference.sum(axis=1), axis=0)).abs().sum(axis=1)


def _reference(employment: pd.DataFrame, groups: pd.Series | None) -> pd.DataFrame:
    """Each row's reference employment: its group's totals, or every row's."""
    if groups is not None:
        return employment.groupby(groups).transform("sum")
    totals = employment.sum().to_numpy()
    return pd.DataFrame(np.broadcast_to(totals, employment.shape).copy(), index=employment.index,
                        columns=employment.columns)


def sector_indicators(session: Session) -> dict[str, str]:
    """Sector name → indicator code, for indicators whose meta names a sector."""
    rows = session.execute(text("SELECT meta->>'sector', code FROM indicator WHERE meta ? 'sector' ORDER BY code"))
    sectors: dict[str, str] = dict(rows.all())
    if not sectors:
        raise NotFound("No sector indicators: define indicators with meta {\"sector\": ...} and import their values.",
                       field="sector")
    return sectors


#: The sector jobs of a whole level in one period, kept per (level, period) until published
#: data changes: the location quotients and the shift-share's final period read the same
#: values, and after a data change the first draft would otherwise read them twice.
_sector_matrices: GenerationCache[pd.DataFrame] = GenerationCache(size=16)


def sector_matrix(session: Session, level: str, period: str) -> pd.DataFrame:
    """:func:`~spatial.analytics.indicators.indicator_matrix` of every sector indicator over
    the whole of ``level`` in ``period``, read once per data generation (do not change it)."""
    codes = list(sector_indicators(session).values())
    return _sector_matrices.get(session, (level, period), lambda: indicator_matrix(session, codes, level, period))


#: Level-wide location quotients, kept per (level, period) until published data changes:
#: every unit page shows its unit's top advantages, all computed from the same level.
_level_frames: GenerationCache[pd.DataFrame] = GenerationCache(size=16)


def advantages(session: Session, level: str, period: str | None = None,
               parent_code: str | None = None) -> tuple[str, pd.DataFrame]:
    """Location quotients of every unit at ``level`` against its parent and the nation.

    Returns ``(period, frame)``; the frame is long (one row per unit and sector) with
    columns ``code``, ``parent_code``, ``sector``, ``indicator``, ``value``,
    ``lq_parent``, ``lq_nation``, ``specialisation_parent``, ``specialisation_nation``.
    References are computed over the whole level, then filtered to ``parent_code``.
    """
    sectors = sector_indicators(session)
    codes = list(sectors.values())
    period = period or latest_common_period(session, codes)
    found = period
    long = _level_frames.get(session, (level, period), lambda: _level_advantages(session, sectors, level, found))
    if parent_code is not None:
        below = set(indicator_matrix(session, codes[:1], level, period, parent_code).index)
        long = long[long["code"].isin(below)]
    return period, long


def _level_advantages(session: Session, sectors: dict[str, str], level: str, period: str) -> pd.DataFrame:
    codes = list(sectors.values())
    table = sector_matrix(session, level, period)
    employment = table[codes].fillna(0.0)
    employment = employment[employment.sum(axis=1) > 0]
    parents = table.loc[employment.index, "parent_code"]
    has_parent = parents.notna().all()
    lq_nation = location_quotient(employment)
    lq_parent = location_quotient(employment, parents) if has_parent else lq_nation
    spec_nation = specialisation(employment)
    spec_parent = specialisation(employment, parents) if has_parent else spec_nation
    by_code = {v: k for k, v in sectors.items()}
    long = (employment.stack().rename("value").to_frame()
            .join(lq_parent.stack().rename("lq_parent")).join(lq_nation.stack().rename("lq_nation"))
            .reset_index(names=["code", "indicator"]))
    long["sector"] = long["indicator"].map(by_code)
    long["parent_code"] = long["code"].map(table["parent_code"])
    long["specialisation_parent"] = long["code"].map(spec_parent)
    long["specialisation_nation"] = long["code"].map(spec_nation)
    return long.replace([np.inf, -np.inf], np.nan)


def top_advantages(session: Session, unit_code: str, n: int = 3, period: str | None = None) -> dict[str, Any]:
    """The ``n`` sectors in which ``unit_code`` is most concentrated relative to its parent (LQ > 1)."""
    unit = get_unit(session, unit_code)
    found_period, frame = advantages(session, unit.level, period)
    mine = frame[frame["code"] == unit_code]
    best = mine[mine["lq_parent"] > 1].sort_values("lq_parent", ascending=False).head(n)
    return {
        "period": found_period,
        "specialisation_parent": None if mine.empty else float(mine["specialisation_parent"].iloc[0]),
        "specialisation_nation": None if mine.empty else float(mine["specialisation_nation"].iloc[0]),
        "top": [{"sector": r.sector, "indicator": r.indicator, "value": float(r.value),
                 "lq_parent": float(r.lq_parent), "lq_nation": float(r.lq_nation)} for r in best.itertuples()],
    }
