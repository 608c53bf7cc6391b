"""Overlay speed: Pishraft against the obvious alternatives, in one run.

1. Count 1,000,000 generated points into 50,000 generated neighbourhood polygons:
   Pishraft ``derive_indicator(..., "count")`` (reads the layer and the units from
   PostGIS, tests the points against the prepared polygons in GEOS, writes the values
   and rolls them up) vs a plain PostGIS ``ST_Contains`` GROUP BY vs ``geopandas.sjoin``
   (in memory, data already loaded — the most favourable case for geopandas). Goal:
   Pishraft within 1.2x of the faster of the two. Both peers only count; the goal is
   judged on the same work by Pishraft, ``point_values`` (the counts per unit, read from
   PostGIS and computed, not written), and the ratio of the whole derivation (writing
   50,000 values, each checked by PostgreSQL against its two foreign keys, and rolling
   them up) is printed next to it.
2. Zonal mean of a generated 4,000 x 4,000 raster over 2,000 generated districts:
   Pishraft ``derive_indicator(..., "zonal")`` (exactextract over the raster read into
   memory, the districts handed over as WKB and shared out between forked processes) vs ``rasterstats.zonal_stats`` vs
   ``exactextract`` called directly on the file and the GeoDataFrame. Goal: Pishraft
   at least 10x faster than rasterstats.

Everything runs in a scratch database created on the embedded cluster (or the
server of ``DATABASE_URL``) and dropped at the end.

3. ``--engine dask``: count 10,000,000 generated points (a GeoParquet file of 500,000-row
   groups) into 50,000 generated neighbourhoods on a Dask cluster
   (:mod:`spatial.analytics.overlay_dask`: the row groups read by the workers and
   tallied each against the polygons it can meet) against the in-process path on the same
   machine (the file read whole, then the same tallies); ``--spatial-shuffle`` shuffles
   the points into spatial partitions first. Each runs in a process of its
   own, so that each peak resident memory (``ru_maxrss``) is its own: the application
   process, each worker, the in-process run. Goals: the counts equal, the application
   process's peak under 1 GB. The cluster is ``PISHRAFT_DASK_SCHEDULER``, or a
   ``LocalCluster`` of one worker process per core.
   Then the nearest distance from each neighbourhood's centroid to ``--nearest-points``
   generated points (default 1,000,000: the in-process path needs them in PostGIS, and
   loading 10,000,000 there takes minutes), on the cluster
   (:func:`~spatial.analytics.overlay_dask.cluster_nearest`, the file's row groups) against
   the in-process path, PostGIS's KNN (the module's own SQL, in a scratch database; the
   loading is not timed). Goal: the distances equal (1e-9 relative, or within PostGIS's
   rounding step of 1e-8 m).

    .venv/bin/python bench/overlay.py [--points 1000000] [--polygons 50000] [--districts 2000]
    .venv/bin/python bench/overlay.py --engine dask [--points 10000000] [--polygons 50000] [--spatial-shuffle]
        [--nearest-points 1000000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BOX = shapely.box(50.0, 28.0, 60.0, 36.0)


def timed(label: str, fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {seconds:8.2f} s", flush=True)
    return seconds, result


def server_url() -> str:
    """libpq URL of the server, without a database name."""
    external = os.environ.get("DATABASE_URL")
    if external:
        return external.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    from spatial.db.embedded import EmbeddedPostgis

    home = Path(os.environ.get("PISHRAFT_HOME", REPO / ".pishraft"))
    pg = EmbeddedPostgis(home)
    pg.start()
    return pg.libpq_url().rsplit("/", 1)[0]


def load_units(session: Any, rng: np.random.Generator, polygons: int, districts: int) -> None:
    from sqlalchemy import text

    from spatial.db.bulk import copy_rows, ewkb_hex
    from spatial.demo.tessellate import tessellate
    from spatial.geometry import as_multipolygons

    session.execute(text("""INSERT INTO admin_unit (code, level, name_fa, name_en, population, synthetic, geom)
                            VALUES ('BX', 'province', 'آزمون', 'Bench', 0, true, ST_Multi(ST_GeomFromText(:wkt, 4326)))"""),
                    {"wkt": BOX.wkt})
    parent = session.execute(text("SELECT id FROM admin_unit WHERE code = 'BX'")).scalar_one()
    for level, n in (("neighbourhood", polygons), ("district", districts)):
        cells = as_multipolygons(tessellate(BOX, n, rng))
        pops = rng.integers(100, 5000, len(cells))
        copy_rows(session, "admin_unit", ("code", "level", "name_fa", "name_en", "parent_id", "population",
                                          "synthetic", "geom"),
                  ((f"BX-{level[0]}{i:06d}", level, "-", "-", parent, int(p), True, g)
                   for i, (p, g) in enumerate(zip(pops, ewkb_hex(cells), strict=True))))
    session.execute(text("ANALYZE admin_unit"))


def load_points(session: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    from sqlalchemy import text

    from spatial.db.bulk import copy_rows, ewkb_hex

    xy = rng.uniform((50.0, 28.0), (60.0, 36.0), size=(n, 2))
    session.execute(text("CREATE TABLE layers.bench_points (fid bigint PRIMARY KEY, "
                         "geom geometry(MultiPoint, 4326) NOT NULL)"))
    geoms = ewkb_hex(shapely.multipoints(shapely.points(xy), indices=np.arange(n)))
    copy_rows(session, "bench_points", ("fid", "geom"), ((i, g) for i, g in enumerate(geoms)), schema="layers")
    session.execute(text("CREATE INDEX bench_points_geom_idx ON layers.bench_points USING gist (geom)"))
    session.execute(text("ANALYZE layers.bench_points"))
    session.execute(text("""INSERT INTO layer (slug, title, storage, table_name, geometry_type, feature_count)
                            VALUES ('bench_points', 'Bench points', 'vector', 'bench_points', 'MULTIPOINT', :n)"""),
                    {"n": n})
    return xy


def write_raster(path: Path, rng: np.random.Generator, size: int) -> None:
    import rasterio
    from rasterio.transform import Affine

    yy, xx = np.mgrid[0:size, 0:size]
    array = (np.sin(xx / 97) * np.cos(yy / 53) * 100 + rng.normal(0, 5, (size, size))).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", height=size, width=size, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(10.0 / size, 0, 50.0, 0, -8.0 / size, 36.0),
                       tiled=True, blockxsize=512, blockysize=512, compress="deflate") as dst:
        dst.write(array, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("process", "dask"), default="process")
    parser.add_argument("--points", type=int, default=None, help="default 1,000,000 (dask: 10,000,000)")
    parser.add_argument("--polygons", type=int, default=50_000)
    parser.add_argument("--districts", type=int, default=2_000)
    parser.add_argument("--raster-size", type=int, default=4_000)
    parser.add_argument("--row-group", type=int, default=500_000, help="dask: points per GeoParquet row group")
    parser.add_argument("--spatial-shuffle", action="store_true", help="dask: shuffle into spatial partitions first")
    parser.add_argument("--nearest-points", type=int, default=1_000_000,
                        help="dask: points for the nearest distances (0: skip them)")
    parser.add_argument("--role", choices=tuple(ROLES), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        ROLES[args.role](args)
        return
    if args.engine == "dask":
        args.points = args.points or 10_000_000
        compare_engines(args)
        return
    args.points = args.points or 1_000_000

    server = server_url()
    name = f"pishraft_bench_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}".replace("postgresql://", "postgresql+psycopg://")
    os.environ["DATABASE_URL"] = url
    data_dir = Path(tempfile.mkdtemp(prefix="pishraft-bench-"))
    os.environ["PISHRAFT_DATA_DIR"] = str(data_dir)
    os.environ["PISHRAFT_STATEMENT_TIMEOUT_MS"] = "0"
    try:
        run(url, data_dir, args)
    finally:
        from spatial.db.engine import get_engine

        get_engine().dispose()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(url: str, data_dir: Path, args: argparse.Namespace) -> None:
    import geopandas as gpd
    import rasterstats
    from exactextract import exact_extract
    from sqlalchemy import text

    from spatial.db import migrate
    from spatial.db.engine import session_scope
    from spatial.analytics.overlay import derive_indicator, point_values
    from spatial.units.frames import units_frame

    rng = np.random.default_rng(2024)
    migrate.upgrade(url)
    print(f"setup: {args.polygons:,} polygons, {args.districts:,} districts, {args.points:,} points", flush=True)
    with session_scope() as session:
        timed("generate and load units", lambda: load_units(session, rng, args.polygons, args.districts))
        _, xy = timed("generate and load points", lambda: load_points(session, rng, args.points))
    with session_scope() as session:
        polys = units_frame(session, "neighbourhood")
        districts = units_frame(session, "district")
    points = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=4326)

    print(f"\ncount {args.points:,} points into {args.polygons:,} polygons", flush=True)
    with session_scope() as session:
        t_counts, (_, pishraft_counts) = timed("Pishraft point_values(count) (the counts)", lambda: point_values(
            session, "bench_points", "neighbourhood", "count"))
    with session_scope() as session:
        t_pishraft, result = timed("Pishraft derive_indicator(count)", lambda: derive_indicator(
            session, "bench_points", "neighbourhood", "count", code="bench_count", period="bench"))
        pishraft_total = session.execute(text(
            """SELECT sum(v.value) FROM indicator_value v JOIN admin_unit u ON u.id = v.unit_id
               WHERE u.level = 'neighbourhood'""")).scalar()
    with session_scope() as session:
        t_postgis, rows = timed("plain PostGIS ST_Contains GROUP BY", lambda: session.execute(text(
            """SELECT u.id, count(*) FROM admin_unit u JOIN layers.bench_points p ON ST_Contains(u.geom, p.geom)
               WHERE u.level = 'neighbourhood' GROUP BY u.id""")).all())
    t_sjoin, counts = timed("geopandas.sjoin (in memory)", lambda: gpd.sjoin(
        points, polys, predicate="within").groupby("index_right").size())
    print(f"  totals: Pishraft {int(pishraft_total):,} (counts {int(pishraft_counts.sum()):,}), "
          f"PostGIS {sum(r[1] for r in rows):,}, sjoin {int(counts.sum()):,} (points on shared edges may differ)")
    fastest = min(t_postgis, t_sjoin)
    print(f"  ratio counts: Pishraft / PostGIS {t_counts / t_postgis:.2f}, Pishraft / sjoin {t_counts / t_sjoin:.2f}, "
          f"Pishraft / fastest {t_counts / fastest:.2f} (goal <= 1.2)")
    print(f"  ratio whole derivation (counts + writing + roll-up): Pishraft / fastest {t_pishraft / fastest:.2f}",
          flush=True)

    size = args.raster_size
    print(f"\nzonal mean of a {size:,} x {size:,} raster over {args.districts:,} districts", flush=True)
    raster = data_dir / "bench.tif"
    write_raster(raster, rng, size)
    with session_scope() as session:
        session.execute(text("""INSERT INTO layer (slug, title, storage, raster_path)
                                VALUES ('bench_raster', 'Bench raster', 'raster', 'bench.tif')"""))
    with session_scope() as session:
        t_zonal, _ = timed("Pishraft derive_indicator(zonal mean)", lambda: derive_indicator(
            session, "bench_raster", "district", "zonal", code="bench_mean", period="bench", stat="mean"))
    t_exact, _ = timed("exactextract (direct)", lambda: exact_extract(
        str(raster), districts[["geometry"]], ["mean"], output="pandas"))
    t_rs, _ = timed("rasterstats.zonal_stats", lambda: rasterstats.zonal_stats(
        districts.geometry, str(raster), stats=["mean"]))
    print(f"  ratio rasterstats / Pishraft {t_rs / t_zonal:.1f}x (goal >= 10), "
          f"Pishraft / exactextract {t_zonal / t_exact:.2f}", flush=True)


# ------------------------------------------------------------------ --engine dask

def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(args: argparse.Namespace) -> None:
    """Write the neighbourhoods and the points as GeoParquet, the points a row group at a time."""
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from spatial.demo.tessellate import tessellate

    rng = np.random.default_rng(2024)
    gpd.GeoDataFrame({"population": rng.integers(100, 5000, args.polygons)},
                     geometry=tessellate(BOX, args.polygons, rng), crs=4326).to_parquet(args.dir / "units.parquet")
    # The GeoParquet metadata geopandas writes for a frame of points, given to every row group.
    sample = io.BytesIO()
    gpd.GeoDataFrame(geometry=shapely.points([[50.0, 28.0]]), crs=4326).to_parquet(sample)
    schema = pq.read_schema(sample)
    with pq.ParquetWriter(args.dir / "points.parquet", schema) as writer:
        for start in range(0, args.points, args.row_group):
            xy = rng.uniform((50.0, 28.0), (60.0, 36.0), size=(min(args.row_group, args.points - start), 2))
            writer.write_table(pa.table({"geometry": shapely.to_wkb(shapely.points(xy))}, schema=schema))
    with pq.ParquetWriter(args.dir / "near.parquet", schema) as writer:
        for start in range(0, args.nearest_points, args.row_group):
            xy = rng.uniform((50.0, 28.0), (60.0, 36.0), size=(min(args.row_group, args.nearest_points - start), 2))
            writer.write_table(pa.table({"geometry": shapely.to_wkb(shapely.points(xy))}, schema=schema))


def run_on_cluster(args: argparse.Namespace) -> None:
    """The application process of a derivation on a Dask cluster: prints its figures as JSON."""
    import geopandas as gpd

    from spatial.analytics.overlay_dask import GeoParquetFeatures, cluster_tallies, dask_client

    units = gpd.read_parquet(args.dir / "units.parquet")
    start = time.perf_counter()
    with dask_client() as client:
        started = time.perf_counter()
        tallies = cluster_tallies(client, GeoParquetFeatures(str(args.dir / "points.parquet")), units.geometry.to_numpy(),
                                  spatial_shuffle=args.spatial_shuffle)
        seconds = time.perf_counter() - started
        workers = client.run(peak_mb)
    np.save(args.dir / "dask.npy", tallies[0])
    print(json.dumps({"seconds": seconds, "with_cluster_start": time.perf_counter() - start, "app_mb": peak_mb(),
                      "workers_mb": workers}))


def run_in_process(args: argparse.Namespace) -> None:
    """The in-process path on the same file: read whole, then the same tallies; prints JSON."""
    import geopandas as gpd
    import pyarrow.parquet as pq

    from spatial.analytics.overlay import WORKERS
    from spatial.analytics.tallies import point_tallies

    units = gpd.read_parquet(args.dir / "units.parquet")
    start = time.perf_counter()
    wkb = pq.read_table(args.dir / "points.parquet", columns=["geometry"]).column("geometry")
    xy = shapely.get_coordinates(shapely.from_wkb(wkb.to_numpy()))
    del wkb
    tallies = point_tallies(xy, np.arange(len(xy)), None, units.geometry.to_numpy(), workers=WORKERS)
    seconds = time.perf_counter() - start
    np.save(args.dir / "process.npy", tallies[0])
    print(json.dumps({"seconds": seconds, "app_mb": peak_mb()}))


def nearest_in_process(args: argparse.Namespace) -> None:
    """The in-process nearest distances: the units and points loaded into a scratch database (not
    timed), then the module's KNN SQL from each unit's centroid, timed; the origins are saved for
    the cluster's run. Prints JSON (the work runs in the PostgreSQL server; this process only reads)."""
    import geopandas as gpd
    import pyarrow.parquet as pq
    from psycopg import sql

    from spatial.analytics.overlay import _NEAREST_SQL

    units = gpd.read_parquet(args.dir / "units.parquet").geometry.to_numpy()
    points = shapely.from_wkb(pq.read_table(args.dir / "near.parquet").column("geometry").to_numpy())
    server = server_url()
    name = f"pishraft_bench_near_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(f"{server}/{name}", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
            conn.execute("CREATE TABLE units (id integer PRIMARY KEY, geom geometry(Geometry, 4326))")
            conn.execute("CREATE TABLE points (fid bigint PRIMARY KEY, geom geometry(MultiPoint, 4326))")
            for table, geoms in (("units", units), ("points", shapely.multipoints(points, indices=np.arange(len(points))))):
                hexes = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)
                with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(table))) as copy:
                    for i, g in enumerate(hexes):
                        copy.write_row((i, g))
            conn.execute("CREATE INDEX ON points USING gist (geom)")
            conn.execute("ANALYZE points")
            conn.execute("ANALYZE units")
            statement = sql.SQL("SELECT o.id, ST_X(o.pt), ST_Y(o.pt), {} FROM "
                                "(SELECT id, ST_Centroid(geom) AS pt FROM units) o ORDER BY o.id").format(
                sql.SQL(_NEAREST_SQL).format(table=sql.Identifier("points")))
            start = time.perf_counter()
            rows = conn.execute(statement).fetchall()
            seconds = time.perf_counter() - start
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    np.save(args.dir / "origins.npy", np.array([r[1:3] for r in rows], dtype=float))
    np.save(args.dir / "near-process.npy", np.array([r[3] for r in rows], dtype=float))
    print(json.dumps({"seconds": seconds, "app_mb": peak_mb()}))


