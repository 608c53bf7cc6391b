"""Layer ingestion speed: Pishraft against ``ogr2ogr -f PostgreSQL`` (PG_USE_COPY=YES).

Generates a GeoPackage of 1,000,000 random points (with an integer, a float and a text
attribute) with pyogrio, then loads it into the same PostGIS server, in a scratch
database, once with Pishraft's ``add_layer`` and once with ogr2ogr, and prints both
rates and their ratio. A second case does the same with 200,000 polygons, one in ten a
MultiPolygon of two parts (as administrative boundaries with islands are), which takes
the path that wraps single parts as Multi* beside multi-parts. Both end with a Multi* geometry column, a primary key and a
GiST index (ogr2ogr: ``-nlt PROMOTE_TO_MULTI``, its default GiST index), and both
write in one transaction (ogr2ogr: ``-gt unlimited``, which is faster than its default
of a commit per 20,000 features); Pishraft also validates, and ANALYZEs the table.

Goal: Pishraft ≥ 0.8 × ogr2ogr's rate on the points (the polygons' ratio is reported).

``--stream N`` instead loads a GeoParquet file of N points (default 10,000,000, written
in row groups of 1,000,000 without holding them all) twice, each in its own process:
read and written in parts of ``PISHRAFT_INGEST_BATCH_ROWS`` (1,000,000), and as one part
(the whole file at once, as every other format is read). Same file, same table, same
checks: it prints the time and the peak memory (max RSS) of each load and their ratios.

Usage::

    .venv/bin/python bench/ingest.py [--features 1000000] [--polygons 200000] [--repeat 1]
    .venv/bin/python bench/ingest.py --stream 10000000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

BENCH_DB = "pishraft_bench_ingest"
GOAL = 0.8


def random_points(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random points over Iran's extent."""
    return shapely.points(rng.uniform(44, 63, n), rng.uniform(25, 39.9, n))


