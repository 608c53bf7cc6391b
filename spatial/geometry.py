"""Small vectorised geometry helpers shared by the core, the demo and the maps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely


def as_multipolygons(geometries: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of each geometry and return them as MultiPolygons."""
    geometries = np.asarray(geometries, dtype=object)
    if (shapely.get_type_id(geometries) == shapely.GeometryType.MULTIPOLYGON).all():
        return geometries  # nothing to rebuild (a stored coverage): taking 50,000 apart costs a second
    parts, index = shapely.get_parts(geometries, return_index=True)
    polygonal = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    return shapely.multipolygons(parts[polygonal], indices=index[polygonal])


#: A one-point MultiPoint in little-endian 2D WKB: byte order, type 4, count 1, then the
#: point (byte order, type 1, x, y).
_ONE_POINT_WKB = np.dtype([("order", "u1"), ("type", "<u4"), ("count", "<u4"),
                           ("point_order", "u1"), ("point_type", "<u4"), ("x", "<f8"), ("y", "<f8")])
#: Header of a little-endian WKB GeometryCollection (the member count follows).
_COLLECTION_WKB = b"\x01\x07\x00\x00\x00"


def multipoint_coordinates(wkb: bytes, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of ``count`` concatenated little-endian MultiPoint WKB values.

    Returns ``(xy, index)``: an ``(n, 2)`` array of the points and, for each point, the
    position of the value it came from (ascending). Point layers almost always hold one
    point per feature: those values are read straight off the bytes. Otherwise the values
    are wrapped as one GeometryCollection and read by GEOS.

    Examples
    --------
    >>> wkb = b"".join(shapely.to_wkb(shapely.multipoints([[1, 2]]), byte_order=1) for _ in range(2))
    >>> multipoint_coordinates(wkb, 2)
    (array([[1., 2.],
           [1., 2.]]), array([0, 1]))
    """
    if len(wkb) == count * _ONE_POINT_WKB.itemsize:
        records = np.frombuffer(wkb, _ONE_POINT_WKB)
        # Each record checked to be a 2D one-point MultiPoint is exactly one record long, so
        # the next value starts where the next record does: the whole buffer is regular.
        if ((records["order"] == 1) & (records["type"] == 4) & (records["count"] == 1)
                & (records["point_order"] == 1) & (records["point_type"] == 1)).all():
            return np.column_stack((records["x"], records["y"])), np.arange(count)
    collection = shapely.from_wkb(_COLLECTION_WKB + count.to_bytes(4, "little") + wkb)
    return shapely.get_coordinates(shapely.get_parts(collection), return_index=True)


def points_in_polygons(xy: np.ndarray, polygons: np.ndarray, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``(polygon, point)`` where the point intersects the polygon (its boundary included).

    Returns two index arrays, sorted by polygon. Points are binned in a regular grid of
    cells a quarter of a typical polygon's size, so each polygon's candidates are a few
    contiguous runs of the sorted points, and no Point objects or tree are built; the
    candidates inside each polygon's bounding box are then tested against the prepared
    polygon in GEOS. The polygons are shared out between ``workers`` threads (numpy and
    shapely release the GIL) and left prepared.

    Examples
    --------
    >>> points_in_polygons(np.array([[0.5, 0.5], [1.0, 0.5], [3.0, 3.0]]),
    ...                    np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]))
    (array([0, 0, 1]), array([0, 1, 1]))
    """
    x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    nonempty = np.flatnonzero(~shapely.is_empty(polygons))
    if len(nonempty) == 0 or len(xy) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bounds = np.full((len(polygons), 4), np.nan)
    bounds[nonempty] = shapely.bounds(polygons[nonempty])
    x0, y0 = np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1])
    x1, y1 = np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3])
    # A quarter of the median size keeps the candidates close to the bounding boxes; the
    # floor bounds the grid at 1,024 cells a side for very small polygons.
    width = max(np.nanmedian(bounds[:, 2] - bounds[:, 0]) / 4, (x1 - x0) / 1024, 1e-9)
    height = max(np.nanmedian(bounds[:, 3] - bounds[:, 1]) / 4, (y1 - y0) / 1024, 1e-9)
    columns = int((x1 - x0) / width) + 1
    cells = columns * (int((y1 - y0) / height) + 1)

    inside = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    # Offsets from the lower-left corner are never negative, so truncation is the floor.
    cell = ((y[inside] - y0) / height).astype(np.int64) * columns + ((x[inside] - x0) / width).astype(np.int64)
    by_cell = inside[np.argsort(cell)]
    cell_start = np.zeros(cells + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=cells), out=cell_start[1:])

    def pairs_of(members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The pairs of polygons ``members`` (ascending), each polygon used in this thread only."""
        box = bounds[members]
        col0, col1 = ((box[:, 0] - x0) / width).astype(np.int64), ((box[:, 2] - x0) / width).astype(np.int64)
        row0, row1 = ((box[:, 1] - y0) / height).astype(np.int64), ((box[:, 3] - y0) / height).astype(np.int64)
        # One run of sorted points per polygon and grid row it spans: its cells are contiguous.
        member = np.repeat(np.arange(len(members)), row1 - row0 + 1)
        row = row0[member] + _offsets_within(row1 - row0 + 1)
        run_start = cell_start[row * columns + col0[member]]
        run_length = cell_start[row * columns + col1[member] + 1] - run_start
        member = np.repeat(member, run_length)
        point = by_cell[np.repeat(run_start, run_length) + _offsets_within(run_length)]
        px, py = x[point], y[point]
        in_box = ((px >= box[:, 0][member]) & (px <= box[:, 2][member])
                  & (py >= box[:, 1][member]) & (py <= box[:, 3][member]))
        member, point = member[in_box], point[in_box]
        shapely.prepare(polygons[members])
        hit = shapely.intersects_xy(polygons[members[member]], px[in_box], py[in_box])
        return members[member[hit]], point[hit]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        found = list(pool.map(pairs_of, np.array_split(nonempty, workers)))
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def _offsets_within(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, counts[i] - 1 for each i, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
