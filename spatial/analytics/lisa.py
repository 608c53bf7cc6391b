"""Local spatial association: queen contiguity among units and LISA cluster labels.

Contiguity is queen (units sharing a boundary point are neighbours), built by libpysal
from the unit boundaries in PostGIS; permutation tests use a fixed seed, so the same
data always give the same clusters. Composite indices store these labels with their
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
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput

SEED = 1403
PERMUTATIONS = 999
ALPHA = 0.05
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


def lisa_from(values: np.ndarray, w: libpysal.weights.W, permutations: int = PERMUTATIONS,
              seed: int = SEED, alpha: float = ALPHA) -> list[str]:
    """LISA cluster labels ('HH', 'LL', 'HL', 'LH' or 'ns') for ``values`` in ``w``'s order.

    A unit is labelled by its quadrant when its permutation p-value is below ``alpha``;
    units without neighbours are 'ns'.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = esda.Moran_Local(np.asarray(values, dtype=float), w, permutations=permutations, seed=seed)
    islands = set(w.islands)
    return [QUADRANTS[int(q)] if p < alpha and unit not in islands else "ns"
            for unit, q, p in zip(w.id_order, local.q, local.p_sim, strict=True)]


def lisa_labels(session: Session, values: pd.Series) -> dict[str, str]:
    """LISA labels for ``values`` indexed by unit code (units with a value only)."""
    values = checked_values(values)
    w = queen_weights(session, values.index.tolist())
    return dict(zip(values.index, lisa_from(values.to_numpy(), w), strict=True))
