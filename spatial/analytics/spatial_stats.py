"""Spatial statistics and inequality of a measure: Moran's I, LISA clusters, Gini, Lorenz curve,
Theil T, the gap between the most and least deprived fifths.

Contiguity and LISA labels come from :mod:`spatial.analytics.lisa` (queen contiguity
from the unit boundaries in PostGIS); permutation tests draw from a generator local to
each call with a fixed seed, so the same data always give the same p-values and
clusters, however many requests run at once.
"""

from __future__ import annotations

import warnings
from typing import Any

import esda
import libpysal
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from spatial.db.generation import GenerationCache
from spatial.errors import InvalidInput
from spatial.analytics.indices import source_values
from spatial.analytics.lisa import (
    LABELS, PERMUTATIONS, SEED, checked_values, lisa_from, lisa_labels, local_generator, queen_weights, sparse_weights,
)


#: LISA labels of whole levels, until published data changes: a cluster map of 50,000
#: neighbourhoods runs 999 permutations of each.
_clusters: GenerationCache[dict[str, str]] = GenerationCache(size=32)


def lisa_clusters(session: Session, source: str, level: str, period: str | None = None,
                  parent_code: str | None = None) -> dict[str, str]:
    """LISA cluster label per unit code for an indicator code or ``'index:<id>'`` at ``level``.

    Examples
    --------
    >>> lisa_clusters(session, "unemployment_rate", "county")   # doctest: +SKIP
    {'IR-01-01': 'ns', 'IR-01-02': 'HH', ...}

    Computed once per data generation (the permutations are seeded, so a fresh computation
    gives the same labels) and shared: read the answer, do not change it.
    """
    def compute() -> dict[str, str]:
        _, values = source_values(session, source, level, period, parent_code)
        return lisa_labels(session, pd.Series(values, dtype=float))

    return _clusters.get(session, (source, level, period, parent_code), compute)



