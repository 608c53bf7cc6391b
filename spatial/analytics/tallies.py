"""Point-in-polygon tallies: the one rule of the point overlays, whichever engine runs them.

:mod:`spatial.analytics.overlay` applies it to a whole layer in this process;
:mod:`spatial.analytics.overlay_dask` to each partition of a layer on a Dask cluster,
and adds the partitions' tallies up. Counts, sums and counts of known values add up
exactly across partitions (a feature lies in one partition), so both engines give the
same values.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from spatial.geometry import points_in_polygons


def point_tallies(xy: np.ndarray, feature: np.ndarray, values: pa.ChunkedArray | np.ndarray | None,
                  polygons: np.ndarray, workers: int = 1) -> np.ndarray:
    """Per polygon: features, sum of their values, and features with a value — a ``(3, n)`` array.

    The one rule of both engines (in process, and per partition on a Dask cluster, whose
    tallies add up): as with ``ST_Intersects``, a feature counts once in every polygon
    that one of its points intersects, boundary included, so a point on a shared edge
    counts in both units. ``feature`` numbers the feature of each point (ascending);
    ``values`` holds each feature's value (missing: null or NaN), or is None; ``workers``
    threads share the polygons out.
    """
    n = len(polygons)
    several = bool(np.any(feature[1:] == feature[:-1]))
    unit, point = points_in_polygons(xy, polygons, workers=workers)
    feature = feature[point]
    if several and len(feature):
        # Some features have several points: count each (unit, feature) pair once. (The pairs
        # come sorted by unit, not by feature: a feature's points need not be adjacent there.)
        span = int(feature.max()) + 1
        pairs = np.unique(unit * span + feature)
        unit, feature = pairs // span, pairs % span
    tallies = np.zeros((3, n))
    tallies[0] = np.bincount(unit, minlength=n)
    if values is not None:
        numbers = values.to_numpy(zero_copy_only=False) if isinstance(values, pa.ChunkedArray) else values
        numbers = np.asarray(numbers, dtype=float)[feature]
        known = ~np.isnan(numbers)
        tallies[1] = np.bincount(unit[known], weights=numbers[known], minlength=n)
        tallies[2] = np.bincount(unit[known], minlength=n)
    return tallies


def values_of_tallies(method: str, tallies: np.ndarray, population: np.ndarray) -> np.ndarray:
    """The ``method`` value (count, per_1000, sum, mean) of each unit from its :func:`point_tallies`.

    Sums and means skip missing attribute values, like SQL's ``sum`` and ``avg``; a rate
    of a unit without population is missing.
    """
    features, total, known = tallies
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "count":
            return features
        if method == "per_1000":
            return np.where(population > 0, features * 1000 / population, np.nan)
        if method == "sum":
            return total
        return total / known
