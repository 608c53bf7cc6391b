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

Usage::

    .venv/bin/python bench/ingest.py [--features 1000000] [--polygons 200000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=1_000_000, help="points")
    parser.add_argument("--polygons", type=int, default=200_000, help="polygons, one in ten a MultiPolygon")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is reported")
    args = parser.parse_args()

    url, libpq = server()
    os.environ["DATABASE_URL"] = url
    from spatial.db import migrate
    from spatial.settings import get_settings

    get_settings.cache_clear()
    migrate.upgrade(url)
    try:
        with tempfile.TemporaryDirectory(prefix="pishraft-bench-") as folder:
            points = compare(Path(folder), "points", args.features, args.repeat, libpq)
            print(f"ratio    : {points:.2f}x ogr2ogr (goal ≥ {GOAL}x) — {'met' if points >= GOAL else 'NOT met'}")
            polygons = compare(Path(folder), "polygons", args.polygons, args.repeat, libpq)
            print(f"ratio    : {polygons:.2f}x ogr2ogr (reported; Pishraft also validates and repairs polygons)")
    finally:
        drop_bench_db(libpq)


if __name__ == "__main__":
    main()
