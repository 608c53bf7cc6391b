"""Geometry cleaning for ingestion: reproject to EPSG:4326, repair, drop empties, settle one Multi* type.

:func:`clean_source` takes the WKB as read and returns what to store. All operations
are vectorised over the whole array (shapely 2, pyproj, numpy); lon/lat points, the
commonest large layers, are checked straight on their WKB bytes without building
geometry objects, and unchanged geometries keep their source bytes.

Examples
--------
>>> clean = clean_source(wkb_column, CRS.from_epsg(32640), "roads.shp")   # doctest: +SKIP
>>> clean.geometry_type, clean.repaired, clean.dropped_empty              # doctest: +SKIP
('MultiLineString', 2, 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import shapely
from pyproj import CRS, Transformer

from layers.options import CLI, OptionNames
from spatial.db.bulk import plain_wkb_mask
from spatial.errors import InvalidInput

WGS84 = CRS.from_epsg(4326)
#: Geometry dimension → the Multi* type stored, and its constructor.
MULTI_TYPES = {0: "MultiPoint", 1: "MultiLineString", 2: "MultiPolygon"}
_BUILD = {0: shapely.multipoints, 1: shapely.multilinestrings, 2: shapely.multipolygons}
_FAMILY = {0: "points", 1: "lines", 2: "polygons"}
#: What a layer of each stored type holds, in words for messages.
FAMILY_OF = {MULTI_TYPES[dimension]: family for dimension, family in _FAMILY.items()}


@dataclass(frozen=True)
class CleanGeometries:
    """Geometries ready to store, and what was done to get them.

    ``wkb`` holds little-endian 2D WKB of the kept geometries (single- or multi-part,
    see :func:`spatial.db.bulk.multi_ewkb_hex`); ``keep`` is a boolean mask over the source
    rows (the attributes of the rows kept); ``bbox`` is [minx, miny, maxx, maxy].
    """

    wkb: pa.Array
    keep: np.ndarray
    bbox: list[float]
    geometry_type: str
    repaired: int
    dropped_empty: int
    dropped_after_repair: int


def clean_source(wkb: pa.ChunkedArray | pa.Array, crs: CRS, name: str, say: OptionNames = CLI) -> CleanGeometries:
    """What to store for the geometries ``wkb`` (as read) in ``crs``: see :class:`CleanGeometries`.

    Raises :class:`InvalidInput` when there is no geometry, when points, lines and
    polygons are mixed, or when coordinates fall outside lon/lat range after
    reprojection (almost always a wrong or missing CRS; ``say`` names the option to fix it).
    """
    wkb = (wkb.combine_chunks() if isinstance(wkb, pa.ChunkedArray) else wkb).cast(pa.large_binary())
    if crs.equals(WGS84, ignore_axis_order=True):
        xy = _lonlat_points(wkb)
        if xy is not None:
            return _clean_points(wkb, xy, name, say)
    geometries = _decode(wkb, name)
    lonlat, moved = _to_wgs84(geometries, crs, name, say)
    clean, rebuilt = _clean_geometries(lonlat, name)
    kept = clean.pop("geometries")
    if moved:
        out = pa.array(shapely.to_wkb(kept, byte_order=1), pa.large_binary())
    else:
        out = wkb.filter(pa.array(clean["keep"]))
        redo = rebuilt | ~plain_wkb_mask(out)
        if redo.any():
            values = np.array(out.to_numpy(zero_copy_only=False), dtype=object)
            values[redo] = shapely.to_wkb(kept[redo], byte_order=1)
            out = pa.array(values, pa.large_binary())
    return CleanGeometries(wkb=out, bbox=[float(v) for v in shapely.total_bounds(kept)], **clean)


def _decode(wkb: pa.Array, name: str) -> np.ndarray:
    try:
        return shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
    except shapely.errors.GEOSException as exc:
        raise InvalidInput(f"{name} holds a geometry that cannot be decoded ({exc}).", reason="geometry_undecodable", name=name, field="file") from None


def _lonlat_points(wkb: pa.Array) -> np.ndarray | None:
    """(x, y) of every value when all are 21-byte little-endian 2D Point WKB, else ``None``."""
    offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int64)[wkb.offset : wkb.offset + len(wkb) + 1]
    if wkb.null_count or len(wkb) == 0 or not (np.diff(offsets) == 21).all():
        return None
    block = np.frombuffer(wkb.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 21)
    if not ((block[:, 0] == 1) & (block[:, 1] == 1) & (block[:, 2:5] == 0).all(axis=1)).all():
        return None
    return block[:, 5:].copy().view("<f8")


def _clean_points(wkb: pa.Array, xy: np.ndarray, name: str, say: OptionNames) -> CleanGeometries:
    present = ~np.isnan(xy).any(axis=1)  # an empty point is NaN, NaN in WKB
    if not present.any():
        raise InvalidInput(f"{name} has no geometries (all are empty or missing); a layer needs locations.",
                           reason="no_geometries", name=name, field="file")
    kept = xy[present]
    _check_lonlat(np.column_stack([kept, kept]), WGS84, name, say)
    lo, hi = kept.min(axis=0), kept.max(axis=0)
    return CleanGeometries(
        wkb=wkb.filter(pa.array(present)), keep=present, bbox=[float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])],
        geometry_type="MultiPoint", repaired=0, dropped_empty=int((~present).sum()), dropped_after_repair=0,
    )


def _to_wgs84(geometries: np.ndarray, crs: CRS, name: str, say: OptionNames) -> tuple[np.ndarray, bool]:
    """2D geometries reprojected from ``crs`` to EPSG:4326 (lon/lat order), and whether any changed."""
    flat = geometries
    changed = bool(shapely.has_z(geometries).any())
    if changed:
        flat = shapely.force_2d(geometries)
    if crs.equals(WGS84, ignore_axis_order=True):
        out = flat
    else:
        transformer = Transformer.from_crs(crs, WGS84, always_xy=True)

        def project(coords: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        out = shapely.transform(flat, project)
        changed = True
    bounds = shapely.bounds(out)
    _check_lonlat(bounds[~np.isnan(bounds).all(axis=1)], crs, name, say)  # empty geometries have NaN bounds
    return out, changed


def _check_lonlat(bounds: np.ndarray, crs: CRS, name: str, say: OptionNames) -> None:
    if len(bounds) and not (
        np.isfinite(bounds).all()
        and (np.abs(bounds[:, [0, 2]]) <= 180).all()
        and (np.abs(bounds[:, [1, 3]]) <= 90).all()
    ):
        raise InvalidInput(
            f"{name}: coordinates fall outside longitude/latitude range in {crs.to_string()}; "
            "the file's CRS is probably wrong or missing — declare the right one with "
            f"{say.example('s_srs', 'EPSG:32640')}.",
            reason="coordinates_not_lonlat", name=name, field="s_srs",
        )


def _clean_geometries(geometries: np.ndarray, name: str) -> tuple[dict, np.ndarray]:
    """Drop empty geometries, repair invalid ones, and check there is one dimension.

    Returns the :class:`CleanGeometries` fields (with the kept ``geometries``, not yet
    WKB) and which kept geometries were rebuilt. Single-part geometries stay single:
    :func:`spatial.db.bulk.multi_ewkb_hex` wraps them, much cheaper than building Multi* objects.
    """
    present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    rows = np.flatnonzero(present)
    if len(rows) == 0:
        raise InvalidInput(f"{name} has no geometries (all are empty or missing); a layer needs locations.",
                           reason="no_geometries", name=name, field="file")
    kept = geometries[rows]
    type_ids = shapely.get_type_id(kept)
    dimension = _single_dimension(kept, type_ids, name)

    invalid = ~shapely.is_valid(kept)
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
    if not usable.any():
        raise InvalidInput(f"{name} has no usable geometries after repair; check the file in a GIS.", reason="no_usable_geometries", name=name, field="file")
    keep = np.zeros(len(geometries), dtype=bool)
    keep[rows[usable]] = True
    fields = {
        "geometries": kept[usable],
        "keep": keep,
        "geometry_type": MULTI_TYPES[dimension],
        "repaired": int(invalid.sum()),
        "dropped_empty": int(len(geometries) - len(rows)),
        "dropped_after_repair": int((~usable).sum()),
    }
    return fields, rebuild[usable]


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
        raise InvalidInput(f"{name} has no geometries (all are empty); a layer needs locations.", reason="no_geometries", name=name, field="file")
    if len(values) > 1:
        mix = " and ".join(f"{c:,} {_FAMILY[int(d)]}" for d, c in zip(values, counts, strict=True))
        raise InvalidInput(
            f"{name} mixes geometry types ({mix}); a layer holds one type. "
            "Split the file by geometry type (e.g. in QGIS or with ogr2ogr -where) and add each as its own layer.",
            reason="mixed_geometry_types", name=name, field="file",
        )
    return int(values[0])
