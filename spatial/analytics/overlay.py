"""Indicators derived by overlaying a layer on a level of administrative units.

Counts, rates, sums and means of a point layer read the layer in one pass (a few large
WKB values) and test all its points against the units' prepared polygons at once in
GEOS (:func:`spatial.geometry.points_in_polygons`): for many points that is several
times faster than the per-unit GiST probes of a PostGIS join. The other vector methods
are single set-based PostGIS statements (GiST-indexed joins, KNN ``<->`` for nearest
features, geography for lengths, areas and distances); raster zonal statistics use
exactextract, which weighs each cell by the exact fraction of it that lies inside the
unit (in forked processes sharing the zones out, where the program runs no other
thread). Values are written for every current unit of the level, then rolled up the
hierarchy (sums for counts and totals, population-weighted means for rates, means,
shares and distances).

Examples
--------
>>> derive_indicator(session, "health_centres", "neighbourhood", "per_1000",
...                  code="health_centres_per_1000", period="2024")      # doctest: +SKIP
{'indicator': 'health_centres_per_1000', 'units': 6200, ...}
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pyarrow as pa
import rasterio
from rasterio.enums import MaskFlags
import shapely
from exactextract import Feature, FeatureSource, exact_extract
from exactextract.raster import NumPyRasterSource
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.catalogue import get_layer, raster_file
from spatial.db.bulk import binary_fetch
from spatial.db.engine import database_url, driver_connection
from spatial.messages import t
from spatial.errors import InvalidInput, NotFound
from spatial.geometry import multipoint_coordinates
from spatial.analytics.indicators import define_indicator, roll_up
from spatial.analytics.tallies import point_tallies, values_of_tallies
from spatial.analytics.overlay_methods import (
    ENGINES, MEASURES, METHODS, NUMERIC_TYPES, ORIGINS, POINT_METHODS, ROLLUP, UNITS_OF_MEASURE, ZONAL_STATS,
)
from spatial.models.catalogue import Layer
from spatial.periods import period_key
from spatial.units.frames import fetch_units, frame_of_units, units_frame
from spatial.units.hierarchy import check_level
from spatial.settings import get_settings

if TYPE_CHECKING:
    from spatial.analytics.overlay_dask import PostgisFeatures, Watch

#: Threads for the GEOS work (shapely releases the GIL) and raster decoding of one derivation.
WORKERS = min(4, os.cpu_count() or 1)
#: Rasters of up to this many cells are read whole for zonal statistics (200 MB as float32).
IN_MEMORY_CELLS = 50_000_000
#: Zonal statistics fork a process per this many zones (up to WORKERS): fewer are not worth a fork.
PARALLEL_MIN_ZONES = 200

_UNITS_AT_LEVEL = "u.level = :level AND u.valid_to IS NULL"

# Derivations are plain SELECTs whose results insert_values writes: the planner may run a
# SELECT in parallel, never an INSERT … SELECT.
_AGGREGATE_SQL = """
SELECT u.id, {expression}
FROM admin_unit u LEFT JOIN {table} f ON ST_Intersects(u.geom, f.geom)
WHERE {units}
GROUP BY u.id
"""

# A point layer in a few rows, each with the geometries of up to 65,536 features as one
# WKB value (far below PostgreSQL's 1 GB limit on a value) and, for sums and means, their
# attribute as an array in the same order (both aggregates read the rows of one scan).
_POINTS_SQL = """
SELECT count(*), string_agg(ST_AsBinary(f.geom, 'NDR'), ''){attribute}
FROM {table} f
GROUP BY f.fid >> 16
"""

# One key range of a point layer, read by a Dask worker on its own connection.
_KEY_RANGE_SQL = """
SELECT ST_AsBinary(f.geom, 'NDR'), {attribute}
FROM {table} f
WHERE f.fid >= %(low)s AND f.fid < %(high)s
"""

_EXPRESSIONS = {
    "count": "count(f.fid)",
    "per_1000": "count(f.fid) * 1000.0 / nullif(max(u.population), 0)",
    "sum": "coalesce(sum(f.{attribute}), 0)",
    "mean": "avg(f.{attribute})",
    # Lines are clipped to the unit only when they cross its boundary.
    "length_km": """coalesce(sum(ST_Length(geography(
        CASE WHEN ST_CoveredBy(f.geom, u.geom) THEN f.geom ELSE ST_Intersection(f.geom, u.geom) END))), 0) / 1000""",
    # Union first, so that overlapping polygons are not counted twice.
    "area_share": """least(1.0, coalesce(ST_Area(geography(ST_Union(ST_Intersection(f.geom, u.geom))))
        / nullif(ST_Area(geography(max(u.geom))), 0), 0))""",
}

# The origin of a unit: its centroid, or the population-weighted mean of its children's
# interior points (falling back to the centroid for units without populated children).
_ORIGINS = {
    "centroid": "ST_Centroid(u.geom)",
    "population_weighted": """coalesce((
        SELECT ST_SetSRID(ST_MakePoint(
                   sum(ST_X(ST_PointOnSurface(c.geom)) * c.population) / nullif(sum(c.population), 0),
                   sum(ST_Y(ST_PointOnSurface(c.geom)) * c.population) / nullif(sum(c.population), 0)), 4326)
        FROM admin_unit c WHERE c.parent_id = u.id AND c.valid_to IS NULL AND c.population > 0),
        ST_Centroid(u.geom))""",
}

#: Features measured on the ellipsoid for a nearest distance: the nearest by planar distance.
NEAREST_CANDIDATES = 8

# The current units of the level with their origin ``pt``.
_UNIT_ORIGINS = "(SELECT u.id, {origin} AS pt FROM admin_unit u WHERE {units}) o"

# KNN on the GiST index finds candidates in planar degrees (the features tied with the last
# one too, so that the rule does not depend on the index's order); the geodesic minimum over
# them gives the nearest on the ellipsoid. The Dask engine applies the same rule.
_NEAREST_SQL = """(SELECT min(ST_Distance(geography(o.pt), geography(k.geom)))
        FROM (SELECT f.geom FROM {table} f ORDER BY f.geom <-> o.pt
              FETCH FIRST """ + str(NEAREST_CANDIDATES) + """ ROWS WITH TIES) k) / 1000"""
_DISTANCE_SQL = "SELECT o.id, " + _NEAREST_SQL + " FROM " + _UNIT_ORIGINS

# The origins of the units, for the Dask engine's workers.
_ORIGIN_POINTS_SQL = "SELECT o.id, ST_X(o.pt), ST_Y(o.pt) FROM " + _UNIT_ORIGINS


def _sql(session: Session, template: str, **parts: sql.Composable) -> str:
    """Format identifiers into ``template`` with psycopg quoting (never by hand)."""
    raw = driver_connection(session)
    return sql.SQL(template).format(**parts).as_string(raw)


def derive_indicator(
    session: Session, layer: str, level: str, method: str, *, code: str, period: str,
    attribute: str | None = None, stat: str | None = None, origin: str = "centroid",
    name_fa: str | None = None, name_en: str | None = None, domain: str = "capacity",
    direction: str = "higher_is_better", synthetic: bool = False,
    engine: str = "auto", partitions: int | None = None, spatial_shuffle: bool = False, watch: Watch | None = None,
) -> dict[str, Any]:
    """Derive indicator ``code`` for every unit at ``level`` from ``layer`` by ``method``.

    Methods: ``count``, ``per_1000`` (features per 1,000 people), ``sum`` / ``mean`` of
    a numeric ``attribute``, ``length_km`` of lines, ``area_share`` covered by polygons,
    ``distance_km`` to the nearest feature from each unit's ``origin`` (``centroid``
    or ``population_weighted``), and ``zonal`` raster statistics (``stat``: mean, sum,
    min, max, count, majority). The indicator is created or updated; its values for
    ``period`` are replaced, then rolled up.

    The point methods of a point layer run on a Dask cluster (:mod:`spatial.analytics.overlay_dask`)
    with ``engine="dask"``, or with ``"auto"`` past ``PISHRAFT_DASK_THRESHOLD`` features (so do
    nearest distances of a point layer, and lengths and area shares), and
    so do zonal statistics with ``engine="dask"`` (the zones shared out between workers), in
    ``partitions`` partitions (``spatial_shuffle``: shuffled into spatial ones first),
    followed by ``watch``; the values are the same. Whatever
    fails, nothing is written: the values are written at the end, in the caller's transaction.
    """
    check_level(level)
    period = period_key(period)
    if method not in METHODS:
        raise InvalidInput(f"Unknown method '{method}'; use one of: {', '.join(METHODS)}.", reason="not_in_list", field="method")
    if engine not in ENGINES:
        raise InvalidInput(f"Unknown engine '{engine}'; use one of: {', '.join(ENGINES)}.", reason="not_in_list",
                           field="engine")
    info = get_layer(session, layer, field="layer")
    recipe: dict[str, Any] = {"layer": layer, "method": method, "level": level}
    if method == "zonal":
        if info.storage != "raster":
            raise InvalidInput(f"Layer '{layer}' is a vector layer; zonal statistics need a raster.", reason="derive_needs_raster", field="method")
        if stat not in ZONAL_STATS:
            raise InvalidInput(f"Zonal statistics need stat, one of: {', '.join(ZONAL_STATS)}.", reason="required", field="stat")
        recipe["stat"] = stat
    else:
        if info.storage != "vector" or not info.table_name:
            raise InvalidInput(f"Layer '{layer}' is a raster; use method 'zonal'.", reason="derive_needs_zonal", field="method")
        _check_vector(session, info, method, attribute, origin)
        recipe.update({"attribute": attribute} if method in ("sum", "mean") else {})
        recipe.update({"origin": origin} if method == "distance_km" else {})
    on_cluster = _on_cluster(info, method, engine)
    rollup = ROLLUP.get(method) or ("sum" if stat in ("sum", "count") else "weighted_mean")
    indicator_id = define_indicator(session, {
        "code": code, "name_fa": name_fa or code, "name_en": name_en or code, "domain": domain,
        "direction": direction, "rollup": rollup, "source": _source(info.title or layer, method, "fa"),
        "unit_of_measure": UNITS_OF_MEASURE.get(method, ""),
        "meta": {"derived": recipe, "source_en": _source(layer, method, "en")},
    }, synthetic=synthetic)
    session.execute(text("DELETE FROM indicator_value WHERE indicator_id = :id AND period = :period"),
                    {"id": indicator_id, "period": period})
    params = {"indicator_id": indicator_id, "period": period, "level": level}
    if method == "zonal":
        _zonal(session, info, level, str(stat), params, on_cluster, partitions, watch)
    elif method in POINT_METHODS and _holds_points(info):
        if on_cluster:
            unit_ids, values = _point_values_on_cluster(session, info, level, method, attribute, partitions,
                                                         spatial_shuffle, watch)
        else:
            unit_ids, values = _point_values(session, info, level, method, attribute)
        insert_values(session, params, unit_ids, values)
    elif on_cluster and method == "distance_km":
        unit_ids, values = _nearest_on_cluster(session, info, level, origin, partitions, watch)
        insert_values(session, params, unit_ids, values)
    elif on_cluster:
        unit_ids, values = _measure_values_on_cluster(session, info, level, method, partitions, watch)
        insert_values(session, params, unit_ids, values)
    else:
        table = sql.Identifier("layers", str(info.table_name))
        if method == "distance_km":
            statement = _sql(session, _DISTANCE_SQL, table=table, origin=sql.SQL(_ORIGINS[origin]),
                             units=sql.SQL(_UNITS_AT_LEVEL))
        else:
            expression = sql.SQL(_EXPRESSIONS[method]).format(
                attribute=sql.Identifier(attribute) if attribute else sql.SQL(""))
            statement = _sql(session, _AGGREGATE_SQL, table=table, expression=expression,
                             units=sql.SQL(_UNITS_AT_LEVEL))
        rows = session.execute(text(statement), params).all()
        insert_values(session, params, np.array([r[0] for r in rows]), np.array([r[1] for r in rows], dtype=float))
    if synthetic:
        session.execute(text("UPDATE indicator_value SET synthetic = true WHERE indicator_id = :id AND period = :p"),
                        {"id": indicator_id, "p": period})
    roll_up(session, code, period, replace=True)
    counts = session.execute(
        text("""SELECT count(*) AS units, count(v.value) AS with_value FROM indicator_value v
                JOIN admin_unit u ON u.id = v.unit_id WHERE v.indicator_id = :id AND v.period = :p
                AND u.level = :level"""),
        {"id": indicator_id, "p": period, "level": level},
    ).mappings().one()
    return {"indicator": code, "period": period, **recipe, "rollup": rollup, **dict(counts)}


def runs_on_cluster(session: Session, layer: str, method: str, engine: str = "auto") -> bool:
    """Whether :func:`derive_indicator` of ``method`` from ``layer`` with ``engine`` runs on a Dask cluster
    (a page then runs it as a background job, :mod:`spatial.analytics.jobs`)."""
    return _on_cluster(get_layer(session, layer, field="layer"), method, engine)


def _on_cluster(info: Layer, method: str, engine: str) -> bool:
    """Whether the derivation of ``method`` from ``info`` runs on a Dask cluster (see ``engine``).

    Point methods and nearest distances of point layers, lengths and area shares go there past
    ``PISHRAFT_DASK_THRESHOLD`` features; zonal statistics when asked (``engine="dask"``; the
    workers must read the raster file).
    """
    vector = (method in (*POINT_METHODS, "distance_km") and _holds_points(info)) or method in MEASURES
    if engine == "dask" and not (vector or method == "zonal"):
        raise InvalidInput(f"Method '{method}' of layer '{info.slug}' runs in process only; the Dask engine "
                           f"derives {', '.join(POINT_METHODS)} and distance_km of point layers, "
                           f"{', '.join(MEASURES)} and zonal statistics.", field="engine")
    return engine == "dask" or (engine == "auto" and vector
                                and (info.feature_count or 0) > get_settings().dask_threshold)


def _point_values_on_cluster(session: Session, info: Layer, level: str, method: str, attribute: str | None,
                             partitions: int | None, spatial_shuffle: bool,
                             watch: Watch | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_point_values` computed on a Dask cluster, the layer read by the workers in key ranges.

    The workers read what is committed: the layer, not this transaction's changes to it.
    """
    from spatial.analytics.overlay_dask import cluster_tallies, dask_client

    attribute = attribute if method in ("sum", "mean") else None
    source = _features_by_key_range(session, info, attribute, partitions)
    units = units_frame(session, level)
    with dask_client() as client:
        tallies = cluster_tallies(client, source, units.geometry.to_numpy(), partitions=partitions,
                                  spatial_shuffle=spatial_shuffle, watch=watch)
    return units["unit_id"].to_numpy(), values_of_tallies(method, tallies, units["population"].to_numpy(dtype=float))