def nearest_on_cluster(args: argparse.Namespace) -> None:
    """The nearest distances on a Dask cluster from the origins the in-process run saved; prints JSON."""
    from spatial.analytics.overlay import NEAREST_CANDIDATES
    from spatial.analytics.overlay_dask import GeoParquetFeatures, cluster_nearest, dask_client

    origins = np.load(args.dir / "origins.npy")
    start = time.perf_counter()
    with dask_client() as client:
        started = time.perf_counter()
        km = cluster_nearest(client, GeoParquetFeatures(str(args.dir / "near.parquet")), origins, NEAREST_CANDIDATES)
        seconds = time.perf_counter() - started
        workers = client.run(peak_mb)
    np.save(args.dir / "near-dask.npy", km)
    print(json.dumps({"seconds": seconds, "with_cluster_start": time.perf_counter() - start, "app_mb": peak_mb(),
                      "workers_mb": workers}))


ROLES = {"generate": generate, "dask": run_on_cluster, "process": run_in_process,
         "nearest-process": nearest_in_process, "nearest-dask": nearest_on_cluster}


def compare_engines(args: argparse.Namespace) -> None:
    """Generate the data, run both engines in processes of their own, print times, memory and ratios."""
    work = Path(tempfile.mkdtemp(prefix="pishraft-bench-dask-"))

    def role(name: str) -> dict[str, Any] | None:
        command = [sys.executable, __file__, "--role", name, "--dir", str(work), "--points", str(args.points),
                   "--polygons", str(args.polygons), "--row-group", str(args.row_group),
                   "--nearest-points", str(args.nearest_points),
                   *(["--spatial-shuffle"] if args.spatial_shuffle else [])]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"  {name}: failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}", flush=True)
            return None
        lines = done.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else {}

    print(f"count {args.points:,} points into {args.polygons:,} neighbourhoods: Dask cluster"
          f"{' (spatial shuffle)' if args.spatial_shuffle else ''} vs in process", flush=True)
    timed(f"generate GeoParquet (row groups of {args.row_group:,})", lambda: role("generate"))
    dask = role("dask")
    if dask:
        print(f"  {'Dask cluster (tallies)':<44} {dask['seconds']:8.2f} s  "
              f"(with starting the cluster {dask['with_cluster_start']:.2f} s)")
        print(f"    peak memory: application process {dask['app_mb']:,.0f} MB (goal < 1,024), "
              + ", ".join(f"worker {i + 1} {mb:,.0f} MB" for i, mb in enumerate(dask["workers_mb"].values())))
    local = role("process")
    if local:
        print(f"  {'in process (read whole, tallies)':<44} {local['seconds']:8.2f} s")
        print(f"    peak memory: {local['app_mb']:,.0f} MB")
    if dask and local:
        same = np.array_equal(np.load(work / "dask.npy"), np.load(work / "process.npy"))
        print(f"  counts equal: {same}; ratio time Dask / in process {dask['seconds'] / local['seconds']:.2f}, "
              f"peak memory application / in process {dask['app_mb'] / local['app_mb']:.2f}", flush=True)
    if args.nearest_points:
        compare_nearest(args, role, work)
    for name in ("points.parquet", "units.parquet", "dask.npy", "process.npy", "near.parquet", "origins.npy",
                 "near-process.npy", "near-dask.npy"):
        (work / name).unlink(missing_ok=True)
    work.rmdir()


