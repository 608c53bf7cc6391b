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
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.indicators import latest_common_period, units_in_scope
from spatial.analytics.indices import IndexDefinition, parse_definition, resolve_index, score_level
from spatial.errors import InvalidInput, NotFound

#: Quantile classes of what-if scores (as many as the choropleth's colours).
SCORE_CLASSES = 5


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


def what_if_scores(session: Session, ref: str | int, level: str, weights: Mapping[str, float],
                   period: str | None = None, parent_code: str | None = None) -> dict[str, Any]:
    """Scores, ranks and classes of index ``ref`` under other ``weights``, computed now and not stored.

    Everything else in the stored definition (normalisation, aggregation, scope) is
    kept; the result has the shape of :func:`index_scores` plus ``class`` per unit and
    ``what_if`` (the weights used, rescaled to sum to 1).
    """
    index = resolve_index(session, ref)
    definition = with_weights(parse_definition(index["definition"]), weights)
    if level not in definition.levels:
        raise NotFound(f"Index '{ref}' is defined at {', '.join(definition.levels)}, not '{level}'.", field="level")
    periods = list(index["periods"])
    period = period or (periods[-1] if periods else None) or definition.period
    if period is None:
        period = latest_common_period(session, [c.code for c in definition.components])
    scores = score_level(session, definition, level, period)
    frame = scores.frame
    frame["class"] = score_classes(frame["score"])
    if parent_code is not None:
        frame = frame[frame.index.isin(units_in_scope(session, level, parent_code).index)]
    frame = frame.sort_values(["rank_overall"], kind="stable")
    names = pd.DataFrame(session.execute(
        text("SELECT id, name_fa, name_en FROM admin_unit WHERE id = ANY(:ids)"),
        {"ids": frame["unit_id"].astype(int).tolist()},
    ).all(), columns=["unit_id", "name_fa", "name_en"]).set_index("unit_id")
    out = frame.join(names, on="unit_id").rename_axis("code").reset_index()
    columns = ["code", "name_fa", "name_en", "parent_code", "score", "rank_overall", "rank_in_parent", "class",
               *(c for c in ("vikor_s", "vikor_r", "vikor_q") if c in out)]
    out = out[columns].astype(object).where(out[columns].notna(), None)
    meta = {k: index[k] for k in ("id", "code", "name_fa", "name_en", "domain", "definition_hash", "synthetic")}
    return {"index": meta, "period": period, "level": level, "stored": False,
            "what_if": {"weights": scores.weights, "dropped": scores.dropped},
            "scores": out.to_dict(orient="records")}
