"""Overlays on a Dask cluster give the values of the in-process engine (points, lengths, areas, nearest distances).

The clusters are started by the tests: threads in this process for the property tests
(quick on two cores), worker processes for the derivations, one of which is killed mid-run.
"""

from __future__ import annotations

import itertools
import os
import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from distributed import Client, Future, LocalCluster
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql as psql
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.overlay import derive_indicator
from spatial.analytics.overlay_dask import (
    WGS84, GeoParquetFeatures, cluster_measures, cluster_nearest, cluster_tallies, key_ranges,
)
from spatial.analytics.tallies import point_tallies, values_of_tallies
from spatial.db.engine import session_scope
from spatial.settings import get_settings
from tests.analytics.conftest import neighbourhoods_of, write_vector_layer

COUNTY = "IR-15-01"
POINT_METHODS = ("count", "per_1000", "sum", "mean")


@pytest.fixture(scope="module")
def threads() -> Iterator[Client]:
    """A cluster of two threaded workers in this process."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as cluster, \
            Client(cluster) as client:
        yield client


# ------------------------------------------------------------------ property: same tallies

#: Grid lines on multiples of 0.5, so that points drawn on them lie exactly on shared edges.
LINES = st.lists(st.integers(1, 19), max_size=4, unique=True).map(lambda v: [0.0, *sorted(x / 2 for x in v), 10.0])
COORD = st.floats(-0.5, 10.5, allow_nan=False)


@st.composite
def layouts(draw: st.DrawFn) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """Polygons (a grid of boxes sharing edges, and maybe a triangle overlapping them) and point
    features (one to three points each, some on edges and corners, with a value or none)."""
    xs, ys = draw(LINES), draw(LINES)
    polygons = [shapely.box(x0, y0, x1, y1) for x0, x1 in itertools.pairwise(xs) for y0, y1 in itertools.pairwise(ys)]
    if draw(st.booleans()):
        polygons.append(shapely.Polygon([(1, 1), (9, 2), (4, 9)]))
    point = st.one_of(st.tuples(COORD, COORD),                      # anywhere, also outside every polygon
                      st.tuples(st.sampled_from(xs), COORD),        # on a vertical edge
                      st.tuples(COORD, st.sampled_from(ys)),        # on a horizontal edge
                      st.tuples(st.sampled_from(xs), st.sampled_from(ys)))  # on a corner
    features = draw(st.lists(st.lists(point, min_size=1, max_size=3), min_size=1, max_size=80))
    values = draw(st.lists(st.one_of(st.none(), st.integers(0, 1000)), min_size=len(features),
                           max_size=len(features)))
    frame = gpd.GeoDataFrame({"beds": [np.nan if v is None else float(v) for v in values]},
                             geometry=[shapely.MultiPoint(f) for f in features], crs=4326)
    return np.array(polygons), frame


def in_process(polygons: np.ndarray, frame: gpd.GeoDataFrame) -> np.ndarray:
    xy, feature = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    return point_tallies(xy, feature, frame["beds"].to_numpy(), polygons, workers=2)


@pytest.mark.parametrize("partitions", [1, 4])
@pytest.mark.parametrize("shuffle", [False, True], ids=["row groups", "spatial shuffle"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=layouts())
def test_the_cluster_tallies_equal_the_in_process_tallies(threads: Client, tmp_path: Path, partitions: int,
                                                          shuffle: bool,
                                                          layout: tuple[np.ndarray, gpd.GeoDataFrame]) -> None:
    polygons, frame = layout
    path = tmp_path / f"points-{uuid.uuid4().hex}.parquet"  # a new name per example (see the nearest test)
    frame.to_parquet(path, row_group_size=max(1, -(-len(frame) // partitions)))  # a partition a row group
    expected = in_process(polygons, frame)
    found = cluster_tallies(threads, GeoParquetFeatures(str(path), "beds"), polygons, partitions=partitions,
                            spatial_shuffle=shuffle)
    population = np.arange(len(polygons), dtype=float) * 10  # the first unit has none: its rate is missing
    for method in POINT_METHODS:
        # Counts and sums of whole numbers are exact; a mean is a sum over a count.
        np.testing.assert_array_equal(values_of_tallies(method, found, population),
                                      values_of_tallies(method, expected, population), err_msg=method)


def test_key_ranges_cover_every_key_once() -> None:
    ranges = key_ranges(1, 1_000, 1_000, partitions=3)
    assert ranges[0][0] == 1 and ranges[-1][1] == 1_001
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False)) and len(ranges) == 3
    assert key_ranges(5, 5, 1) == [(5, 6)]


# ------------------------------------------------------------------ derivations on a cluster of processes

@pytest.fixture(scope="module")
def processes(database_url: str) -> Iterator[Client]:
    """Two single-threaded worker processes, and Pishraft pointed at them (PISHRAFT_DASK_SCHEDULER)."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0") as cluster, \
            Client(cluster) as client:
        os.environ["PISHRAFT_DASK_SCHEDULER"] = cluster.scheduler_address
        get_settings.cache_clear()
        try:
            yield client
        finally:
            del os.environ["PISHRAFT_DASK_SCHEDULER"]
            get_settings.cache_clear()


