"""A national map of 50,000 neighbourhoods: folium's naive way against Pishraft's.

Goal: Pishraft's page ≤ 5 MB and fully drawn in < 3 s in headless Chromium.

- **naive**: ``folium.Choropleth`` on the full GeoDataFrame (exact geometry as GeoJSON,
  SVG paths);
- **pishraft**: ``maps.pages.overview_map(level="neighbourhood")`` (coverage
  simplification for the zoom, quantised int16 steps, gzip + base64, one canvas).

Both pages load Leaflet from local copies and are served from 127.0.0.1; every other
request is blocked. The data is the demo with 50,000 neighbourhoods, loaded once into a
scratch database ``pishraft_bench_maps`` of the embedded cluster (``DATABASE_URL`` to use
another server). Run: ``.venv/bin/python bench/maps.py`` (about 3 minutes the first time).
"""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import sys
import threading
import time
from pathlib import Path

import folium
import pandas as pd
import psycopg

REPO = Path(__file__).resolve().parents[1]
# This file is bench/maps.py: keep its folder off the import path so that `maps` is Pishraft's package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
OUT = REPO / "bench" / "out" / "maps"
DATABASE = "pishraft_bench_maps"
NEIGHBOURHOODS = 50_000
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def scratch_database() -> str:
    """The URL of a database holding the 50,000-neighbourhood demo (made on first use)."""
    from spatial.db.embedded import EmbeddedPostgis

    if os.environ.get("DATABASE_URL"):
        server = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    else:
        pg = EmbeddedPostgis(Path(os.environ.get("PISHRAFT_HOME", REPO / ".pishraft")))
        pg.start()
        server = pg.libpq_url().rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = f"{server}/{DATABASE}".replace("postgresql://", "postgresql+psycopg://")
    os.environ["DATABASE_URL"] = url
    from spatial.db import migrate
    from spatial.db.engine import session_scope
    from spatial.demo import load_demo

    migrate.upgrade(url)
    with session_scope() as session:
        if load_demo(session, NEIGHBOURHOODS, progress=lambda step: print(f"  demo: {step}", flush=True)):
            print("  demo loaded", flush=True)
    return url


def build_pages() -> dict[str, tuple[Path, float]]:
    """Write both pages; returns {way: (path, seconds to build)}."""
    from maps.assets import copy_static, localise, write_page
    from maps.pages import FileLinks, overview_map
    from spatial.units.frames import units_frame
    from spatial.analytics import indicators
    from spatial.db.engine import session_scope

    OUT.mkdir(parents=True, exist_ok=True)
    copy_static(OUT)
    built = {}
    with session_scope() as session:
        start = time.perf_counter()
        frame = units_frame(session, level="neighbourhood")
        _, values = indicators.values_by_unit(session, "unemployment_rate", level="neighbourhood")
        fmap = folium.Map(location=[32.5, 54.0], zoom_start=5, tiles=None)
        choropleth = folium.Choropleth(
            geo_data=frame[["code", "name_fa", "name_en", "geometry"]],
            data=pd.DataFrame({"code": list(values), "value": list(values.values())}),
            columns=["code", "value"], key_on="feature.properties.code", fill_color="YlOrRd", bins=5,
        )
        # Its legend needs d3 from a CDN; dropped so that both pages load only local files.
        del choropleth._children[choropleth.color_scale.get_name()]
        choropleth.color_scale = None
        choropleth.add_to(fmap)
        naive = OUT / "naive.html"
        localise(fmap, "static/").save(str(naive))
        built["naive"] = (naive, time.perf_counter() - start)

        start = time.perf_counter()
        page = write_page(overview_map(session, level="neighbourhood", links=FileLinks()), OUT / "pishraft.html")
        built["pishraft"] = (page, time.perf_counter() - start)
    return built


def load_times(pages: dict[str, Path]) -> dict[str, tuple[float, float, int]]:
    """{way: (seconds to 'load', seconds until drawn, shapes drawn)} in headless Chromium."""
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(OUT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for way, path in pages.items():
                context = browser.new_context(viewport={"width": 1200, "height": 800})
                page = context.new_page()
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("http://127.0.0.1")
                           else r.abort())
                start = time.perf_counter()
                page.goto(f"http://127.0.0.1:{server.server_port}/{path.name}", wait_until="load", timeout=600_000)
                loaded = time.perf_counter() - start
                if way == "pishraft":
                    page.wait_for_function("document.documentElement.dataset.pishraftDrawn === 'true'",
                                           timeout=600_000, polling=20)
                    shapes = page.evaluate("Pishraft.layers[0].count()")
                else:
                    # SVG paths exist once Leaflet has added them; two frames later they are painted.
                    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                    shapes = page.locator("path.leaflet-interactive").count()
                drawn = time.perf_counter() - start
                page.screenshot(path=str(OUT / f"{way}.png"))
                results[way] = (loaded, drawn, shapes)
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return results


def main() -> int:
    print(f"scratch database with {NEIGHBOURHOODS:,} neighbourhoods…", flush=True)
    scratch_database()
    built = build_pages()
    times = load_times({way: path for way, (path, _) in built.items()})
    print(f"\n{'way':<10}{'HTML MB':>9}{'gzip MB':>9}{'build s':>9}{'load s':>8}{'drawn s':>9}{'shapes':>8}")
    for way, (path, build_s) in built.items():
        raw = path.read_bytes()
        loaded, drawn, shapes = times[way]
        print(f"{way:<10}{len(raw) / 1e6:>9.2f}{len(gzip.compress(raw, 6)) / 1e6:>9.2f}{build_s:>9.1f}"
              f"{loaded:>8.2f}{drawn:>9.2f}{shapes:>8,}")
    naive_size, pishraft_size = (built[w][0].stat().st_size for w in ("naive", "pishraft"))
    print(f"\nnaive / pishraft: size ×{naive_size / pishraft_size:.1f}, "
          f"drawn ×{times['naive'][1] / times['pishraft'][1]:.1f}")
    ok = pishraft_size <= 5e6 and times["pishraft"][1] < 3.0
    print(f"goal (≤ 5 MB, drawn < 3 s): {'met' if ok else 'NOT met'}; pages and screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
