"""Synthetic subdivisions that exactly tile a real boundary (for demos and benchmarks)."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from spatial.geometry import as_multipolygons


def random_points_within(area: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniformly random points inside ``area`` as an (n, 2) array of x, y."""
    minx, miny, maxx, maxy = area.bounds
    found: list[np.ndarray] = []
    total = 0
    shapely.prepare(area)
    while total < n:
        batch = max(64, 4 * (n - total))
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(batch, 2))
        inside = xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]
        found.append(inside)
        total += len(inside)
    return np.concatenate(found)[:n]


def tessellate(area: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``area`` into ``n`` Voronoi cells clipped to it: no gaps, no overlaps.

    Cells are ordered west to east (then south to north) by their seed point, so that
    codes numbered in this order are stable for a given seed.

    Examples
    --------
    >>> from shapely import box
    >>> cells = tessellate(box(0, 0, 1, 1), 4, np.random.default_rng(1))
    >>> round(float(shapely.area(cells).sum()), 9)
    1.0
    """
    seeds = random_points_within(area, n, rng)
    seeds = seeds[np.lexsort((seeds[:, 1], seeds[:, 0]))]
    if n == 1:
        return as_multipolygons(np.array([area]))
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=shapely.box(*area.bounds).buffer(1), ordered=True)
    clipped = shapely.intersection(shapely.get_parts(cells), area)
    return as_multipolygons(shapely.make_valid(clipped))