def random_polygons(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` small random squares over Iran's extent; every tenth a MultiPolygon of it and a neighbour."""
    x, y = rng.uniform(44, 62.9, n), rng.uniform(25, 39.8, n)
    size = rng.uniform(0.001, 0.02, n)
    squares = shapely.box(x, y, x + size, y + size)
    multi = np.arange(n) % 10 == 0
    neighbours = shapely.box(x[multi] + 2 * size[multi], y[multi], x[multi] + 3 * size[multi], y[multi] + size[multi])
    parts = np.column_stack([squares[multi], neighbours]).ravel()  # each square, then its neighbour
    squares[multi] = shapely.multipolygons(parts, indices=np.repeat(np.arange(multi.sum()), 2))
    return squares


#: Each case: the GeoPackage layer's name and the geometries' maker.
CASES = {"points": random_points, "polygons": random_polygons}


def make_gpkg(path: Path, case: str, n: int) -> None:
    """``n`` random geometries of ``case`` over Iran's extent, in EPSG:4326, with three attributes."""
    rng = np.random.default_rng(1403)
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {
            "code": np.arange(n, dtype=np.int64),
            "value": rng.random(n),
            "name": pd.Series(rng.integers(0, 1000, n)).map("site {}".format),
        },
        geometry=CASES[case](rng, n),
        crs=4326,
    )
    # GeoPackage 1.3: the version the system ogr2ogr (GDAL 3.6) reads without a warning.
    pyogrio.write_dataframe(frame, path, layer=case, driver="GPKG", use_arrow=True, dataset_options={"VERSION": "1.3"})


def server() -> tuple[str, str]:
    """SQLAlchemy and libpq URLs of a fresh, migrated bench database (embedded or DATABASE_URL's server)."""
    import psycopg

    from spatial.settings import get_settings

    external = get_settings().database_url
    if external:
        base = external.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    else:
        from spatial.db.embedded import EmbeddedPostgis

        base = EmbeddedPostgis(get_settings().home).libpq_url().rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    libpq = f"{base}/{BENCH_DB}"
    return libpq.replace("postgresql://", "postgresql+psycopg://"), libpq


def drop_bench_db(libpq: str) -> None:
    import psycopg

    from spatial.db.engine import get_engine

    get_engine().dispose()
    with psycopg.connect(libpq.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def client_cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_pishraft(gpkg: Path, slug: str) -> tuple[float, float]:
    """Wall-clock and client CPU seconds of one load (the database server's work is in the wall time)."""
    from layers.ingest import LayerRequest, add_layer
    from spatial.db.engine import session_scope

    cpu, start = client_cpu(resource.RUSAGE_SELF), time.perf_counter()
    with session_scope() as session:
        add_layer(session, gpkg, LayerRequest(name=slug), added_by="bench")
    return time.perf_counter() - start, client_cpu(resource.RUSAGE_SELF) - cpu


def run_ogr2ogr(gpkg: Path, libpq: str, table: str) -> tuple[float, float]:
    cpu, start = client_cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(
        ["ogr2ogr", "-f", "PostgreSQL", f"PG:{libpq_to_keywords(libpq)}", str(gpkg), gpkg.stem,
         "-nln", f"layers.{table}", "-nlt", "PROMOTE_TO_MULTI", "-lco", "GEOMETRY_NAME=geom",
         "-lco", "FID=fid", "-gt", "unlimited", "--config", "PG_USE_COPY", "YES"],
        check=True,
    )
    return time.perf_counter() - start, client_cpu(resource.RUSAGE_CHILDREN) - cpu


def libpq_to_keywords(url: str) -> str:
    """``postgresql://user@host:port/db`` → ``host=… port=… user=… dbname=…`` for GDAL."""
    rest = url.removeprefix("postgresql://")
    user, _, rest = rest.partition("@")
    hostport, _, db = rest.partition("/")
    host, _, port = hostport.partition(":")
    return f"host={host} port={port or 5432} user={user} dbname={db}"


def compare(folder: Path, case: str, n: int, repeat: int, libpq: str) -> float:
    """Load ``n`` geometries of ``case`` with both, print the rates, and return the ratio."""
    gpkg = folder / f"{case}.gpkg"
    t0 = time.perf_counter()
    make_gpkg(gpkg, case, n)
    print(f"== {case}: generated {n:,} in {time.perf_counter() - t0:.1f} s "
          f"({gpkg.stat().st_size / 1e6:.0f} MB GeoPackage)")
    ours, theirs = [], []
    for i in range(repeat):
        # Alternate who goes first so that neither always gets the warmer cache.
        for who in (("pishraft", "ogr2ogr") if i % 2 == 0 else ("ogr2ogr", "pishraft")):
            if who == "pishraft":
                ours.append(run_pishraft(gpkg, f"bench_{case}_{i}"))
            else:
                theirs.append(run_ogr2ogr(gpkg, libpq, f"ogr_{case}_{i}"))
    (ours_s, ours_cpu), (theirs_s, theirs_cpu) = min(ours), min(theirs)
    ratio = theirs_s / ours_s
    print(f"pishraft : {ours_s:6.2f} s  {n / ours_s:12,.0f} features/s  (client CPU {ours_cpu:.1f} s)")
    print(f"ogr2ogr  : {theirs_s:6.2f} s  {n / theirs_s:12,.0f} features/s  (client CPU {theirs_cpu:.1f} s)")
    return ratio


def make_geoparquet(path: Path, n: int, row_group: int = 1_000_000) -> None:
    """``n`` random points over Iran with a code and a value, written one row group at a time."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(1403)
    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": {"encoding": "WKB"}}}
    schema = pa.schema([("code", pa.int64()), ("value", pa.float64()), ("geometry", pa.binary())],
                       metadata={b"geo": json.dumps(geo).encode()})
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, n, row_group):
            size = min(row_group, n - start)
            writer.write_table(pa.table({
                "code": pa.array(np.arange(start, start + size, dtype=np.int64)),
                "value": pa.array(rng.random(size)),
                "geometry": pa.array(shapely.to_wkb(random_points(rng, size), byte_order=1), pa.binary()),
            }, schema=schema))


def load_in_child(path: Path, slug: str, batch_rows: int) -> tuple[float, float]:
    """Wall-clock seconds and peak memory (MB) of one load, in a process of its own."""
    env = os.environ | {"PISHRAFT_INGEST_BATCH_ROWS": str(batch_rows)}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--load", str(path), "--slug", slug], env=env)
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"the load of {slug} failed (status {status})")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def compare_streaming(folder: Path, n: int) -> None:
    """Load the same GeoParquet of ``n`` points in parts and whole; print times, peak memory and ratios."""
    path = folder / "points.parquet"
    t0 = time.perf_counter()
    make_geoparquet(path, n)
    print(f"== GeoParquet: generated {n:,} points in {time.perf_counter() - t0:.1f} s "
          f"({path.stat().st_size / 1e6:.0f} MB)")
    parts_s, parts_mb = load_in_child(path, "bench_parts", 1_000_000)
    print(f"in parts of 1,000,000 : {parts_s:6.1f} s  {n / parts_s:10,.0f} features/s  peak {parts_mb:6.0f} MB")
    whole_s, whole_mb = load_in_child(path, "bench_whole", n)
    print(f"whole file at once    : {whole_s:6.1f} s  {n / whole_s:10,.0f} features/s  peak {whole_mb:6.0f} MB")
    print(f"ratio    : parts take {parts_s / whole_s:.2f}x the time and {parts_mb / whole_mb:.2f}x the memory "
          "of the whole-file load (same file, table, checks and single transaction)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=1_000_000, help="points")
    parser.add_argument("--polygons", type=int, default=200_000, help="polygons, one in ten a MultiPolygon")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is reported")
    parser.add_argument("--stream", type=int, nargs="?", const=10_000_000, default=None,
                        help="GeoParquet points loaded in parts and whole (default 10,000,000)")
    parser.add_argument("--load", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--slug", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:  # the child of compare_streaming: DATABASE_URL is set by the parent
        run_pishraft(args.load, args.slug)
        return

    url, libpq = server()
    os.environ["DATABASE_URL"] = url
    from spatial.db import migrate
    from spatial.settings import get_settings

    get_settings.cache_clear()
    migrate.upgrade(url)
    try:
        with tempfile.TemporaryDirectory(prefix="pishraft-bench-") as folder:
            if args.stream:
                compare_streaming(Path(folder), args.stream)
                return
            points = compare(Path(folder), "points", args.features, args.repeat, libpq)
            print(f"ratio    : {points:.2f}x ogr2ogr (goal ≥ {GOAL}x) — {'met' if points >= GOAL else 'NOT met'}")
            polygons = compare(Path(folder), "polygons", args.polygons, args.repeat, libpq)
            print(f"ratio    : {polygons:.2f}x ogr2ogr (reported; Pishraft also validates and repairs polygons)")
    finally:
        drop_bench_db(libpq)


if __name__ == "__main__":
    main()