def moran_permutations(values: np.ndarray, w: libpysal.weights.W, permutations: int = PERMUTATIONS,
                       seed: int = SEED) -> dict[str, float]:
    """Global Moran's I with normal-approximation and permutation inference.

    Returns ``I``, ``expected``, ``z_norm`` and ``p_norm`` (two-sided, normality
    assumption), ``z_sim`` and ``p_sim`` (pseudo p-value, folded like esda's, from
    ``permutations`` random relabellings drawn from a generator local to this call).
    """
    y = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analytic = esda.Moran(y, w, permutations=0)  # no draws: deterministic
    z = y - y.mean()
    matrix = sparse_weights(w)
    scale = len(y) / matrix.sum() / float(z @ z)
    rng = local_generator(seed)
    sims = np.empty(permutations)
    chunk = max(1, 2_000_000 // len(y))  # relabellings per block, to bound memory
    for start in range(0, permutations, chunk):
        block = np.stack([rng.permutation(z) for _ in range(min(chunk, permutations - start))])
        sims[start:start + len(block)] = scale * np.einsum("pn,pn->p", block, (matrix @ block.T).T)
    larger = int((sims >= analytic.I).sum())
    larger = min(larger, permutations - larger)
    spread = sims.std()
    return {"I": float(analytic.I), "expected": float(analytic.EI),
            "z_norm": float(analytic.z_norm), "p_norm": float(analytic.p_norm),
            "z_sim": float((analytic.I - sims.mean()) / spread) if spread > 0 else 0.0,
            "p_sim": (larger + 1.0) / (permutations + 1.0)}


def moran(session: Session, source: str, level: str, period: str | None = None,
          parent_code: str | None = None) -> dict[str, Any]:
    """Global Moran's I of a measure at ``level``.

    Returns ``I``, ``expected``, ``z_norm`` / ``p_norm`` (normal approximation),
    ``z_sim`` / ``p_sim`` (999 permutations), ``n``, ``islands`` and ``clusters`` (units
    in each LISA label). ``z`` is the former name of ``z_sim``, kept for existing clients.
    """
    found_period, raw = source_values(session, source, level, period, parent_code)
    values = checked_values(pd.Series(raw, dtype=float))
    w = queen_weights(session, values.index.tolist())
    result = moran_permutations(values.to_numpy(), w)
    labels = lisa_from(values.to_numpy(), w)
    return {"source": source, "level": level, "period": found_period, "n": len(values), **result,
            "z": result["z_sim"], "permutations": PERMUTATIONS, "seed": SEED, "islands": list(w.islands),
            "clusters": {label: labels.count(label) for label in LABELS}}


def gini(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The (optionally population-weighted) Gini coefficient of non-negative ``values``.

    Examples
    --------
    >>> gini(np.array([1.0, 1.0, 1.0]))
    0.0
    >>> round(gini(np.array([0.0, 0.0, 0.0, 1.0])), 3)
    0.75
    """
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if np.any(x < 0) or np.any(w < 0) or x.size == 0:
        raise InvalidInput("The Gini coefficient needs non-negative values and weights.", field="source")
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    total_w, total = w.sum(), (w * x).sum()
    if total == 0:
        return 0.0
    cum = np.cumsum(w)
    return float((w * x * (2 * cum - w - total_w)).sum() / (total_w * total))


def lorenz(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve of non-negative ``values``: cumulative shares of the (optionally
    weighted) population and of the total, from the smallest value up, both starting at 0.

    The area between it and the diagonal is half the :func:`gini`.

    Examples
    --------
    >>> people, held = lorenz(np.array([0.0, 0.0, 0.0, 1.0]))
    >>> people.tolist(), held.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.0, 0.0, 0.0, 1.0])
    """
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if np.any(x < 0) or np.any(w < 0) or x.size == 0 or w.sum() <= 0:
        raise InvalidInput("The Lorenz curve needs non-negative values and weights.", field="source")
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    total = (w * x).sum()
    people = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    held = np.concatenate([[0.0], np.cumsum(w * x) / total]) if total > 0 else people.copy()
    return people, held


def fifths_gap(values: np.ndarray, worse_is_higher: bool, weights: np.ndarray | None = None,
               rank_by: np.ndarray | None = None) -> dict[str, float | None]:
    """The gap between the most and the least deprived fifth of units.

    Units are ranked by value, or by ``rank_by`` when given (e.g. money per head ranked by a
    deprivation score): the highest are the most deprived when ``worse_is_higher``, else the
    lowest; each fifth's value is its (optionally weighted) mean. Returns
    ``most_deprived``, ``least_deprived``, ``gap`` (most minus least deprived, so it
    shrinks as the two draw together) and ``ratio`` (most over least deprived; ``None``
    when the least deprived fifth's mean is 0).

    Examples
    --------
    >>> fifths_gap(np.arange(1.0, 11.0), worse_is_higher=True)["gap"]
    8.0
    """
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if x.size < 5:
        raise InvalidInput("Fifths need at least 5 units with a value.", field="source")
    order = np.argsort(x if rank_by is None else np.asarray(rank_by, dtype=float), kind="stable")
    fifth = x.size // 5
    low, high = order[:fifth], order[-fifth:]

    def mean(part: np.ndarray) -> float:
        return float(np.average(x[part], weights=w[part])) if w[part].sum() > 0 else float(x[part].mean())

    most, least = (mean(high), mean(low)) if worse_is_higher else (mean(low), mean(high))
    return {"most_deprived": most, "least_deprived": least, "gap": most - least,
            "ratio": most / least if least != 0 else None}


def theil(values: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    """Theil T of non-negative ``values`` split into between- and within-group parts.

    With shares s_i = w_i x_i / Σ w x and group means μ_g: total = Σ s_i ln(x_i / μ),
    within = Σ_g S_g T_g, between = Σ_g S_g ln(μ_g / μ), and total = between + within.
    """
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if np.any(x < 0) or np.any(w < 0) or (w * x).sum() <= 0:
        raise InvalidInput("Theil T needs non-negative values with a positive total.", field="source")
    frame = pd.DataFrame({"x": x, "w": w, "wx": w * x, "g": np.asarray(groups)})
    mu = frame["wx"].sum() / frame["w"].sum()
    share = frame["wx"] / frame["wx"].sum()
    by = frame.groupby("g", sort=False)
    mu_g = frame["g"].map(by["wx"].sum() / by["w"].sum())

    def xlog(ratio: pd.Series) -> pd.Series:
        # 0 · ln 0 = 0: a zero value adds nothing.
        return np.log(ratio.where(ratio > 0, 1.0))

    total = float((share * xlog(frame["x"] / mu)).sum())
    within = float((share * xlog(frame["x"] / mu_g)).sum())
    between = float((share * xlog(mu_g / mu)).sum())
    return {"total": total, "between": between, "within": within}


def inequality(session: Session, source: str, level: str, period: str | None = None,
               parent_code: str | None = None, population_weighted: bool = True) -> dict[str, Any]:
    """Gini and Theil T (between/within the units' parents) of a measure at ``level``."""
    from spatial.analytics.indicators import units_in_scope

    found_period, raw = source_values(session, source, level, period, parent_code)
    scope = units_in_scope(session, level, parent_code).loc[list(raw)]
    values = np.array(list(raw.values()))
    weights = scope["population"].fillna(0).to_numpy(dtype=float) if population_weighted else None
    return {"source": source, "level": level, "period": found_period, "n": len(values),
            "population_weighted": population_weighted, "gini": gini(values, weights),
            "theil": theil(values, scope["parent_code"].fillna("").to_numpy(), weights)}