def _measure_values_on_cluster(session: Session, info: Layer, level: str, method: str, partitions: int | None,
                               watch: Watch | None) -> tuple[np.ndarray, np.ndarray]:
    """Unit ids of ``level`` and their ``length_km`` or ``area_share`` of a line or polygon layer,
    measured on a Dask cluster (:func:`~spatial.analytics.overlay_dask.cluster_measures`), the layer
    read by the workers in key ranges; the values of this module's SQL."""
    from spatial.analytics.overlay_dask import cluster_measures, dask_client

    source = _features_by_key_range(session, info, None, partitions)
    units = units_frame(session, level)
    with dask_client() as client:
        values = cluster_measures(client, source, units.geometry.to_numpy(), method, watch=watch)
    return units["unit_id"].to_numpy(), values


def _nearest_on_cluster(session: Session, info: Layer, level: str, origin: str, partitions: int | None,
                        watch: Watch | None) -> tuple[np.ndarray, np.ndarray]:
    """Unit ids of ``level`` and their ``distance_km`` from ``origin`` to the nearest feature of a point
    layer, on a Dask cluster (:func:`~spatial.analytics.overlay_dask.cluster_nearest`, the rule of
    ``_DISTANCE_SQL``), the layer read by the workers in key ranges. The origins are PostGIS's own."""
    from spatial.analytics.overlay_dask import cluster_nearest, dask_client

    source = _features_by_key_range(session, info, None, partitions)
    rows = session.execute(text(_sql(session, _ORIGIN_POINTS_SQL, origin=sql.SQL(_ORIGINS[origin]),
                                     units=sql.SQL(_UNITS_AT_LEVEL))), {"level": level}).all()
    origins = np.array([(r[1], r[2]) for r in rows], dtype=float).reshape(-1, 2)
    with dask_client() as client:
        values = cluster_nearest(client, source, origins, NEAREST_CANDIDATES, watch=watch)
    return np.array([r[0] for r in rows], dtype=np.int64), values


