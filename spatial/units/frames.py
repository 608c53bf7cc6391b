"""Administrative units as GeoDataFrames: the one way to read many units' polygons.

Maps shade them, overlays count points and summarise rasters in them. The rows travel
in binary (WKB as it is), and :func:`fetch_units` can run in another thread while the
caller does other work.

Examples
--------
>>> units_frame(session, level="province").columns.tolist()     # doctest: +SKIP
['unit_id', 'code', 'name_fa', 'name_en', 'population', 'synthetic', 'has_children', 'geometry']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy.orm import Session

from spatial.db.bulk import binary_fetch
from spatial.db.generation import GenerationCache
from spatial.units.hierarchy import check_level, get_unit

_UNITS_SQL = """SELECT u.id, u.code, u.name_fa, u.name_en, u.population, u.synthetic,
       u.id IN (SELECT c.parent_id FROM admin_unit c WHERE c.valid_to IS NULL AND c.parent_id IS NOT NULL)
         AS has_children,
       ST_AsBinary({geometry})
FROM admin_unit u {join}
WHERE u.valid_to IS NULL
  AND (CAST(:level AS text) IS NULL OR u.level = :level)
  AND (CAST(:parent_id AS integer) IS NULL OR u.parent_id = :parent_id)
ORDER BY u.code"""
#: (geometry, join) of the exact boundaries, and of the simplified ones stored for the
#: level's national map (:mod:`spatial.units.coverage`; NULL where none is stored).
_GEOMETRY = {False: ("u.geom", ""),
             True: ("g.geom", "LEFT JOIN map_coverage_geom g ON g.level = u.level AND g.unit_id = u.id")}
_COLUMNS = ("unit_id", "code", "name_fa", "name_en", "population", "synthetic", "has_children")


def fetch_units(session: Session, level: str | None = None, parent_code: str | None = None,
                simplified: bool = False) -> Callable[[], list[tuple[Any, ...]]]:
    """A function fetching the rows of :func:`units_frame` (see :func:`spatial.db.bulk.binary_fetch`).

    The level and the parent are checked now: :class:`InvalidInput` or :class:`NotFound`.
    """
    if level is not None:
        check_level(level)
    parent_id = get_unit(session, parent_code).id if parent_code else None
    geometry, join = _GEOMETRY[simplified]
    return binary_fetch(session, _UNITS_SQL.format(geometry=geometry, join=join),
                        {"level": level, "parent_id": parent_id})


def frame_of_units(rows: list[tuple[Any, ...]]) -> gpd.GeoDataFrame:
    """The GeoDataFrame of :func:`units_frame` from the rows :func:`fetch_units` fetched."""
    return gpd.GeoDataFrame({name: [r[i] for r in rows] for i, name in enumerate(_COLUMNS)},
                            geometry=shapely.from_wkb([r[len(_COLUMNS)] for r in rows]), crs=4326)


#: Frames read, until published data changes: a national map of neighbourhoods reads 50,000
#: polygons, the same for every indicator, period and classification shown on them.
_frames: GenerationCache[gpd.GeoDataFrame] = GenerationCache(size=8)


def units_frame(session: Session, level: str | None = None, parent_code: str | None = None,
                simplified: bool = False) -> gpd.GeoDataFrame:
    """Current units at ``level`` and/or under ``parent_code``, by code: ``unit_id``, ``code``,
    ``name_fa``, ``name_en``, ``population``, ``synthetic``, ``has_children`` and their
    geometry (EPSG:4326): exact, or with ``simplified`` as stored for the level's national
    map (None where there is none, :mod:`spatial.units.coverage`). A copy of the frame kept
    per data generation: the caller may change it."""
    fetch = fetch_units(session, level, parent_code, simplified)
    return _frames.get(session, (level, parent_code, simplified), lambda: frame_of_units(fetch())).copy()
