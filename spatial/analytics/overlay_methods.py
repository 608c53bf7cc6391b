"""What an overlay can compute: its methods, zonal statistics, distance origins, and how
each method's values are measured and rolled up.

A module of names only (no GIS libraries), so that forms and ``pishraft indicators
derive --help`` can list the choices without loading :mod:`spatial.analytics.overlay`.
"""

from __future__ import annotations

VECTOR_METHODS: tuple[str, ...] = ("count", "per_1000", "sum", "mean", "length_km", "area_share", "distance_km")
#: Methods computed in GEOS rather than in SQL when the layer holds points.
POINT_METHODS: tuple[str, ...] = ("count", "per_1000", "sum", "mean")
#: Measures of lines and polygons that can also run on a Dask cluster.
MEASURES: tuple[str, ...] = ("length_km", "area_share")
ZONAL_STATS: tuple[str, ...] = ("mean", "sum", "min", "max", "count", "majority")
METHODS: tuple[str, ...] = (*VECTOR_METHODS, "zonal")
ORIGINS: tuple[str, ...] = ("centroid", "population_weighted")
NUMERIC_TYPES = ("integer", "float")
#: Where a derivation runs: ``auto`` (on a Dask cluster past ``PISHRAFT_DASK_THRESHOLD`` features),
#: ``process`` (in this process) or ``dask``; distances to lines and polygons run in process only.
ENGINES: tuple[str, ...] = ("auto", "process", "dask")
#: How each method's values combine going up the hierarchy.
ROLLUP = {"count": "sum", "sum": "sum", "length_km": "sum", "per_1000": "weighted_mean", "mean": "weighted_mean",
          "area_share": "weighted_mean", "distance_km": "weighted_mean"}
UNITS_OF_MEASURE = {"count": "features", "per_1000": "per 1,000 people", "length_km": "km", "area_share": "share",
                    "distance_km": "km"}