def _features_by_key_range(session: Session, info: Layer, attribute: str | None,
                           partitions: int | None) -> PostgisFeatures:
    """The vector layer ``info`` as the Dask workers read it: by ranges of its key ``fid``,
    with ``attribute`` as a float if given."""
    from spatial.analytics.overlay_dask import PostgisFeatures, key_ranges

    table = sql.Identifier("layers", str(info.table_name))
    low, high = session.execute(text(_sql(session, "SELECT min(fid), max(fid) FROM {t}", t=table))).one()
    statement = _sql(session, _KEY_RANGE_SQL, table=table, attribute=sql.SQL("CAST(f.{} AS float8)").format(
        sql.Identifier(attribute)) if attribute else sql.SQL("NULL"))
    url = database_url().replace("postgresql+psycopg://", "postgresql://")
    return PostgisFeatures(url, statement, key_ranges(low, high, info.feature_count or 0, partitions), attribute)


def _check_vector(session: Session, info: Layer, method: str, attribute: str | None, origin: str) -> None:
    exists = session.execute(
        text("SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'layers' AND tablename = :t)"),
        {"t": info.table_name},
    ).scalar()
    if not exists:
        raise NotFound(f"Layer '{info.slug}' has no table layers.{info.table_name}; re-ingest it.", reason="layer_has_no_table", field="layer")
    empty = session.execute(text(_sql(session, "SELECT NOT EXISTS (SELECT 1 FROM {t})",
                                      t=sql.Identifier("layers", str(info.table_name))))).scalar()
    if empty:
        raise InvalidInput(f"Layer '{info.slug}' has no features; there is nothing to derive from.", reason="derive_no_features", field="layer")
    kind = (info.geometry_type or "").upper()
    wanted = {"length_km": "LINE", "area_share": "POLYGON"}.get(method)
    if wanted and wanted not in kind:
        raise InvalidInput(f"Method '{method}' needs a {wanted.lower()} layer; '{info.slug}' holds {kind or 'unknown'}.",
                           reason="derive_wrong_geometry", field="method")
    if method in ("sum", "mean"):
        columns = {c["name"]: c for c in info.columns}
        if attribute not in columns:
            raise InvalidInput(f"Method '{method}' needs an attribute of layer '{info.slug}': one of "
                               f"{', '.join(columns) or 'none'}.", reason="derive_needs_attribute", columns=", ".join(columns) or "—", field="attribute")
        if columns[attribute]["type"] not in NUMERIC_TYPES:
            raise InvalidInput(f"Attribute '{attribute}' is {columns[attribute]['type']}, not a number.",
                               reason="derive_attribute_not_number", field="attribute")
    if method == "distance_km" and origin not in ORIGINS:
        raise InvalidInput(f"Unknown origin '{origin}'; use one of: {', '.join(ORIGINS)}.", reason="not_in_list", field="origin")


