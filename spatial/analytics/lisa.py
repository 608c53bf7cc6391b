"""Local spatial association: queen contiguity among units and LISA cluster labels.

Contiguity is queen (units sharing a boundary point are neighbours), built by libpysal
from the unit boundaries in PostGIS. The local statistics come from esda; their
permutation inference is drawn here from a generator local to each call, seeded with
:data:`SEED`, so the same data always give the same p-values and clusters — also when
many requests run at once in the server's thread pool. (esda draws its permutations
from numpy's process-wide generator, which concurrent requests would share and reseed
under each other.) The draws follow esda's own scheme, so a single-threaded esda run
seeded with :data:`SEED` draws the same simulated statistics. Composite indices store these labels with their
scores, and :mod:`spatial.analytics.spatial_stats` reports them for any measure; both
import this module, which reads no measures itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import scipy.sparse
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput

SEED = 1403
PERMUTATIONS = 999
ALPHA = 0.05
#: Relative difference below which a simulated local statistic ties with the observed one.
TIE_TOLERANCE = 1e-9
#: esda's quadrant numbers → cluster labels (value, spatial lag): High-High, Low-High, Low-Low, High-Low.
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
LABELS: tuple[str, ...] = ("HH", "LL", "HL", "LH", "ns")


def queen_weights(session: Session, codes: Sequence[str]) -> libpysal.weights.W:
    """Row-standardised queen contiguity among the current units ``codes`` (ids are the codes)."""
    rows = session.execute(
        text("SELECT code, ST_AsBinary(geom) FROM admin_unit WHERE valid_to IS NULL AND code = ANY(:codes)"),
        {"codes": list(codes)},
    ).all()
    frame = gpd.GeoDataFrame(
        {"code": [r[0] for r in rows]}, geometry=shapely.from_wkb([bytes(r[1]) for r in rows]), crs=4326
    ).set_index("code").loc[list(codes)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands are reported through the result instead
        w = libpysal.weights.Queen.from_dataframe(frame, use_index=True)
    w.transform = "r"
    return w


def checked_values(values: pd.Series) -> pd.Series:
    """``values`` without gaps, as floats; at least 5 of them, or :class:`InvalidInput`."""
    values = values.dropna().astype(float)
    if len(values) < 5:
        raise InvalidInput(f"Spatial statistics need at least 5 units with values; found {len(values)}.",
                           field="level")
    return values


def local_generator(seed: int) -> np.random.RandomState:
    """A generator of this call's own, seeded with ``seed``.

    A legacy RandomState, not default_rng: it draws the same stream as esda's
    ``np.random.seed(seed)`` did, so results equal esda's; being local, no other request
    can reseed or advance it.
    """
    return np.random.RandomState(seed)


def sparse_weights(w: libpysal.weights.W) -> scipy.sparse.csr_matrix:
    """``w`` as a CSR matrix in ``w.id_order``, without self-weights."""
    matrix = w.sparse.tocsr().astype(float)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    return matrix


def local_moran(values: np.ndarray, w: libpysal.weights.W, permutations: int = PERMUTATIONS,
                seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Local Moran quadrants (1 HH, 2 LH, 3 LL, 4 HL) and pseudo p-values, in ``w``'s order.

    Conditional randomisation: for each unit, its neighbours' values are replaced by
    values drawn without replacement from the other units, ``permutations`` times;
    the p-value is folded (the smaller tail) as in esda. The draws come from a
    generator local to this call, vectorised over blocks of units.
    """
    y = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = esda.Moran_Local(y, w, permutations=0)  # statistics and quadrants, no draws
    n = len(y)
    z = np.asarray(local.z, dtype=float)
    matrix = sparse_weights(w)
    cards = np.diff(matrix.indptr)
    max_card = int(cards.max()) if n else 0
    p_sim = np.ones(n)
    if max_card == 0:
        return np.asarray(local.q, dtype=int), p_sim
    rng = local_generator(seed)
    ids = np.stack([rng.choice(n - 1, size=max_card, replace=False) for _ in range(permutations)])
    # Each unit's neighbour weights, left-aligned and padded with zeros to max_card.
    weights = np.zeros((n, max_card))
    rows = np.repeat(np.arange(n), cards)
    weights[rows, np.arange(len(matrix.data)) - np.repeat(matrix.indptr[:-1], cards)] = matrix.data
    observed = np.asarray(local.Is, dtype=float)
    scaling = (n - 1) / float(z @ z)
    block = max(1, 4_000_000 // (permutations * max_card))
    for start in range(0, n, block):
        units = np.arange(start, min(start + block, n))
        # Draws index the n−1 other units: skip the unit itself.
        drawn = ids[None, :, :] + (ids[None, :, :] >= units[:, None, None])
        lags = np.einsum("upk,uk->up", z[drawn], weights[units])
        sims = z[units, None] * lags * scaling
        # A draw of the same neighbour values in another order is a tie, whatever the
        # rounding of its sum: count it as at least as large.
        tied = TIE_TOLERANCE * np.abs(observed[units, None])
        larger = (sims >= observed[units, None] - tied).sum(axis=1)
        larger = np.minimum(larger, permutations - larger)
        p_sim[units] = (larger + 1.0) / (permutations + 1.0)
    p_sim[cards == 0] = 1.0
    return np.asarray(local.q, dtype=int), p_sim


def lisa_from(values: np.ndarray, w: libpysal.weights.W, permutations: int = PERMUTATIONS,
              seed: int = SEED, alpha: float = ALPHA) -> list[str]:
    """LISA cluster labels ('HH', 'LL', 'HL', 'LH' or 'ns') for ``values`` in ``w``'s order.

    A unit is labelled by its quadrant when its permutation p-value is below ``alpha``;
    units without neighbours are 'ns'.
    """
    quadrants, p_sim = local_moran(values, w, permutations, seed)
    islands = set(w.islands)
    return [QUADRANTS[int(q)] if p < alpha and unit not in islands else "ns"
            for unit, q, p in zip(w.id_order, quadrants, p_sim, strict=True)]


def lisa_labels(session: Session, values: pd.Series) -> dict[str, str]:
    """LISA labels for ``values`` indexed by unit code (units with a value only)."""
    values = checked_values(values)
    w = queen_weights(session, values.index.tolist())
    return dict(zip(values.index, lisa_from(values.to_numpy(), w), strict=True))