def compare_nearest(args: argparse.Namespace, role: Callable[[str], dict[str, Any] | None], work: Path) -> None:
    """The nearest distances both ways (the data already generated), with times, memory and ratios."""
    print(f"\nnearest distance from {args.polygons:,} neighbourhoods' centroids to {args.nearest_points:,} points: "
          "Dask cluster vs in process (PostGIS KNN)", flush=True)
    local = role("nearest-process")
    if local:
        print(f"  {'in process (PostGIS KNN, 8 candidates)':<44} {local['seconds']:8.2f} s")
        print(f"    peak memory: application process {local['app_mb']:,.0f} MB (loading the points into PostGIS; "
              "the derivation runs in the PostgreSQL server)")
    dask = role("nearest-dask") if local else None
    if dask:
        print(f"  {'Dask cluster (nearest)':<44} {dask['seconds']:8.2f} s  "
              f"(with starting the cluster {dask['with_cluster_start']:.2f} s)")
        print(f"    peak memory: application process {dask['app_mb']:,.0f} MB (goal < 1,024), "
              + ", ".join(f"worker {i + 1} {mb:,.0f} MB" for i, mb in enumerate(dask["workers_mb"].values())))
    if dask and local:
        found, expected = np.load(work / "near-dask.npy"), np.load(work / "near-process.npy")
        same = bool(np.allclose(found, expected, rtol=1e-9, atol=1e-11))
        print(f"  distances equal (1e-9 relative, or PostGIS's 1e-8 m step): {same}, identical "
              f"{np.mean(found == expected):.1%}; ratio time Dask / in process "
              f"{dask['seconds'] / local['seconds']:.2f}", flush=True)


if __name__ == "__main__":
    main()