def _source(layer: str, method: str, lang: str) -> str:
    """A derived indicator's source in words: the layer (by its title in Persian) and the method."""
    return t("indicator.source_derived", lang, layer=layer, method=t(f"derive.method.{method}", lang))


def point_values(session: Session, layer: str, level: str, method: str = "count",
                 attribute: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`derive_indicator` would write for point layer ``layer``, without writing it.

    Returns the ids of the current units of ``level`` and their ``method`` value (count,
    per_1000, sum or mean of ``attribute``). For previews, and for the benchmark, which
    compares exactly this work with a geopandas spatial join.

    Examples
    --------
    >>> unit_ids, counts = point_values(session, "schools", "county")  # doctest: +SKIP
    """
    check_level(level)
    info = get_layer(session, layer, field="layer")
    if method not in POINT_METHODS or not _holds_points(info):
        raise InvalidInput(f"Previews cover the methods {', '.join(POINT_METHODS)} of point layers; "
                           f"use derive_indicator for '{method}' on '{layer}'.", reason="derive_preview_points_only", field="method")
    _check_vector(session, info, method, attribute, "centroid")
    return _point_values(session, info, level, method, attribute)


def _holds_points(info: Layer) -> bool:
    return (info.geometry_type or "").upper() in ("POINT", "MULTIPOINT")


def _point_values(session: Session, info: Layer, level: str, method: str,
                  attribute: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Unit ids of ``level`` and their ``method`` value (count, per_1000, sum, mean) of a point layer,
    computed in this process: the whole layer read at once, then :func:`point_tallies`."""
    attribute = attribute if method in ("sum", "mean") else None
    unit_rows = fetch_units(session, level)()
    fetch_points = binary_fetch(session, _points_statement(session, info, attribute))
    with ThreadPoolExecutor(max_workers=1) as pool:
        point_rows = pool.submit(fetch_points)  # the server reads the layer in that thread…
        units = frame_of_units(unit_rows)  # …while the units' polygons are parsed here
        xy, feature, values = _points_of_rows(point_rows.result(), attribute)
    tallies = point_tallies(xy, feature, values, units.geometry.to_numpy(), workers=WORKERS)
    return units["unit_id"].to_numpy(), values_of_tallies(method, tallies, units["population"].to_numpy(dtype=float))


def _points_statement(session: Session, info: Layer, attribute: str | None) -> str:
    """The query reading a point layer in rows of ``_POINTS_SQL``, with ``attribute`` if any."""
    return _sql(session, _POINTS_SQL, table=sql.Identifier("layers", str(info.table_name)),
                attribute=sql.SQL(", array_agg(CAST(f.{} AS float8))").format(sql.Identifier(attribute))
                if attribute else sql.SQL(""))


def _points_of_rows(rows: list[tuple[Any, ...]],
                    attribute: str | None) -> tuple[np.ndarray, np.ndarray, pa.ChunkedArray | None]:
    """The points of a point layer read by :func:`_points_statement`: ``(xy, feature, values)``.

    ``feature`` numbers the feature of each point (0, 1, …); ``values`` holds each
    feature's ``attribute`` as float (nulls kept), or is None without an attribute.
    """
    xy, feature, first = [np.zeros((0, 2))], [np.zeros(0, dtype=np.int64)], 0
    for count, wkb, *_ in rows:
        row_xy, row_feature = multipoint_coordinates(wkb, count)
        xy.append(row_xy)
        feature.append(row_feature + first)
        first += count
    values = pa.chunked_array([pa.array(row[2], type=pa.float64()) for row in rows], type=pa.float64()) \
        if attribute else None
    return np.concatenate(xy), np.concatenate(feature), values


def zonal_statistics(raster: Path | str, zones: gpd.GeoDataFrame, stat: str) -> np.ndarray:
    """``stat`` of the raster's first band within each zone, cells weighted by exact coverage.

    Zones are reprojected to the raster's CRS when they differ; zones off the raster get NaN.
    """
    # GDAL decodes the blocks of a whole-raster read in as many threads.
    with rasterio.open(raster, num_threads=WORKERS) as src:
        if src.crs is not None and zones.crs is not None and not zones.crs.equals(src.crs):
            zones = zones.to_crs(src.crs)
        if not _fits_in_memory(src):
            return _extract(str(raster), zones, stat)
        source = _raster_in_memory(src)
    return _extract_in_processes(source, zones, stat)


def _extract(source: NumPyRasterSource | str, zones: gpd.GeoDataFrame, stat: str) -> np.ndarray:
    result = exact_extract(source, _ZoneSource(zones), [stat], output="pandas")
    return result[stat].to_numpy(dtype=float)


#: The work of forked zonal-statistics processes, left here for them to inherit.
_forked_job: tuple[NumPyRasterSource, gpd.GeoDataFrame, str] | None = None


def _extract_in_processes(source: NumPyRasterSource, zones: gpd.GeoDataFrame, stat: str) -> np.ndarray:
    """:func:`_extract` over an in-memory raster, the zones shared out between forked processes.

    exactextract holds the GIL while it computes, so threads do not help, but processes
    forked with the raster already in memory do. A process forks only while it runs no
    other thread (``pishraft indicators derive``, benchmarks): a fork copies the locks
    other threads may hold, and a child could wait on one of them forever. So the API server, with its
    thread pool, computes in one process.
    """
    global _forked_job
    processes = min(WORKERS, len(zones) // PARALLEL_MIN_ZONES)
    if processes < 2 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _extract(source, zones, stat)
    _forked_job = (source, zones, stat)
    try:
        ends = np.linspace(0, len(zones), processes + 1).astype(int)
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_forked_extract, ends[:-1], ends[1:]))
    finally:
        _forked_job = None
    return np.concatenate(parts)