@pytest.fixture(scope="module")
def clinics(database_url: str) -> Iterator[str]:
    """A committed point layer (workers read what is committed) over the neighbourhoods of COUNTY:
    points inside them, and points on their shared edges and corners; removed afterwards."""
    rng = np.random.default_rng(11)
    with session_scope() as session:
        hoods = neighbourhoods_of(session, COUNTY)
        minx, miny, maxx, maxy = hoods.total_bounds
        inside = rng.uniform((minx, miny), (maxx, maxy), (3_000, 2))
        corners = shapely.get_coordinates(hoods.geometry.boundary.to_numpy())[::3]
        xy = np.concatenate([inside, corners])
        beds = rng.integers(0, 40, len(xy)).astype(float)
        beds[::7] = np.nan
        write_vector_layer(session, "dask_clinics", gpd.GeoDataFrame({"beds": beds}, geometry=shapely.points(xy),
                                                                     crs=4326))
    yield "dask_clinics"
    with session_scope() as session:
        session.execute(text("DELETE FROM indicator WHERE code LIKE 'dask\\_%'"))
        session.execute(text("DELETE FROM derivation_job WHERE code LIKE 'dask\\_%'"))
        session.execute(text("DELETE FROM layer WHERE slug = 'dask_clinics'"))
        session.execute(text("DROP TABLE layers.dask_clinics"))


def _written(code: str) -> dict[int, float | None]:
    with session_scope() as session:
        return dict(session.execute(text(
            """SELECT v.unit_id, v.value FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id
               WHERE i.code = :code AND v.period = '2024'"""), {"code": code}).all())


@pytest.mark.slow
@pytest.mark.parametrize("method", POINT_METHODS)
def test_a_derivation_on_a_local_cluster_writes_what_the_process_writes(processes: Client, clinics: str,
                                                                        method: str) -> None:
    attribute = "beds" if method in ("sum", "mean") else None
    for engine in ("process", "dask"):
        with session_scope() as session:
            derive_indicator(session, clinics, "neighbourhood", method, code=f"dask_{engine}_{method}",
                             period="2024", attribute=attribute, engine=engine, partitions=3,
                             spatial_shuffle=method == "mean")
    in_process, on_cluster = _written(f"dask_process_{method}"), _written(f"dask_dask_{method}")
    assert on_cluster == in_process and any(v for v in on_cluster.values())


@pytest.mark.slow
def test_zonal_statistics_on_a_local_cluster_equal_the_in_process_ones(processes: Client, session: Session,
                                                                       raster_layer: Callable[..., Path]) -> None:
    """The zones are shared out between the workers, each reading the raster file itself."""
    hoods = neighbourhoods_of(session, COUNTY)
    minx, miny, maxx, maxy = hoods.total_bounds
    cell = 0.01
    cols, rows = int((maxx - minx) / cell) + 3, int((maxy - miny) / cell) + 3
    array = (np.arange(rows * cols, dtype="float32").reshape(rows, cols) * 7.3) % 101
    raster_layer("dask_elevation", array, minx - cell, maxy + cell, cell, nodata=-9999)
    found = {}
    for engine in ("process", "dask"):
        derive_indicator(session, "dask_elevation", "neighbourhood", "zonal", code=f"dask_elev_{engine}",
                         period="2024", stat="mean", engine=engine, partitions=3)
        found[engine] = dict(session.execute(text(
            """SELECT v.unit_id, v.value FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id
               WHERE i.code = :code"""), {"code": f"dask_elev_{engine}"}).all())
    assert found["dask"] == found["process"] and any(v is not None for v in found["dask"].values())


