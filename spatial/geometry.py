"""Small vectorised geometry helpers shared by the core, the demo and the maps."""

from __future__ import annotations

import numpy as np
import shapely


def as_multipolygons(geometries: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of each geometry and return them as MultiPolygons."""
    parts, index = shapely.get_parts(geometries, return_index=True)
    polygonal = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    return shapely.multipolygons(parts[polygonal], indices=index[polygonal])