def _forked_extract(start: int, stop: int) -> np.ndarray:
    """In a forked process: :func:`_extract` of the inherited job's zones ``start:stop``."""
    assert _forked_job is not None
    source, zones, stat = _forked_job
    return _extract(source, zones.iloc[start:stop], stat)


def _fits_in_memory(src: rasterio.DatasetReader) -> bool:
    """Whether the first band is small enough to read whole and is read as stored.

    That is: no scale or offset to apply, and no mask but its nodata value (exactextract's
    array source takes a nodata value; it ignores the mask of a masked array).
    """
    plain_mask = set(src.mask_flag_enums[0]) <= {MaskFlags.all_valid, MaskFlags.nodata}
    return (src.width * src.height <= IN_MEMORY_CELLS and src.scales[0] == 1 and src.offsets[0] == 0
            and plain_mask)


def _raster_in_memory(src: rasterio.DatasetReader) -> NumPyRasterSource:
    """The first band as an exactextract source over an array.

    exactextract then slices the array for each zone instead of asking rasterio for a
    window (a masked read through Python) each time: about a fifth faster on many zones.
    """
    nodata = src.nodata
    if nodata is not None and not np.issubdtype(np.dtype(src.dtypes[0]), np.floating):
        nodata = int(nodata)  # as exactextract's rasterio source passes it
    left, bottom, right, top = src.bounds
    return NumPyRasterSource(src.read(1), left, bottom, right, top, nodata=nodata,
                             srs_wkt=src.crs.wkt if src.crs else None)


