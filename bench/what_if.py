"""What-if weights over 50,000 units: scoring on the fly against reading stored scores.

A composite index of three indicators is computed and stored for 50,000 generated
neighbourhoods (in 250 counties). Then, repeatedly:

- floor: ``GET /api/indices/{code}/scores?level=neighbourhood`` reads the stored scores
  and ranks (one indexed query, no computation);
- what-if: the same with ``&weights=a:0.5,b:0.3,c:0.2``: read the indicator values,
  normalise, weight, aggregate, rank overall and within counties, class into quintiles,
  nothing written.

Both are timed through the real app (HTTP via ``TestClient``, JSON of 50,000 rows
included) and as the Python call returning rows; the what-if computation alone
(``what_if``: scores, ranks, classes as a frame) is timed too. Goal: what-if scores,
ranks and classes under 200 ms for 50,000 units; the ratios to the stored read are
the price of computing instead of reading. The first what-if of an index version and
level reads and normalises the indicators (cached under the data generation); the
medians are of the weights a planner tries after that.

Runs in a scratch database on the embedded cluster (or the server of
``DATABASE_URL``), dropped at the end.

    .venv/bin/python bench/what_if.py [--units 50000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
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
from overlay import server_url  # noqa: E402  (bench/ is on the path when run as a script)

CODES = ("bench_a", "bench_b", "bench_c")
WEIGHTS = "bench_a:0.5,bench_b:0.3,bench_c:0.2"


def load(session: Any, units: int, rng: np.random.Generator) -> None:
    """A province, 250 county strips and ``units`` square neighbourhoods with three indicators."""
    from sqlalchemy import text

    from spatial.analytics.indicators import define_indicator
    from spatial.db.bulk import copy_rows, ewkb_hex

    side = int(np.ceil(np.sqrt(units)))
    counties = 250
    session.execute(text("""INSERT INTO admin_unit (code, level, name_fa, name_en, population, synthetic, geom)
                            VALUES ('BW', 'province', 'آزمون', 'Bench', 0, true,
                                    ST_Multi(ST_MakeEnvelope(50, 28, 60, 36, 4326)))"""))
    province = session.execute(text("SELECT id FROM admin_unit WHERE code = 'BW'")).scalar_one()
    strips = [shapely.box(50 + 10 * i / counties, 28, 50 + 10 * (i + 1) / counties, 36) for i in range(counties)]
    copy_rows(session, "admin_unit", ("code", "level", "name_fa", "name_en", "parent_id", "population", "synthetic",
                                      "geom"),
              ((f"BW-{i:03d}", "county", "-", "-", province, 0, True, g)
               for i, g in enumerate(ewkb_hex(shapely.multipolygons([[s] for s in strips])))))
    county_ids = dict(session.execute(text("SELECT code, id FROM admin_unit WHERE level = 'county' "
                                           "AND code LIKE 'BW-%'")).all())
    i = np.arange(units)
    x0, y0 = 50 + 10 * (i % side) / side, 28 + 8 * (i // side) / side
    cells = shapely.box(x0, y0, x0 + 10 / side, y0 + 8 / side)
    parents = [county_ids[f"BW-{int(c):03d}"] for c in np.minimum((i % side) * counties // side, counties - 1)]
    copy_rows(session, "admin_unit", ("code", "level", "name_fa", "name_en", "parent_id", "population", "synthetic",
                                      "geom"),
              ((f"BW-N{k:06d}", "neighbourhood", f"محله {k}", f"Neighbourhood {k}", p, int(pop), True, g)
               for k, (p, pop, g) in enumerate(zip(parents, rng.integers(100, 5000, units),
                                                   ewkb_hex(shapely.multipolygons([[c] for c in cells])),
                                                   strict=True))))
    ids = session.execute(text("SELECT id FROM admin_unit WHERE level = 'neighbourhood' AND code LIKE 'BW-N%' "
                               "ORDER BY code")).scalars().all()
    for code in CODES:
        ind = define_indicator(session, {"code": code, "name_fa": code, "name_en": code, "domain": "context",
                                         "direction": "higher_is_worse"})
        copy_rows(session, "indicator_value", ("indicator_id", "unit_id", "period", "value"),
                  ((ind, u, "2024", float(v)) for u, v in zip(ids, rng.gamma(2.0, 5.0, len(ids)), strict=True)))
    session.execute(text("ANALYZE"))


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm caches and the plan once
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(url: str, args: argparse.Namespace) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from spatial.analytics.indices import compute_index, index_scores
    from spatial.analytics.what_if import parse_weights, what_if, what_if_scores
    from spatial.db import migrate
    from spatial.db.engine import session_scope

    migrate.upgrade(url)
    rng = np.random.default_rng(2026)
    with session_scope() as session:
        load(session, args.units, rng)
        compute_index(session, {"code": "bench_index", "name_fa": "آزمون", "name_en": "Bench",
                                "domain": "deprivation", "levels": ["neighbourhood"], "period": "2024",
                                "indicators": list(CODES)}, clusters=False)
    weights = parse_weights(WEIGHTS)
    print(f"{args.units:,} neighbourhoods, 3 indicators; median of {args.repeat} runs", flush=True)
    with session_scope() as session:
        n = len(what_if_scores(session, "bench_index", "neighbourhood", weights)["scores"])
        assert n == args.units, n
        call_floor = median_ms(lambda: index_scores(session, "bench_index", "neighbourhood"), args.repeat)
        compute = median_ms(lambda: what_if(session, "bench_index", "neighbourhood", weights), args.repeat)
        call_what_if = median_ms(lambda: what_if_scores(session, "bench_index", "neighbourhood", weights),
                                 args.repeat)
    with TestClient(create_app()) as client:
        path = "/api/indices/bench_index/scores?level=neighbourhood"
        assert client.get(f"{path}&weights={WEIGHTS}").status_code == 200
        http_floor = median_ms(lambda: client.get(path).raise_for_status(), args.repeat)
        http_what_if = median_ms(lambda: client.get(f"{path}&weights={WEIGHTS}").raise_for_status(), args.repeat)
    print(f"  {'':<36} {'stored read (floor)':>20} {'what-if':>10} {'ratio':>7}")
    print(f"  {'scores, ranks, classes (what_if)':<36} {'':>20} {compute:7.0f} ms")
    print(f"  {'Python call, rows (index_scores)':<36} {call_floor:17.0f} ms {call_what_if:7.0f} ms "
          f"{call_what_if / call_floor:7.2f}")
    print(f"  {'HTTP GET (JSON of every unit)':<36} {http_floor:17.0f} ms {http_what_if:7.0f} ms "
          f"{http_what_if / http_floor:7.2f}")
    print(f"  goal: scores, ranks and classes under 200 ms — {'met' if compute < 200 else 'NOT met'} "
          f"({compute:.0f} ms; with the 50,000 result rows {call_what_if:.0f} ms)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    server = server_url()
    name = f"pishraft_bench_whatif_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}".replace("postgresql://", "postgresql+psycopg://")
    os.environ["DATABASE_URL"] = url
    os.environ["PISHRAFT_DATA_DIR"] = tempfile.mkdtemp(prefix="pishraft-bench-")
    try:
        run(url, args)
    finally:
        from spatial.db.engine import get_engine

        get_engine().dispose()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