class KillAWorker:
    """Kills one worker process with SIGKILL as soon as the first partition is tallied."""

    def __init__(self) -> None:
        self.killed: int | None = None

    def started(self, client: Client, futures: list[Future]) -> None:
        self.client = client

    def advanced(self, done: int, total: int) -> None:
        if self.killed is None and done < total:
            pids = self.client.run(os.getpid)
            self.killed = pids[sorted(pids)[0]]
            os.kill(self.killed, signal.SIGKILL)


@pytest.mark.slow
def test_a_worker_killed_mid_run_gives_the_right_values_or_a_clean_failure(processes: Client, clinics: str) -> None:
    with session_scope() as session:
        derive_indicator(session, clinics, "neighbourhood", "sum", code="dask_beds_process", period="2024",
                         attribute="beds", engine="process")
    watch = KillAWorker()
    try:
        with session_scope() as session:
            derive_indicator(session, clinics, "neighbourhood", "sum", code="dask_beds_killed", period="2024",
                             attribute="beds", engine="dask", partitions=6, watch=watch)
    except Exception:  # a clean failure is allowed; then nothing may be written
        assert _written("dask_beds_killed") == {}
    else:
        assert _written("dask_beds_killed") == _written("dask_beds_process")
    assert watch.killed is not None
    processes.wait_for_workers(2, timeout=60)  # the nanny starts a new worker in its place


class Cancel:
    """Cancels the derivation after the first partition, as the analyst's cancel button does."""

    def started(self, client: Client, futures: list[Future]) -> None:
        pass

    def advanced(self, done: int, total: int) -> None:
        raise KeyboardInterrupt


@pytest.mark.slow
def test_a_cancelled_derivation_writes_nothing(processes: Client, clinics: str) -> None:
    with pytest.raises(KeyboardInterrupt), session_scope() as session:
        derive_indicator(session, clinics, "neighbourhood", "count", code="dask_cancelled", period="2024",
                         engine="dask", partitions=4, watch=Cancel())
    with session_scope() as session:
        assert session.execute(text("SELECT count(*) FROM indicator WHERE code = 'dask_cancelled'")).scalar() == 0


@pytest.mark.slow
def test_the_command_line_names_the_cluster_shows_progress_and_writes_the_values(
        processes: Client, clinics: str, roads_and_fields: tuple[str, str]) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    done = runner.invoke(app, ["indicators", "derive", clinics, "count", "--code", "dask_cli_count", "--period", "2024",
                               "--engine", "dask", "--partitions", "2"])
    assert done.exit_code == 0, done.output
    assert f"Dask cluster {processes.scheduler_info()['address']}" in done.output
    assert "100%" in done.output and "dask_cli_count:" in done.output
    with session_scope() as session:
        derive_indicator(session, clinics, "neighbourhood", "count", code="dask_cli_process", period="2024",
                         engine="process")
    assert _written("dask_cli_count") == _written("dask_cli_process")
    # Distances to lines run in process only.
    refused = runner.invoke(app, ["indicators", "derive", roads_and_fields[0], "distance_km", "--code", "dask_cli_km",
                                  "--period", "2024", "--engine", "dask"])
    assert refused.exit_code == 1 and "runs in process only" in " ".join(refused.output.split())


# ------------------------------------------------------------------ the analyst's page: a job with a progress bar

@pytest.fixture
def past_the_threshold() -> Iterator[None]:
    """Every point layer counts as large: ``auto`` derivations run on the cluster."""
    os.environ["PISHRAFT_DASK_THRESHOLD"] = "0"
    get_settings.cache_clear()
    yield
    del os.environ["PISHRAFT_DASK_THRESHOLD"]
    get_settings.cache_clear()