class _Zone(Feature):
    """A zone handed to exactextract as WKB, which it parses in C++."""

    def __init__(self, wkb: bytes) -> None:
        Feature.__init__(self)
        self.wkb = wkb

    def geometry(self) -> bytes:
        return self.wkb

    def fields(self) -> list[str]:
        return []


class _ZoneSource(FeatureSource):
    """Zones for exactextract as WKB: its GeoPandas source writes each one out as GeoJSON text."""

    def __init__(self, zones: gpd.GeoDataFrame) -> None:
        super().__init__()
        self.wkb = shapely.to_wkb(zones.geometry.to_numpy()).tolist()
        self.crs = zones.crs.to_wkt() if zones.crs is not None else None

    def count(self) -> int:
        return len(self.wkb)

    def __iter__(self) -> Iterator[_Zone]:
        return (_Zone(wkb) for wkb in self.wkb)

    def srs_wkt(self) -> str | None:
        return self.crs


def _zonal(session: Session, info: Layer, level: str, stat: str, params: dict[str, Any], on_cluster: bool,
           partitions: int | None, watch: Watch | None) -> None:
    zones = units_frame(session, level)
    raster = raster_file(info.slug, info.raster_path)
    if on_cluster:
        from spatial.analytics.overlay_dask import cluster_zonal, dask_client

        with dask_client() as client:
            values = cluster_zonal(client, zonal_statistics, str(raster), zones, stat, partitions=partitions,
                                   watch=watch)
    else:
        values = zonal_statistics(raster, zones, stat)
    insert_values(session, params, zones["unit_id"].to_numpy(), values)


def insert_values(session: Session, params: dict[str, Any], unit_ids: np.ndarray, values: np.ndarray) -> None:
    """Write one derived value per unit (non-finite values become missing)."""
    session.execute(
        text("""INSERT INTO indicator_value (indicator_id, unit_id, period, value)
                SELECT :indicator_id, u, :period, v
                FROM unnest(CAST(:units AS integer[]), CAST(:vals AS float8[])) AS t(u, v)"""),
        {**params, "units": _array_literal(unit_ids), "vals": _array_literal(values)},
    )


def _array_literal(numbers: np.ndarray) -> str:
    """A PostgreSQL array literal of ``numbers``, non-finite ones as NULL.

    numpy formats the whole array at once (shortest round-tripping text for floats);
    psycopg would adapt a list of tens of thousands of numbers one element at a time.
    """
    numbers = np.asarray(numbers)
    text_values = numbers.astype(str)
    if numbers.dtype.kind == "f":
        text_values = np.where(np.isfinite(numbers), text_values, "NULL")
    return "{" + ",".join(text_values.tolist()) + "}"
