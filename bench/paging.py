"""Feature paging on 50,000 neighbourhoods: the last page against the first, and a whole read.

Goal (issue 19): with QGIS's and GDAL's page of 100, the last page costs no more than
twice the first (ratio last/first ≤ 2.0), following the server's own ``next`` links
(keyset cursor); and ``ogr2ogr`` from ``OAPIF:`` copies all 50,000 with no duplicate
or missing code.

What it does:

1. Uses the scratch database of ``bench/tiles.py`` (``pishraft_bench_tiles``: the demo
   with 50,000 neighbourhoods, loaded on first use).
2. Starts Pishraft (one uvicorn worker, as ``pishraft serve`` runs it).
3. Reads all neighbourhoods page by page (``limit=100``) through the ``next`` links,
   checking every code comes once; keeps the last page's URL.
4. Times, each ``--repeat`` times (median): the first page, the last page by its ``next``
   link (cursor), and the last page by ``offset`` (the peer: what a client that computes
   offsets gets; it used to cost a second at offset 6,100).
5. Runs ``ogr2ogr -f GeoJSON out.geojson OAPIF:<server> neighbourhoods`` with GDAL's
   default paging and with ``-oo PAGE_SIZE=1000``, checks the codes against PostGIS, and
   prints the times.

Run: ``.venv/bin/python bench/paging.py`` (a few minutes; about a minute more the first
time, to load the 50,000 neighbourhoods).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.tiles import free_port, prepare_database, serving  # noqa: E402

PAGE = 100
COLLECTION = "neighbourhoods"


def timed(http: httpx.Client, url: str, repeat: int) -> tuple[float, dict]:
    """The median seconds of ``repeat`` GETs of ``url``, and the last body."""
    times, body = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        response = http.get(url)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
        body = response.json()
    return statistics.median(times), body


def next_link(body: dict) -> str | None:
    return next((link["href"] for link in body["links"] if link["rel"] == "next"), None)


def read_all(http: httpx.Client, base: str) -> tuple[list[str], str, float]:
    """Every code through the next links, the URL of the last page, and the seconds it took."""
    url: str | None = f"{base}/collections/{COLLECTION}/items?limit={PAGE}"
    codes: list[str] = []
    last = url
    started = time.perf_counter()
    while url:
        body = http.get(url).raise_for_status().json()
        codes += [f["id"] for f in body["features"]]
        last, url = url, next_link(body)
    return codes, last or "", time.perf_counter() - started


def ogr2ogr(base: str, *options: str) -> tuple[list[str], float]:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.geojson"
        started = time.perf_counter()
        subprocess.run(["ogr2ogr", "-f", "GeoJSON", str(target), f"OAPIF:{base}", COLLECTION, "-select", "code",
                        *options], check=True, capture_output=True, text=True, timeout=1800)
        seconds = time.perf_counter() - started
        codes = [f["properties"]["code"] for f in json.loads(target.read_text())["features"]]
    return codes, seconds


def check(name: str, codes: list[str], expected: set[str]) -> str:
    duplicates = len(codes) - len(set(codes))
    missing = len(expected - set(codes))
    extra = len(set(codes) - expected)
    verdict = "OK" if not (duplicates or missing or extra) else "WRONG"
    return f"{name}: {len(codes):,} features, {duplicates} duplicate, {missing} missing, {extra} extra — {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="timings per page (median)")
    parser.add_argument("--reload", action="store_true", help="reload the 50,000 neighbourhoods")
    args = parser.parse_args()

    import psycopg

    url = prepare_database(args.reload)
    with psycopg.connect(url) as conn:
        expected = {r[0] for r in conn.execute(
            "SELECT code FROM admin_unit WHERE level = 'neighbourhood' AND valid_to IS NULL")}
    print(f"== {len(expected):,} neighbourhoods in {url.rsplit('/', 1)[-1]}")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning"]
    with serving(command, {"DATABASE_URL": url}, f"{base}/collections", out / "paging-server.log"), \
            httpx.Client(timeout=300) as http:
        codes, last_url, whole = read_all(http, base)
        print(check(f"next links, pages of {PAGE}", codes, expected) + f" in {whole:.1f} s")
        first_url = f"{base}/collections/{COLLECTION}/items?limit={PAGE}"
        last_offset = f"{base}/collections/{COLLECTION}/items?limit={PAGE}&offset={(len(codes) - 1) // PAGE * PAGE}"
        for warm in (first_url, last_url, last_offset):
            http.get(warm)
        first, _ = timed(http, first_url, args.repeat)
        last, body = timed(http, last_url, args.repeat)
        by_offset, body_offset = timed(http, last_offset, args.repeat)
        assert [f["id"] for f in body["features"]] == [f["id"] for f in body_offset["features"]]
        print(f"first page        {first * 1000:8.1f} ms")
        print(f"last page, cursor {last * 1000:8.1f} ms   ratio last/first {last / first:5.2f}  (goal ≤ 2.0)")
        print(f"last page, offset {by_offset * 1000:8.1f} ms   ratio last/first {by_offset / first:5.2f}")
        for label, options in (("ogr2ogr OAPIF, default paging", ()),
                               ("ogr2ogr OAPIF, -oo PAGE_SIZE=1000", ("-oo", "PAGE_SIZE=1000"))):
            got, seconds = ogr2ogr(base, *options)
            print(check(label, got, expected) + f" in {seconds:.1f} s")


if __name__ == "__main__":
    main()
