"""Geometry cleaning for ingestion: reproject to EPSG:4326, repair, drop empties, promote to Multi*.

All operations are vectorised over the whole array with shapely 2 and pyproj.

Examples
--------
>>> clean = clean_geometries(to_wgs84(geoms, CRS.from_epsg(32640), "roads.shp"), "roads.shp")  # doctest: +SKIP
>>> clean.geometry_type, clean.repaired, clean.dropped_empty                                      # doctest: +SKIP
('MultiLineString', 2, 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer

from spatial.errors import InvalidInput

WGS84 = CRS.from_epsg(4326)
#: Geometry dimension → the Multi* type stored, and its constructor.
MULTI_TYPES = {0: "MultiPoint", 1: "MultiLineString", 2: "MultiPolygon"}
_BUILD = {0: shapely.multipoints, 1: shapely.multilinestrings, 2: shapely.multipolygons}
_FAMILY = {0: "points", 1: "lines", 2: "polygons"}


@dataclass(frozen=True)
class CleanGeometries:
    """Geometries ready to store, and what was done to get them.

    ``keep`` is a boolean mask over the source rows: the attributes of the rows kept.
    """

    geometries: np.ndarray
    keep: np.ndarray
    geometry_type: str
    repaired: int
    dropped_empty: int
    dropped_after_repair: int


def to_wgs84(geometries: np.ndarray, crs: CRS, name: str) -> np.ndarray:
    """2D geometries reprojected from ``crs`` to EPSG:4326 (lon/lat order).

    Raises :class:`InvalidInput` when coordinates cannot be transformed or land outside
    lon/lat range, which almost always means the declared CRS is wrong.
    """
    flat = shapely.force_2d(geometries)
    if crs.equals(WGS84, ignore_axis_order=True):
        out = flat
    else:
        transformer = Transformer.from_crs(crs, WGS84, always_xy=True)

        def project(coords: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        out = shapely.transform(flat, project)
    coords = shapely.get_coordinates(out)
    if len(coords) and not (
        np.isfinite(coords).all()
        and (np.abs(coords[:, 0]) <= 180).all()
        and (np.abs(coords[:, 1]) <= 90).all()
    ):
        source = crs.to_string()
        raise InvalidInput(
            f"{name}: coordinates fall outside longitude/latitude range after reprojection from {source}; "
            "the file's CRS is probably wrong — declare the right one with --s-srs (e.g. EPSG:32640).",
            field="s_srs",
        )
    return out


def clean_geometries(geometries: np.ndarray, name: str) -> CleanGeometries:
    """Drop empty geometries, repair invalid ones, and settle the layer's one Multi* type.

    The geometries returned are valid and of one dimension; single-part ones stay
    single here and are written as one-part Multi* by :func:`spatial.bulk.multi_ewkb_hex`,
    which is much cheaper than building millions of Multi* objects.
    Raises :class:`InvalidInput` when the file holds no geometry or mixes points,
    lines and polygons (a layer holds one kind).
    """
    present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    rows = np.flatnonzero(present)
    if len(rows) == 0:
        raise InvalidInput(f"{name} has no geometries (all are empty or missing); a layer needs locations.",
                           field="file")
    kept = geometries[rows]
    type_ids = shapely.get_type_id(kept)
    dimension = _single_dimension(kept, type_ids, name)

    invalid = ~shapely.is_valid(kept)
    repaired = int(invalid.sum())
    # Collections and repaired geometries are rebuilt from their parts of the layer's dimension:
    # make_valid can leave lower-dimension pieces (a collapsed ring becomes a line).
    rebuild = invalid | (type_ids == 7)
    usable = np.ones(len(kept), dtype=bool)
    if rebuild.any():
        fixed = kept[rebuild].copy()
        fixed[invalid[rebuild]] = shapely.make_valid(fixed[invalid[rebuild]])
        parts, owner = _parts(fixed)
        wanted = (shapely.get_dimensions(parts) == dimension) & ~shapely.is_empty(parts)
        owners, compact = np.unique(owner[wanted], return_inverse=True)
        rebuilt = np.full(len(fixed), None, dtype=object)
        if len(owners):
            rebuilt[owners] = _BUILD[dimension](parts[wanted], indices=compact)
        kept[rebuild] = rebuilt
        usable[np.flatnonzero(rebuild)[np.setdiff1d(np.arange(len(fixed)), owners)]] = False
    keep = np.zeros(len(geometries), dtype=bool)
    keep[rows[usable]] = True
    return CleanGeometries(
        geometries=kept[usable],
        keep=keep,
        geometry_type=MULTI_TYPES[dimension],
        repaired=repaired,
        dropped_empty=int(len(geometries) - len(rows)),
        dropped_after_repair=int((~usable).sum()),
    )


def _parts(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-part pieces and the index of the geometry each came from (collections of multis too)."""
    parts, owner = shapely.get_parts(geometries, return_index=True)
    if (shapely.get_type_id(parts) >= 4).any():
        inner, inner_owner = shapely.get_parts(parts, return_index=True)
        parts, owner = inner, owner[inner_owner]
    return parts, owner


#: shapely type id → dimension, for everything but collections (id 7).
_DIMENSION_OF_TYPE = np.array([0, 1, 1, 2, 0, 1, 2, -1])


def _single_dimension(geometries: np.ndarray, type_ids: np.ndarray, name: str) -> int:
    dims = _DIMENSION_OF_TYPE[type_ids]
    collections = type_ids == 7
    if collections.any():
        parts, _ = _parts(geometries[collections])
        dims = np.concatenate([dims[~collections], shapely.get_dimensions(parts[~shapely.is_empty(parts)])])
    values, counts = np.unique(dims, return_counts=True)
    if len(values) == 0:
        raise InvalidInput(f"{name} has no geometries (all are empty); a layer needs locations.", field="file")
    if len(values) > 1:
        mix = " and ".join(f"{c:,} {_FAMILY[int(d)]}" for d, c in zip(values, counts, strict=True))
        raise InvalidInput(
            f"{name} mixes geometry types ({mix}); a layer holds one type. "
            "Split the file by geometry type (e.g. in QGIS or with ogr2ogr -where) and add each as its own layer.",
            field="file",
        )
    return int(values[0])
