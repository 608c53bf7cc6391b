"""Capacity × deprivation: each unit in a 3 × 3 grid of terciles, with what it means for planning."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from spatial.db.generation import GenerationCache
from spatial.errors import InvalidInput
from spatial.analytics.indices import source_values
from spatial.messages import t

#: Classes of a whole level, until published data changes: a unit page shows its unit's one.
_classes: GenerationCache[dict[str, dict[str, object]]] = GenerationCache(size=32)


def terciles(values: pd.Series) -> pd.Series:
    """Class 1, 2 or 3 by tercile of percentile rank (ties share a class).

    Examples
    --------
    >>> terciles(pd.Series([5.0, 1.0, 9.0])).tolist()
    [2, 1, 3]
    """
    pct = values.rank(method="average", pct=True)
    return pd.Series(np.clip(np.ceil(pct * 3), 1, 3).astype(int), index=values.index)


def bivariate_classes(session: Session, capacity: str, deprivation: str, level: str, period: str | None = None,
                      parent_code: str | None = None) -> dict[str, dict[str, object]]:
    """Capacity and deprivation tercile of every unit at ``level`` with the planning meaning.

    ``capacity`` and ``deprivation`` are indicator codes or ``'index:<id or code>'``;
    higher must mean more capacity and more deprivation. Units lacking either are left out.

    Examples
    --------
    >>> bivariate_classes(session, "index:capacity_demo", "index:deprivation_demo", "county")  # doctest: +SKIP
    {'IR-01-01': {'capacity_class': 3, 'deprivation_class': 1, 'meaning_fa': ..., 'meaning_en': 'Growth pole: ...'}}

    The answer is computed once per data generation and shared: read it, do not change it.
    """
    return _classes.get(session, (capacity, deprivation, level, period, parent_code),
                        lambda: _bivariate_classes(session, capacity, deprivation, level, period, parent_code))


def _bivariate_classes(session: Session, capacity: str, deprivation: str, level: str, period: str | None,
                       parent_code: str | None) -> dict[str, dict[str, object]]:
    _, cap = source_values(session, capacity, level, period, parent_code)
    _, dep = source_values(session, deprivation, level, period, parent_code)
    both = pd.DataFrame({"capacity": pd.Series(cap, dtype=float), "deprivation": pd.Series(dep, dtype=float)}).dropna()
    if len(both) < 3:
        raise InvalidInput(f"Fewer than three {level} units have both measures; terciles need at least three.",
                           field="level")
    cap_class, dep_class = terciles(both["capacity"]), terciles(both["deprivation"])
    return {
        code: {"capacity_class": int(c), "deprivation_class": int(d),
               "meaning_fa": t(f"bivariate_advice.{int(c)}{int(d)}", "fa"),
               "meaning_en": t(f"bivariate_advice.{int(c)}{int(d)}", "en")}
        for code, c, d in zip(both.index, cap_class, dep_class, strict=True)
    }