def _job_page(client: TestClient, job: str) -> str:
    page = client.get(job)
    assert page.status_code == 200
    return page.text


@pytest.mark.slow
@pytest.mark.usefixtures("past_the_threshold")
def test_the_derive_form_runs_a_large_layer_as_a_job_with_a_progress_bar(processes: Client, clinics: str,
                                                                         client: TestClient) -> None:
    import time

    sent = client.post("/indicators/derive", data={"layer": clinics, "level": "neighbourhood", "method": "count",
                                                   "code": "dask_page_count", "period": "2024"},
                       follow_redirects=False)
    assert sent.status_code == 303 and "/indicators/derive/jobs/" in sent.headers["location"]
    job = sent.headers["location"]
    deadline = time.monotonic() + 300
    while 'data-state="done"' not in (page := _job_page(client, job)):
        assert 'data-state="failed"' not in page and time.monotonic() < deadline, page
        assert "<progress" in page and 'http-equiv="refresh"' in page  # running: the bar, refreshed
        time.sleep(0.5)
    assert "<progress" not in page and 'http-equiv="refresh"' not in page
    with session_scope() as session:
        derive_indicator(session, clinics, "neighbourhood", "count", code="dask_page_process", period="2024",
                         engine="process")
    assert _written("dask_page_count") == _written("dask_page_process")


@pytest.mark.slow
def test_a_job_cancelled_from_its_page_writes_nothing(processes: Client, clinics: str,
                                                      client: TestClient) -> None:
    from spatial.analytics import jobs

    with session_scope() as session:
        job_id = jobs.start_job(session, "dask_page_cancelled", {
            "layer": clinics, "level": "neighbourhood", "method": "count", "code": "dask_page_cancelled",
            "period": "2024", "engine": "dask", "partitions": 3}, "local")
    page = f"/indicators/derive/jobs/{job_id}"
    assert 'data-testid="derive-job-cancel"' in _job_page(client, page)
    assert client.post(f"{page}/cancel", follow_redirects=False).status_code == 303
    assert 'data-testid="derive-job-cancel"' not in _job_page(client, page)  # asked: no second button
    jobs.run_job(job_id)  # what the background thread runs
    assert 'data-state="cancelled"' in _job_page(client, page)
    with session_scope() as session:
        assert session.execute(text("SELECT count(*) FROM indicator WHERE code = 'dask_page_cancelled'")).scalar() == 0
    assert client.get("/indicators/derive/jobs/999999").status_code == 404


# ------------------------------------------------------------------ lengths and area shares

#: The in-process engine's SQL of each measure, applied to the drawn polygons and features.
_MEASURE_SQL = """
WITH u AS (SELECT n AS id, ST_GeomFromWKB(g, 4326) AS geom FROM unnest(%(units)s::bytea[]) WITH ORDINALITY AS x(g, n)),
     f AS (SELECT n AS fid, ST_GeomFromWKB(g, 4326) AS geom FROM unnest(%(features)s::bytea[]) WITH ORDINALITY AS x(g, n))
SELECT {expression} FROM u LEFT JOIN f ON ST_Intersects(u.geom, f.geom) GROUP BY u.id ORDER BY u.id
"""


#: Coordinates in hundredths of a degree, as surveyed data has them: GEOS versions may part ways
#: on lines that nearly, but not exactly, fold back on themselves (1e-35 off).
HUNDREDTHS = st.integers(-50, 1050).map(lambda v: v / 100)


