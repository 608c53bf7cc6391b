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

    .venv/bin/python bench/overlay.py [--points 1000000] [--polygons 50000] [--districts 2000]
"""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--polygons", type=int, default=50_000)
    parser.add_argument("--districts", type=int, default=2_000)
    parser.add_argument("--raster-size", type=int, default=4_000)
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
