"""Hidden from nobody, on any database: the share of Iran that neighbourhood tiles fill.

Goal (issue 30): MapLibre GL in headless Chromium, ``neighbourhoods`` fills without outlines
against ``provinces``, filled pixels ≥ 99 % at zooms 5, 6 and 7 over the 50,000-neighbourhood
demo; and decoding every zoom-5 tile over Iran, the sum of ``units`` over its features equals
the number of units whose interior meets the tile (SQL).

The floor is the provinces' own fill: 31 large polygons that nothing merges or drops. The
test ``tests/partner/test_coalesced_tiles_browser.py`` runs the same measurement
(:mod:`bench._maplibre`) on the small demo; this script runs it against the database of
``--database`` (default ``DATABASE_URL``), which it only reads, by starting the app on a free
port with the warmer off, or against a server already running (``--base``).

Run: ``DATABASE_URL=postgresql://…/pishraft_bench_maps .venv/bin/python bench/tiles_fill.py --decode-z5``
(about 1–3 minutes on 50,000 neighbourhoods: software WebGL draws every tile).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ZOOMS = (5, 6, 7)
GOAL = 0.99
#: Units whose interior meets a tile's buffered bounds: what the tile must count.
UNITS_MEETING_SQL = """SELECT count(*) FROM admin_unit WHERE level = 'neighbourhood' AND valid_to IS NULL
    AND ST_Relate(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 'T********')"""
#: Tiles of zoom 5 that meet a province.
IRAN_TILES_SQL = """WITH e AS (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom), 4326), 3857) AS g FROM admin_unit
                               WHERE level = 'province' AND valid_to IS NULL)
    SELECT x, y FROM e, generate_series(0, (1 << %(z)s) - 1) x, generate_series(0, (1 << %(z)s) - 1) y
    WHERE ST_Intersects(ST_TileEnvelope(%(z)s, x, y), e.g) ORDER BY x, y"""


@contextmanager
def app_on(database: str) -> Iterator[str]:
    """The app on a free loopback port over ``database`` (warmer off: nothing is written)."""
    from bench.tiles import free_port, serving

    port = free_port()
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "api.workers", "api.app:create_app", "--factory", "--port", str(port),
               "--workers", "1"]
    # Every connection read-only: measuring never writes to the database it measures.
    env = {"DATABASE_URL": database, "PISHRAFT_WARM_CHECK_S": "0", "PGOPTIONS": "-c default_transaction_read_only=on",
           "PISHRAFT_DATA_DIR": tempfile.mkdtemp(prefix="tiles-fill-")}
    with serving(command, env, f"http://127.0.0.1:{port}/health", out / "tiles-fill.log"):
        yield f"http://127.0.0.1:{port}"


def fill_ratios(base: str, zooms: tuple[int, ...]) -> list[tuple[int, int, int, float]]:
    """(zoom, province pixels, neighbourhood pixels, seconds to draw both) per zoom."""
    from playwright.sync_api import sync_playwright

    from bench._maplibre import WEBGL_ARGS, filled_pixels

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=WEBGL_ARGS)
        try:
            for zoom in zooms:
                started = time.monotonic()
                provinces = filled_pixels(browser, base, "provinces", zoom, timeout_ms=600_000)
                hoods = filled_pixels(browser, base, "neighbourhoods", zoom, timeout_ms=600_000)
                rows.append((zoom, provinces, hoods, time.monotonic() - started))
                print(f"  zoom {zoom}: neighbourhoods {hoods:,} px ÷ provinces {provinces:,} px = "
                      f"{hoods / provinces:.4f} ({time.monotonic() - started:.0f} s)", flush=True)
        finally:
            browser.close()
    return rows


def decode_zoom(base: str, database: str, z: int) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Every tile of zoom ``z`` over Iran decoded: (tiles, features, [(x, y, Σ units, SQL count)] that differ)."""
    import httpx
    import mapbox_vector_tile
    import psycopg

    from spatial.serving.tiles import BUFFER, EXTENT

    wrong: list[tuple[int, int, int, int]] = []
    features_total = 0
    with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")) as conn, \
            httpx.Client(base_url=base, timeout=600) as client:
        conn.execute("SET default_transaction_read_only = on")
        tiles = conn.execute(IRAN_TILES_SQL, {"z": z}).fetchall()
        for x, y in tiles:
            response = client.get(f"/collections/neighbourhoods/tiles/WebMercatorQuad/{z}/{y}/{x}")
            response.raise_for_status()
            features = (mapbox_vector_tile.decode(response.content)["neighbourhoods"]["features"]
                        if response.status_code == 200 else [])
            counted = sum(int(f["properties"]["units"]) for f in features)
            expected = conn.execute(UNITS_MEETING_SQL, {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT}
                                    ).fetchone()[0]  # type: ignore[index]
            features_total += len(features)
            if counted != expected:
                wrong.append((x, y, counted, int(expected)))
    return len(tiles), features_total, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"), help="database read (libpq URL)")
    parser.add_argument("--base", help="a server already running over that database (else one is started)")
    parser.add_argument("--zooms", type=int, nargs="+", default=list(ZOOMS))
    parser.add_argument("--decode-z5", action="store_true", help="also decode every zoom-5 tile (Σ units vs SQL)")
    args = parser.parse_args()
    if not args.database:
        parser.error("give --database or DATABASE_URL")
    with (app_on(args.database) if args.base is None else _given(args.base)) as base:
        print(f"== MapLibre fills over {args.database.rsplit('/', 1)[-1]} ({base})")
        rows = fill_ratios(base, tuple(args.zooms))
        if args.decode_z5:
            tiles, features, wrong = decode_zoom(base, args.database, 5)
            print(f"== zoom 5: {tiles} tiles over Iran, {features:,} features; Σ units ≠ SQL in {len(wrong)} tiles"
                  + (f": {wrong}" if wrong else ""))
    worst = min(h / p for _, p, h, _ in rows)
    print(f"== worst neighbourhoods ÷ provinces {worst:.4f} (goal ≥ {GOAL}): {'met' if worst >= GOAL else 'NOT met'}")


@contextmanager
def _given(base: str) -> Iterator[str]:
    yield base


if __name__ == "__main__":
    main()