@st.composite
def measured_layouts(draw: st.DrawFn, method: str) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """The grid of :func:`layouts`, and lines (some along shared edges) or overlapping polygons."""
    xs, ys = draw(LINES), draw(LINES)
    polygons = [shapely.box(x0, y0, x1, y1) for x0, x1 in itertools.pairwise(xs) for y0, y1 in itertools.pairwise(ys)]
    if method == "length_km":
        vertex = st.one_of(st.tuples(HUNDREDTHS, HUNDREDTHS), st.tuples(st.sampled_from(xs), st.sampled_from(ys)))
        shapes = [shapely.LineString(v) for v in draw(st.lists(st.lists(vertex, min_size=2, max_size=4, unique=True),
                                                               min_size=1, max_size=40))]
    else:
        corner = st.tuples(HUNDREDTHS, HUNDREDTHS, st.floats(0.1, 4), st.floats(0.1, 4))
        shapes = [shapely.box(x, y, x + w, y + h) for x, y, w, h in draw(st.lists(corner, min_size=1, max_size=30))]
    return np.array(polygons), gpd.GeoDataFrame(geometry=shapes, crs=4326)


@pytest.mark.parametrize("partitions", [1, 4])
@pytest.mark.parametrize("method", ["length_km", "area_share"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_cluster_measures_equal_the_in_process_sql(threads: Client, session: Session, tmp_path: Path,
                                                       partitions: int, method: str, data: st.DataObject) -> None:
    from spatial.analytics.overlay import _EXPRESSIONS

    polygons, frame = data.draw(measured_layouts(method))
    path = tmp_path / f"{method}-{uuid.uuid4().hex}.parquet"  # a new name per example (see the nearest test)
    frame.to_parquet(path, row_group_size=max(1, -(-len(frame) // partitions)))
    raw = session.connection().connection.driver_connection
    statement = psql.SQL(_MEASURE_SQL).format(expression=psql.SQL(_EXPRESSIONS[method])).as_string(raw)
    expected = np.array([r[0] for r in raw.execute(statement, {
        "units": [shapely.to_wkb(p) for p in polygons],
        "features": [shapely.to_wkb(g) for g in frame.geometry]}).fetchall()], dtype=float)

    found = cluster_measures(threads, GeoParquetFeatures(str(path)), polygons, method)

    # Relative 1e-9 (pyproj's geodesics and PostGIS's agree to about 1e-15); absolute for slivers of nothing.
    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def roads_and_fields(database_url: str) -> Iterator[tuple[str, str]]:
    """Committed line and polygon layers over the neighbourhoods of COUNTY: roads across them and
    along their shared edges, and overlapping fields; removed afterwards."""
    rng = np.random.default_rng(12)
    with session_scope() as session:
        hoods = neighbourhoods_of(session, COUNTY)
        minx, miny, maxx, maxy = hoods.total_bounds
        ends = rng.uniform((minx, miny), (maxx, maxy), (400, 2, 2))
        edges = [shapely.LineString(shapely.get_coordinates(b)[:3]) for b in hoods.geometry.boundary]
        roads = [*shapely.linestrings(ends), *edges]
        corner = rng.uniform((minx, miny), (maxx, maxy), (300, 2))
        size = rng.uniform(0.005, 0.05, (300, 2))
        fields = shapely.box(corner[:, 0], corner[:, 1], corner[:, 0] + size[:, 0], corner[:, 1] + size[:, 1])
        write_vector_layer(session, "dask_roads", gpd.GeoDataFrame(geometry=roads, crs=4326))
        write_vector_layer(session, "dask_fields", gpd.GeoDataFrame(geometry=fields, crs=4326))
    yield "dask_roads", "dask_fields"
    with session_scope() as session:
        session.execute(text("DELETE FROM indicator WHERE code LIKE 'dask\\_%'"))
        session.execute(text("DELETE FROM layer WHERE slug IN ('dask_roads', 'dask_fields')"))
        session.execute(text("DROP TABLE layers.dask_roads, layers.dask_fields"))


@pytest.mark.slow
def test_lengths_and_area_shares_on_a_local_cluster_equal_the_in_process_ones(
        processes: Client, roads_and_fields: tuple[str, str]) -> None:
    for layer, method in zip(roads_and_fields, ("length_km", "area_share"), strict=True):
        for engine in ("process", "dask"):
            with session_scope() as session:
                derive_indicator(session, layer, "neighbourhood", method, code=f"dask_{engine}_{method}",
                                 period="2024", engine=engine, partitions=3)
        in_process, on_cluster = _written(f"dask_process_{method}"), _written(f"dask_dask_{method}")
        assert on_cluster.keys() == in_process.keys()
        units = sorted(in_process)
        np.testing.assert_allclose([on_cluster[u] for u in units], [in_process[u] for u in units],
                                   rtol=1e-9, atol=1e-12, err_msg=method)
        assert sum(1 for v in on_cluster.values() if v) > 10


# ------------------------------------------------------------------ nearest distances

#: The in-process engine's nearest-distance SQL, from the centroids of the drawn polygons to the drawn features.
_NEAREST_TEST_SQL = """
WITH f AS (SELECT ST_GeomFromWKB(g, 4326) AS geom FROM unnest(%(features)s::bytea[]) AS x(g)),
     o AS (SELECT n AS id, ST_Centroid(ST_GeomFromWKB(g, 4326)) AS pt
           FROM unnest(%(units)s::bytea[]) WITH ORDINALITY AS x(g, n))
SELECT ST_X(o.pt), ST_Y(o.pt), {nearest} FROM o ORDER BY o.id
"""

#: PostGIS rounds geography distances to 1e-8 m; the cluster's may land one such step apart.
ROUNDING_KM = 1e-11

#: The drawn grid is moved to 50°–60° E, 55°–65° N, where a degree of longitude is about half one
#: of latitude: the nearest feature on the ellipsoid is often not the nearest in planar degrees.
EAST, NORTH = 50.0, 55.0


def nearest_in_process(session: Session, polygons: np.ndarray,
                       features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The origins (PostGIS's centroids) of ``polygons`` and their distances by the module's own SQL."""
    from spatial.analytics.overlay import _NEAREST_SQL

    raw = session.connection().connection.driver_connection
    statement = psql.SQL(_NEAREST_TEST_SQL).format(
        nearest=psql.SQL(_NEAREST_SQL).format(table=psql.Identifier("f"))).as_string(raw)
    rows = raw.execute(statement, {"units": [shapely.to_wkb(p) for p in polygons],
                                   "features": [shapely.to_wkb(g) for g in features]}).fetchall()
    return np.array([r[:2] for r in rows], dtype=float), np.array([r[2] for r in rows], dtype=float)


@st.composite
def nearest_layouts(draw: st.DrawFn) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """The grid of :func:`layouts` and multipoint features: anywhere, on shared edges and corners, and
    rings of eight points around a unit's centre, all at one planar distance from it (exact ties),
    maybe with four nearer ones, so that the ring ties for the last candidates."""
    xs, ys = draw(LINES), draw(LINES)
    polygons = [shapely.box(EAST + x0, NORTH + y0, EAST + x1, NORTH + y1)
                for x0, x1 in itertools.pairwise(xs) for y0, y1 in itertools.pairwise(ys)]
    point = st.one_of(st.tuples(HUNDREDTHS, HUNDREDTHS), st.tuples(st.sampled_from(xs), HUNDREDTHS),
                      st.tuples(st.sampled_from(xs), st.sampled_from(ys)))
    shapes = [[(EAST + x, NORTH + y) for x, y in f]
              for f in draw(st.lists(st.lists(point, min_size=1, max_size=3), min_size=1, max_size=40))]
    centres = [shapely.get_coordinates(shapely.centroid(p))[0] for p in polygons]
    for (cx, cy), a, b, blocked in draw(st.lists(st.tuples(st.sampled_from(centres), st.integers(1, 64),
                                                           st.integers(1, 64), st.booleans()), max_size=3)):
        # Offsets in 64ths of a degree: exact, so every point of the ring is at exactly the same distance.
        shapes += [[(cx + sx * p / 64, cy + sy * q / 64)] for p, q in ((a, b), (b, a))
                   for sx in (-1, 1) for sy in (-1, 1)]
        if blocked:  # four features nearer in planar degrees (due north and south): the ring ties for 5th to 12th
            shapes += [[(cx, cy + sy * max(a, b) / 64)] for sy in (-1, 1, -1, 1)]
    return np.array(polygons), gpd.GeoDataFrame(geometry=[shapely.MultiPoint(f) for f in shapes], crs=4326)


@pytest.mark.parametrize("partitions", [1, 4])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=nearest_layouts())
def test_the_cluster_nearest_distances_equal_the_in_process_sql(threads: Client, session: Session, tmp_path: Path,
                                                                partitions: int,
                                                                layout: tuple[np.ndarray, gpd.GeoDataFrame]) -> None:
    from spatial.analytics.overlay import NEAREST_CANDIDATES

    polygons, frame = layout
    # A new name for each example: the cluster may still hold partitions read from an earlier file of the same name.
    path = tmp_path / f"nearest-{uuid.uuid4().hex}.parquet"
    frame.to_parquet(path, row_group_size=max(1, -(-len(frame) // partitions)))
    origins, expected = nearest_in_process(session, polygons, frame.geometry.to_numpy())

    found = cluster_nearest(threads, GeoParquetFeatures(str(path)), origins, NEAREST_CANDIDATES)

    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=ROUNDING_KM)


def test_every_feature_tied_with_the_last_candidate_is_measured(threads: Client, session: Session,
                                                                tmp_path: Path) -> None:
    """At 60° N: seven features 0.1° north of the centre are the planar nearest; four tie for the
    eighth place 0.125° away, and the one due east is the nearest on the ellipsoid (about 7 km, not 11)."""
    from spatial.analytics.overlay import NEAREST_CANDIDATES

    unit = shapely.box(49.5, 59.5, 50.5, 60.5)  # its centre (50, 60)
    north = [(50 + i / 256, 60.1) for i in range(-3, 4)]
    ring = [(50.125, 60), (49.875, 60), (50, 60.125), (50, 59.875)]
    frame = gpd.GeoDataFrame(geometry=[shapely.MultiPoint([p]) for p in [*north, *ring]], crs=4326)
    path = tmp_path / "tied.parquet"
    frame.to_parquet(path, row_group_size=4)
    origins, expected = nearest_in_process(session, np.array([unit]), frame.geometry.to_numpy())

    found = cluster_nearest(threads, GeoParquetFeatures(str(path)), origins, NEAREST_CANDIDATES)

    assert 6.9 < expected[0] < 7.0
    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=ROUNDING_KM)


def test_a_multipoint_is_measured_to_its_member_nearest_on_the_sphere(threads: Client, session: Session,
                                                                      tmp_path: Path) -> None:
    """As PostGIS's geography does: of two members about 11 km from (50, 60), the one due east is
    nearer on the sphere by a hair, farther on the ellipsoid by 13 m, and is the one measured."""
    from spatial.analytics.overlay import NEAREST_CANDIDATES

    east = (50.1999, 60.0)
    feature = shapely.MultiPoint([(50.0, 60.1), east])
    path = tmp_path / "members.parquet"
    gpd.GeoDataFrame(geometry=[feature], crs=4326).to_parquet(path)
    origins, expected = nearest_in_process(session, np.array([shapely.box(49.5, 59.5, 50.5, 60.5)]),
                                           np.array([feature]))

    found = cluster_nearest(threads, GeoParquetFeatures(str(path)), origins, NEAREST_CANDIDATES)

    assert expected[0] * 1000 == pytest.approx(WGS84.inv(50.0, 60.0, *east)[2], rel=1e-12)
    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=ROUNDING_KM)


@pytest.mark.slow
@pytest.mark.parametrize(("level", "origin"), [("neighbourhood", "centroid"), ("county", "population_weighted")])
def test_nearest_distances_on_a_local_cluster_equal_the_in_process_ones(processes: Client, clinics: str,
                                                                        level: str, origin: str) -> None:
    for engine in ("process", "dask"):
        with session_scope() as session:
            derive_indicator(session, clinics, level, "distance_km", code=f"dask_{engine}_km_{level}",
                             period="2024", origin=origin, engine=engine, partitions=3)
    in_process, on_cluster = _written(f"dask_process_km_{level}"), _written(f"dask_dask_km_{level}")
    assert on_cluster.keys() == in_process.keys()
    units = sorted(in_process)
    np.testing.assert_allclose([on_cluster[u] for u in units], [in_process[u] for u in units], rtol=1e-9,
                               atol=ROUNDING_KM)
    assert sum(1 for v in on_cluster.values() if v) > 10
