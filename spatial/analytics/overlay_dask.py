"""The Dask engine of the overlays: a layer too large for one process, derived on a cluster.

A point layer is read in partitions on the workers (a GeoParquet file by row groups, a
PostGIS table by ranges of its key ``fid``), optionally shuffled into spatial partitions
along a Hilbert curve (:meth:`dask_geopandas.GeoDataFrame.spatial_shuffle`), and each
partition is tallied against the units' polygons whose bounding boxes meet its own
(:func:`spatial.analytics.tallies.point_tallies`, the rule of the in-process engine).
The shuffle moves every point between workers once, which costs far more than it saves
while the units' polygons fit on a worker (benchmarked in ``bench/overlay.py --engine
dask``); it pays when partitions are spatially scattered and the polygons many.
The application process only adds up the partitions' tallies as they arrive, so it
holds the units and three numbers per unit, never the points.

Lengths of lines and area shares of polygons (:func:`cluster_measures`) are measured the
same way, on the ellipsoid as PostGIS's geography does (pyproj's geodesics agree with it
to about 1e-15): each partition adds up the geodesic lengths of its lines clipped to each
unit, or unions its polygons clipped to each unit; the application adds the lengths, or
unions the partitions' pieces per unit and measures their area.

Distances to the nearest feature of a point layer (:func:`cluster_nearest`) follow the
in-process KNN rule exactly: each partition reports, for every unit, its own candidates
(its nearest features by planar distance from the unit's origin, ties included) with
their geodesic distances; the application keeps, per unit, the candidates of all
partitions that are still among the nearest, and takes the least geodesic distance.

The cluster is ``PISHRAFT_DASK_SCHEDULER`` when set, or a ``LocalCluster`` sized to
this machine, started for the derivation and stopped after it. Importing this module
imports Dask: :mod:`spatial.analytics.overlay` imports it only for a derivation that
runs on a cluster.

Examples
--------
>>> with dask_client() as client:                                           # doctest: +SKIP
...     tallies = cluster_tallies(client, GeoParquetFeatures("points.parquet"), units.geometry.to_numpy())
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import dask
import dask.dataframe as dd
import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyarrow.parquet as pq
import shapely
from distributed import Client, Future, LocalCluster, as_completed
from pyproj import Geod
from scipy.spatial import cKDTree

from spatial.analytics.overlay_methods import MEASURES
from spatial.analytics.tallies import point_tallies
from spatial.settings import get_settings

#: Features per partition of a PostGIS layer (about 60 MB of points on a worker).
ROWS_PER_PARTITION = 500_000
#: The ellipsoid of EPSG:4326, on which PostGIS measures geography.
WGS84 = Geod(ellps="WGS84")
#: PostGIS rounds geography distances to 1e-8 m (its ``INVMINDIST``, ticket #2168).
ROUNDING_PER_METRE = 1e8


@dataclass(frozen=True)
class GeoParquetFeatures:
    """A GeoParquet file of features, read by row groups; ``attribute`` a numeric column or None."""

    path: str
    attribute: str | None = None

    def frame(self) -> dask_geopandas.GeoDataFrame:
        geo = json.loads(pq.read_schema(self.path).metadata[b"geo"])
        columns = [geo["primary_column"], *([self.attribute] if self.attribute else [])]
        return dask_geopandas.read_parquet(self.path, columns=columns, split_row_groups=True)

    @property
    def value_column(self) -> str | None:
        return self.attribute


@dataclass(frozen=True)
class PostgisFeatures:
    """A PostGIS layer (points, lines or polygons) read by key ranges on the workers.

    ``statement`` selects ``(wkb, value)`` of the features with ``%(low)s <= fid <
    %(high)s``; it is quoted by the caller (:mod:`spatial.analytics.overlay`) and run
    by each worker on its own connection to ``url`` (libpq form).
    """

    url: str
    statement: str
    ranges: Sequence[tuple[int, int]]
    attribute: str | None = None

    def frame(self) -> dask_geopandas.GeoDataFrame:
        meta = gpd.GeoDataFrame({"value": pd.Series([], dtype=float)} if self.attribute else {},
                                geometry=gpd.GeoSeries([], crs=4326))
        return dd.from_map(_read_key_range, list(self.ranges), url=self.url, statement=self.statement,
                           attribute=self.attribute is not None, meta=meta, enforce_metadata=False)

    @property
    def value_column(self) -> str | None:
        return "value" if self.attribute else None


FeatureSource = GeoParquetFeatures | PostgisFeatures


def key_ranges(low: int, high: int, features: int, partitions: int | None = None) -> list[tuple[int, int]]:
    """``partitions`` (default: one per :data:`ROWS_PER_PARTITION` features) half-open ranges
    covering the keys ``low``..``high``."""
    count = partitions or max(1, -(-features // ROWS_PER_PARTITION))
    ends = np.linspace(low, high + 1, count + 1).round().astype(np.int64)
    return [(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:], strict=True)]


def _read_key_range(bounds: tuple[int, int], url: str, statement: str, attribute: bool) -> gpd.GeoDataFrame:
    """On a worker: the features of one key range, as a GeoDataFrame (``value`` if ``attribute``)."""
    with psycopg.connect(url) as conn, conn.cursor(binary=True) as cursor:
        rows = cursor.execute(statement, {"low": bounds[0], "high": bounds[1]}).fetchall()
    geometry = shapely.from_wkb([r[0] for r in rows]) if rows else np.array([], dtype=object)
    columns = {"value": np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float)} if attribute else {}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(geometry, crs=4326))


class Watch(Protocol):
    """Who follows a derivation on the cluster: the command line's progress bar, a job's state."""

    def started(self, client: Client, futures: list[Future]) -> None:
        """The work was submitted: ``futures``, one a part (a partition of points, a run of zones)."""

    def advanced(self, done: int, total: int) -> None:
        """``done`` of ``total`` parts are finished; raising stops the derivation (cancels the rest)."""


@contextmanager
def dask_client(scheduler: str | None = None) -> Iterator[Client]:
    """A client of ``scheduler``, of ``PISHRAFT_DASK_SCHEDULER``, or of a ``LocalCluster`` started
    here (one single-threaded worker process per core) and closed on leaving."""
    address = scheduler or get_settings().dask_scheduler
    if address:
        with Client(address) as client:
            yield client
        return
    workers = os.cpu_count() or 1
    # Port 0: a free port for the dashboard, so that several derivations may run at once.
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address="127.0.0.1:0") as cluster, \
            Client(cluster) as client:
        yield client


def cluster_tallies(client: Client, source: FeatureSource, polygons: np.ndarray, *, partitions: int | None = None,
                    spatial_shuffle: bool = False, watch: Watch | None = None) -> np.ndarray:
    """:func:`~spatial.analytics.tallies.point_tallies` of ``source`` against ``polygons``, on ``client``'s cluster.

    The source's partitions (with ``spatial_shuffle``, the features shuffled into
    ``partitions`` spatial partitions, default as many) are each tallied on a worker
    against the polygons whose boxes meet theirs; the
    ``(3, n)`` tallies are added up here as partitions finish. If a worker dies, the
    scheduler runs its tasks again elsewhere; anything else that fails (or ``watch``
    raising) cancels the rest and is raised.
    """
    with dask.config.set(scheduler=client):
        frame = source.frame()
        if spatial_shuffle:
            # The Hilbert distance and its quantiles are computed here, on the cluster, eagerly.
            frame = frame.spatial_shuffle(by="hilbert", npartitions=partitions or frame.npartitions,
                                          calculate_partitions=False)
        bounds = shapely.bounds(polygons)
        # A key of its own (hash=False): one derivation never meets another's copies, some of
        # which may have been lost with a worker.
        shared = client.scatter((polygons, bounds), broadcast=True, hash=False)
        tasks = [dask.delayed(_partition_tallies)(part, shared, source.value_column) for part in frame.to_delayed()]
    total = np.zeros((3, len(polygons)))
    for members, tallies in _as_completed(client, client.compute(tasks), watch):
        total[:, members] += tallies
    return total


def cluster_measures(client: Client, source: FeatureSource, polygons: np.ndarray, method: str, *,
                     watch: Watch | None = None) -> np.ndarray:
    """``method`` (``length_km`` of lines, or ``area_share`` covered by polygons) of ``source`` for each of ``polygons``.

    The values of the in-process engine (PostGIS's ``length_km`` and ``area_share``):
    a line is clipped to a unit unless the unit covers it, and its geodesic length
    added up (km); polygons are clipped to a unit and unioned, so overlaps count once,
    and the union's geodesic area is divided by the unit's (at most 1; 0 for a unit
    nothing covers). Each partition of ``source`` is measured on a worker; the lengths
    are added here, the polygons' pieces unioned here per unit.
    """
    if method not in MEASURES:
        raise ValueError(f"cluster_measures measures {', '.join(MEASURES)}, not {method!r}")
    with dask.config.set(scheduler=client):
        frame = source.frame()
        shared = client.scatter((polygons, shapely.bounds(polygons)), broadcast=True, hash=False)
        tasks = [dask.delayed(_partition_measures)(part, shared, method) for part in frame.to_delayed()]
    results = _as_completed(client, client.compute(tasks), watch)
    if method == "length_km":
        total = np.zeros(len(polygons))
        for members, lengths in results:
            total[members] += lengths
        return total / 1000
    pieces: list[list[shapely.Geometry]] = [[] for _ in range(len(polygons))]
    for members, covered in results:
        for member, piece in zip(members, covered, strict=True):
            pieces[member].append(piece)
    unions = np.array([shapely.union_all(p) if p else None for p in pieces], dtype=object)
    unit_area = geodesic_areas(polygons)
    share = np.divide(geodesic_areas(unions), unit_area, out=np.zeros(len(polygons)), where=unit_area > 0)
    return np.minimum(1.0, share)


def cluster_nearest(client: Client, source: FeatureSource, origins: np.ndarray, candidates: int, *,
                    watch: Watch | None = None) -> np.ndarray:
    """The distance in km from each of ``origins`` (``(n, 2)`` longitudes and latitudes) to the nearest
    point feature of ``source``, by the in-process engine's rule (:mod:`spatial.analytics.overlay`):

    the ``candidates`` features nearest by planar distance in degrees (PostGIS's KNN
    ``<->``: the least over a multipoint's members), all of them tied with the last one
    included, are measured on the ellipsoid (PostGIS's geography: to the member nearest on
    the sphere, rounded to 1e-8 m: identical, or one such step apart) and the least distance is the value (NaN when
    ``source`` has no feature).

    Every partition reports every unit's candidates among its own features, so a unit's
    nearest feature is found wherever it lies. The union of the partitions' candidates
    holds all of the layer's (a feature among the layer's nearest is among its own
    partition's nearest), so keeping, as results arrive, the candidates of the union is
    the rule applied to the whole layer.
    """
    with dask.config.set(scheduler=client):
        frame = source.frame()
        shared = client.scatter(origins, broadcast=True, hash=False)
        tasks = [dask.delayed(_partition_nearest)(part, shared, candidates) for part in frame.to_delayed()]
    kept = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))
    for found in _as_completed(client, client.compute(tasks), watch):
        unit, planar, metres = (np.concatenate(pair) for pair in zip(kept, found, strict=True))
        kept = nearest_candidates(unit, planar, metres, candidates)
    unit, _, metres = kept
    nearest = np.full(len(origins), np.inf)
    np.minimum.at(nearest, unit, metres)
    return np.where(np.isfinite(nearest), nearest / 1000, np.nan)


def nearest_candidates(unit: np.ndarray, planar: np.ndarray, metres: np.ndarray,
                       candidates: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of features (one a row: the ``unit`` measured from, ``planar`` and geodesic ``metres``
    distances), those among each unit's ``candidates`` nearest by planar distance, ties with
    the last one included."""
    order = np.lexsort((planar, unit))
    unit, planar, metres = unit[order], planar[order], metres[order]
    units, first, sizes = np.unique(unit, return_index=True, return_counts=True)
    last = np.empty(int(units.max()) + 1 if len(units) else 0)
    last[units] = planar[first + np.minimum(sizes, candidates) - 1]
    keep = planar <= last[unit]
    return unit[keep], planar[keep], metres[keep]


def _partition_nearest(part: gpd.GeoDataFrame, origins: np.ndarray,
                       candidates: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """On a worker: ``(unit, planar, metres)`` of each unit's candidates among this partition's features."""
    features = part.geometry.to_numpy()
    features = features[~shapely.is_missing(features) & ~shapely.is_empty(features)]
    if len(features) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    xy, owner = shapely.get_coordinates(features, return_index=True)
    unit, member = _members_near(origins, xy, owner, candidates)
    # Per unit and feature: the planar distance of its nearest member, and the member nearest on the sphere.
    sphere = _sphere_distances(origins[unit], xy[member])
    order = np.lexsort((sphere, owner[member], unit))
    unit, member, planar = unit[order], member[order], _planar_distances(origins[unit[order]], xy[member[order]])
    first = np.flatnonzero(np.r_[True, (unit[1:] != unit[:-1]) | (owner[member[1:]] != owner[member[:-1]])])
    unit, nearest, planar = unit[first], member[first], np.minimum.reduceat(planar, first)
    # PostGIS holds geography points in radians and turns them back into degrees to measure:
    # the same round trip makes most distances identical to the bit, the rest within its 1e-8 m step.
    start, end = (np.pi * v / 180.0 * 180.0 / np.pi for v in (origins[unit], xy[nearest]))
    _, _, metres = WGS84.inv(start[:, 0], start[:, 1], end[:, 0], end[:, 1])
    metres = np.round(np.asarray(metres) * ROUNDING_PER_METRE) / ROUNDING_PER_METRE
    return nearest_candidates(unit, planar, metres, candidates)


def _members_near(origins: np.ndarray, xy: np.ndarray, owner: np.ndarray,
                  candidates: int) -> tuple[np.ndarray, np.ndarray]:
    """``(unit, member)`` pairs holding, for every origin, every member point of its ``candidates``
    nearest features (ties included): all members within a radius found to hold them."""
    n = len(origins)
    if owner[-1] < candidates:  # no more features than candidates: all of them
        return np.repeat(np.arange(n), len(xy)), np.tile(np.arange(len(xy)), n)
    tree = cKDTree(xy)
    # The distance to the k-th nearest member is at most that to the k-th nearest feature;
    # the radius grows (doubling) until a unit's k-th nearest feature lies well inside it.
    radius = tree.query(origins, k=candidates)[0][:, -1] * (1 + 1e-9)
    todo, units, members = np.arange(n), [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    while len(todo):
        found = tree.query_ball_point(origins[todo], radius[todo])
        sizes = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        unit = np.repeat(todo, sizes)
        member = np.concatenate([np.asarray(f, dtype=np.int64) for f in found])
        met_unit, met_planar = _by_feature(unit, owner[member], _planar_distances(origins[unit], xy[member]))
        # Enough features met, and the last candidate well inside the radius (none outside can tie it)?
        kept_unit, kept_planar, _ = nearest_candidates(met_unit, met_planar, met_planar, candidates)
        counts = np.bincount(np.searchsorted(todo, met_unit), minlength=len(todo))
        worst = np.zeros(len(todo))
        np.maximum.at(worst, np.searchsorted(todo, kept_unit), kept_planar)
        done = (counts >= candidates) & (worst <= radius[todo] * (1 - 1e-12))
        chosen = np.isin(unit, todo[done])
        units.append(unit[chosen])
        members.append(member[chosen])
        radius[todo[~done]] = np.maximum(radius[todo[~done]] * 2, 1e-12)
        todo = todo[~done]
    return np.concatenate(units), np.concatenate(members)


def _by_feature(unit: np.ndarray, feature: np.ndarray, planar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(unit, planar)`` once per unit and feature met, the least planar distance of its members."""
    order = np.lexsort((planar, feature, unit))
    unit, feature = unit[order], feature[order]
    first = np.flatnonzero(np.r_[True, (unit[1:] != unit[:-1]) | (feature[1:] != feature[:-1])])
    return unit[first], np.minimum.reduceat(planar[order], first)


def _planar_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Planar distances between the rows of ``a`` and ``b`` as PostGIS computes them (``lw_dist2d_pt_pt``)."""
    dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    return np.sqrt(dx * dx + dy * dy)


def _sphere_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle angles between the rows of ``a`` and ``b`` (degrees in), as PostGIS's
    ``sphere_distance`` computes them: its geography picks the member of a multipoint nearest
    on the sphere, then measures that one on the ellipsoid."""
    lon_s, lat_s, lon_e, lat_e = (np.pi * v / 180.0 for v in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    d_lon = lon_e - lon_s
    cos_d_lon = np.cos(d_lon)
    cos_lat_e, sin_lat_e, cos_lat_s, sin_lat_s = np.cos(lat_e), np.sin(lat_e), np.cos(lat_s), np.sin(lat_s)
    a1 = (cos_lat_e * np.sin(d_lon)) ** 2
    a2 = (cos_lat_s * sin_lat_e - sin_lat_s * cos_lat_e * cos_d_lon) ** 2
    return np.arctan2(np.sqrt(a1 + a2), sin_lat_s * sin_lat_e + cos_lat_s * cos_lat_e * cos_d_lon)


def geodesic_lengths(geometries: np.ndarray) -> np.ndarray:
    """The length in metres on the WGS 84 ellipsoid of each geometry's lines (0 for points and missing ones).

    Vectorised: every segment of every part is measured in one call.
    """
    parts, owner = shapely.get_parts(geometries, return_index=True)
    # Intersections may return collections of multi-parts: take parts until all are single.
    while len(parts) and shapely.get_num_geometries(parts).max() > 1:
        parts, inner = shapely.get_parts(parts, return_index=True)
        owner = owner[inner]
    xy, part = shapely.get_coordinates(parts, return_index=True)
    segment = np.flatnonzero(part[1:] == part[:-1])
    _, _, metres = WGS84.inv(xy[segment, 0], xy[segment, 1], xy[segment + 1, 0], xy[segment + 1, 1])
    return np.bincount(owner[part[segment]], weights=metres, minlength=len(geometries))


def geodesic_areas(geometries: np.ndarray) -> np.ndarray:
    """The area in square metres on the WGS 84 ellipsoid of each geometry (holes taken out; 0 for missing ones)."""
    oriented = shapely.orient_polygons(geometries)  # outer rings anticlockwise, holes clockwise
    return np.array([abs(WGS84.geometry_area_perimeter(g)[0]) if g is not None else 0.0 for g in oriented])


def cluster_zonal(client: Client, zonal_statistics: Callable[[str, gpd.GeoDataFrame, str], np.ndarray], raster: str,
                  zones: gpd.GeoDataFrame, stat: str, *, partitions: int | None = None,
                  watch: Watch | None = None) -> np.ndarray:
    """``zonal_statistics(raster, zones, stat)`` on ``client``'s cluster, the zones shared out in
    ``partitions`` runs (default: four a worker): each worker reads only the raster windows
    its zones cover (or the raster whole, when small), so the values are the in-process ones.

    The function is passed in (:func:`spatial.analytics.overlay.zonal_statistics`) and the
    raster's path must be readable by the workers (shared storage).
    """
    count = max(1, min(len(zones), partitions or 4 * len(client.scheduler_info()["workers"])))
    ends = np.linspace(0, len(zones), count + 1).astype(int)
    futures = [client.submit(zonal_statistics, raster, zones.iloc[a:b], stat, pure=False)
               for a, b in zip(ends[:-1], ends[1:], strict=True)]
    order = {future.key: i for i, future in enumerate(futures)}
    parts: list[np.ndarray] = [np.zeros(0)] * count
    for key, values in _as_completed(client, futures, watch, keyed=True):
        parts[order[key]] = values
    return np.concatenate(parts)


def _as_completed(client: Client, futures: list[Future], watch: Watch | None, keyed: bool = False) -> Iterator[Any]:
    """The results of ``futures`` as they finish (with ``keyed``: ``(key, result)``), each
    released once read, ``watch`` told; whatever stops the iteration cancels the rest."""
    try:
        if watch is not None:
            watch.started(client, futures)
        for done, future in enumerate(as_completed(futures), 1):
            result = future.result()
            yield (future.key, result) if keyed else result
            future.release()
            if watch is not None:
                watch.advanced(done, len(futures))
    finally:
        client.cancel(futures)


def _partition_tallies(part: gpd.GeoDataFrame, shared: tuple[np.ndarray, np.ndarray],
                       value: str | None) -> tuple[np.ndarray, np.ndarray]:
    """On a worker: the tallies of one partition, against the polygons whose boxes meet its points' box.

    Returns ``(members, tallies)``: the polygons' indices and their ``(3, len(members))`` tallies.
    """
    polygons, bounds = shared
    xy, feature = shapely.get_coordinates(part.geometry.to_numpy(), return_index=True)
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((3, 0))
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    members = np.flatnonzero((bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0))
    # Copies: the tally prepares its polygons, and other tasks of this worker may use the same ones.
    nearby = shapely.from_wkb(shapely.to_wkb(polygons[members]))
    values = pd.to_numeric(part[value]).to_numpy(dtype=float, na_value=np.nan) if value else None
    return members, point_tallies(xy, feature, values, nearby)


def _partition_measures(part: gpd.GeoDataFrame, shared: tuple[np.ndarray, np.ndarray],
                        method: str) -> tuple[np.ndarray, np.ndarray]:
    """On a worker: ``(units, measures)`` of one partition: for each unit one of its features meets,
    the geodesic length (m) of its lines clipped to it, or the union of its polygons clipped to it."""
    polygons, bounds = shared
    features = part.geometry.to_numpy()
    features = features[~shapely.is_missing(features) & ~shapely.is_empty(features)]
    if len(features) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    x0, y0, x1, y1 = shapely.total_bounds(features)
    members = np.flatnonzero((bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0))
    # Copies, as for points: the tree prepares its polygons.
    nearby = shapely.from_wkb(shapely.to_wkb(polygons[members]))
    feature, unit = shapely.STRtree(nearby).query(features, predicate="intersects")
    if len(feature) == 0:  # nothing of this partition meets a unit
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if method == "length_km":
        lines, zones = features[feature], nearby[unit]
        clipped = np.where(shapely.covered_by(lines, zones), lines, shapely.intersection(lines, zones))
        lengths = np.bincount(unit, weights=geodesic_lengths(clipped), minlength=len(members))
        met = np.unique(unit)
        return members[met], lengths[met]
    clipped = shapely.intersection(features[feature], nearby[unit])
    order = np.argsort(unit, kind="stable")
    met, starts = np.unique(unit[order], return_index=True)
    groups = np.split(clipped[order], starts[1:])
    return members[met], np.array([shapely.union_all(g) for g in groups], dtype=object)
