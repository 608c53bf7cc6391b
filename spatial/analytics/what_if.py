"""What-if weights: an index's scores, ranks and classes under other weights, computed now.

A planner asks "what if health counted twice as much?"; the stored definition is
scored again with the new weights (everything else kept) and nothing is written.

Examples
--------
>>> what_if_scores(session, "deprivation_demo", "province",
...                {"unemployment_rate": 0.5, "literacy_rate": 0.3, "health_centres_per_10k": 0.2})  # doctest: +SKIP
{'index': {...}, 'period': '2024', 'level': 'province', 'stored': False, 'what_if': {...}, 'scores': [...]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.indicators import latest_common_period, units_in_scope
from spatial.analytics.indices import (
    IndexDefinition, Prepared, parse_definition, prepare_level, resolve_index, score_prepared,
)
from spatial.db.generation import GenerationCache
from spatial.errors import InvalidInput, NotFound

#: Quantile classes of what-if scores (as many as the choropleth's colours).
SCORE_CLASSES = 5
#: Prepared levels kept in memory (per process) for trying more weights.
CACHED_LEVELS = 8


def parse_weights(text_value: str) -> dict[str, float]:
    """What-if weights written ``code:weight,code:weight``, such as ``a:0.5,b:0.3,c:0.2``.

    Examples
    --------
    >>> parse_weights("health:2, jobs:1")
    {'health': 2.0, 'jobs': 1.0}
    """
    weights: dict[str, float] = {}
    for part in (p.strip() for p in text_value.split(",")):
        code, sep, number = part.partition(":")
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not sep or not code.strip() or not np.isfinite(value) or value < 0:
            raise InvalidInput(f"'{part}' is not code:weight with a non-negative weight; write weights like "
                               "unemployment_rate:0.5,literacy_rate:0.3,health_centres_per_10k:0.2.", field="weights")
        if code.strip() in weights:
            raise InvalidInput(f"Indicator '{code.strip()}' appears twice in weights.", field="weights")
        weights[code.strip()] = value
    return weights


def with_weights(definition: IndexDefinition, weights: Mapping[str, float]) -> IndexDefinition:
    """``definition`` with explicit ``weights`` for every indicator, rescaled to sum to 1."""
    codes = [c.code for c in definition.components]
    unknown = [c for c in weights if c not in codes]
    if unknown:
        raise InvalidInput(f"Index '{definition.code}' has no indicator {', '.join(unknown)}; its indicators are "
                           f"{', '.join(codes)}.", field="weights")
    missing = [c for c in codes if c not in weights]
    if missing:
        raise InvalidInput(f"Give a weight for every indicator of '{definition.code}'; missing: "
                           f"{', '.join(missing)}.", field="weights")
    total = float(sum(weights.values()))
    if total <= 0:
        raise InvalidInput("At least one what-if weight must be above 0.", field="weights")
    components = tuple(replace(c, weight=float(weights[c.code]) / total) for c in definition.components)
    return replace(definition, components=components, weights="explicit", pairwise=None)


def score_classes(scores: pd.Series, k: int = SCORE_CLASSES) -> pd.Series:
    """Quantile class of each score, 1 (lowest fifth) to ``k`` (highest), ties kept together."""
    ranks = scores.rank(method="min", pct=True)
    return np.ceil(ranks * k).clip(1, k).astype(int)


@dataclass(frozen=True)
class _Level:
    """A level prepared for scoring, with its unit names, as cached."""

    prepared: Prepared
    names_fa: list[str]
    names_en: list[str]


_prepared_levels: GenerationCache[_Level] = GenerationCache(size=CACHED_LEVELS)


def _prepared_level(session: Session, index_id: int, definition: IndexDefinition, level: str,
                    period: str) -> _Level:
    # Everything but the weights is fixed by the index version and the data, so the
    # normalised indicators are kept under the data generation. Trying other weights then
    # costs only the arithmetic.
    def prepare() -> _Level:
        prepared = prepare_level(session, definition, level, period)
        names = dict((r[0], (r[1], r[2])) for r in session.execute(
            text("SELECT id, name_fa, name_en FROM admin_unit WHERE id = ANY(:ids)"),
            {"ids": prepared.units["unit_id"].astype(int).tolist()}))
        pairs = [names[int(u)] for u in prepared.units["unit_id"]]
        return _Level(prepared, [p[0] for p in pairs], [p[1] for p in pairs])

    return _prepared_levels.get(session, (index_id, level, period), prepare)


@dataclass(frozen=True)
class WhatIf:
    """What-if scores of one level: ``frame`` indexed by unit code, ordered by rank."""

    index: dict[str, Any]
    period: str
    frame: pd.DataFrame  # unit_id, parent_code, score, rank_overall, rank_in_parent, class, name_fa, name_en
    weights: dict[str, float]
    dropped: list[str]


def what_if(session: Session, ref: str | int, level: str, weights: Mapping[str, float],
            period: str | None = None, parent_code: str | None = None) -> WhatIf:
    """Score, rank and class the units of index ``ref`` at ``level`` under ``weights`` (nothing stored).

    Ranks are over the index's whole scope, as stored ranks are, also when only the
    units below ``parent_code`` are kept.
    """
    index = resolve_index(session, ref)
    definition = with_weights(parse_definition(index["definition"]), weights)
    if level not in definition.levels:
        raise NotFound(f"Index '{ref}' is defined at {', '.join(definition.levels)}, not '{level}'.", field="level")
    periods = list(index["periods"])
    period = period or (periods[-1] if periods else None) or definition.period
    if period is None:
        period = latest_common_period(session, [c.code for c in definition.components])
    cached = _prepared_level(session, int(index["id"]), definition, level, period)
    scores = score_prepared(cached.prepared, definition)
    frame = scores.frame
    frame["class"] = score_classes(frame["score"])
    frame["name_fa"], frame["name_en"] = cached.names_fa, cached.names_en
    if parent_code is not None:
        frame = frame[frame.index.isin(units_in_scope(session, level, parent_code).index)]
    meta = {k: index[k] for k in ("id", "code", "name_fa", "name_en", "domain", "definition_hash", "synthetic")}
    return WhatIf(meta, period, frame.sort_values("rank_overall", kind="stable"), scores.weights, scores.dropped)


def what_if_scores(session: Session, ref: str | int, level: str, weights: Mapping[str, float],
                   period: str | None = None, parent_code: str | None = None) -> dict[str, Any]:
    """:func:`what_if` in the shape of :func:`~spatial.analytics.indices.index_scores`.

    Each row also has ``class`` (quintile, 5 = highest scores), and VIKOR's ``vikor_s``,
    ``vikor_r``, ``vikor_q`` on a VIKOR index; ``what_if`` holds the weights used
    (rescaled to sum to 1) and the units dropped for missing values.
    """
    result = what_if(session, ref, level, weights, period, parent_code)
    frame = result.frame
    columns = {"code": frame.index.tolist(), "name_fa": frame["name_fa"].tolist(),
               "name_en": frame["name_en"].tolist(),
               "parent_code": frame["parent_code"].astype(object).where(frame["parent_code"].notna(), None).tolist(),
               "score": frame["score"].tolist(), "rank_overall": frame["rank_overall"].tolist(),
               "rank_in_parent": frame["rank_in_parent"].tolist(), "class": frame["class"].tolist(),
               **{c: frame[c].tolist() for c in ("vikor_s", "vikor_r", "vikor_q") if c in frame}}
    keys = list(columns)
    rows = [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    return {"index": result.index, "period": result.period, "level": level, "stored": False,
            "what_if": {"weights": result.weights, "dropped": result.dropped}, "scores": rows}
