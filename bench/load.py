"""Bounded load test: many concurrent clients against a local Pishraft for a fixed time.

Starts Pishraft (uvicorn, ``--workers``) on a free loopback port against the
configured database (migrated and given the demo first, if need be), or uses ``--url`` (loopback only),
then runs ``--clients`` keep-alive clients for ``--duration`` seconds after a short
warm-up, over the partner endpoints when they exist (vector tiles, OGC items) and
the units and map endpoints otherwise. The clients are shared evenly among the
endpoint families, each client requesting its family's paths in turn, so that slow
requests of one family do not hold back the clients of another. Prints throughput, p50/p99 latency and the
error count, per endpoint and in all.

The client is a minimal asyncio HTTP/1.1 client, so that it is not the bottleneck.

Goals (issues 9 and 30): 0 errors, p99 < 250 ms on warm tiles and < 500 ms on items, with
200 clients for 60 s; the throughput is printed beside them.

    .venv/bin/python bench/load.py                      # 200 clients, 60 s
    .venv/bin/python bench/load.py --clients 50 --duration 10
    .venv/bin/python bench/load.py --fresh-items        # every items page read afresh: a cache miss's cost
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

REPO = Path(__file__).resolve().parents[1]
GOAL_P99_MS = 250.0
GOAL_ITEMS_P99_MS = 500.0
TILE_PATH = "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"
ITEMS_PATH = "/collections/{collectionId}/items"

# Tiles over Iran (z/x/y in XYZ; OGC order is tileMatrix/tileRow/tileCol = z/y/x).
IRAN_TILES = [(5, 20, 12), (5, 21, 12), (5, 20, 13), (6, 41, 25), (6, 42, 25), (6, 41, 26),
              (7, 83, 51), (7, 84, 51), (7, 84, 52), (8, 167, 103), (8, 168, 104)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoints(base: str) -> dict[str, list[str]]:
    """Paths to request, by endpoint family, chosen from what the server offers."""
    with urllib.request.urlopen(f"{base}/openapi.json", timeout=30) as r:
        paths = set(json.load(r)["paths"])
    chosen: dict[str, list[str]] = {}
    if TILE_PATH in paths:
        chosen["tiles (provinces, z5-8)"] = [f"/collections/provinces/tiles/WebMercatorQuad/{z}/{y}/{x}"
                                             for z, x, y in IRAN_TILES]
    if ITEMS_PATH in paths:
        chosen["items (counties, limit 10)"] = [f"/collections/counties/items?limit=10&offset={o}"
                                                for o in range(0, 300, 10)]
    if not chosen:
        with urllib.request.urlopen(f"{base}/api/units?level=province&simplify=0.1", timeout=30) as r:
            codes = [f["properties"]["code"] for f in json.load(r)["features"]]
        chosen["units (one unit)"] = [f"/api/units/{code}" for code in codes]
        chosen["units (point lookup)"] = [f"/api/units/at?lon={57 + i * 0.1:.1f}&lat={30 + i * 0.05:.2f}"
                                          for i in range(10)]
        chosen["units (provinces, simplified)"] = ["/api/units?level=province&simplify=0.05"]
        chosen["maps (overview page)"] = ["/maps/overview?lang=en"]
    return chosen


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int, headers: str) -> None:
        self.host, self.port, self.headers = host, port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.headers}\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
        if "content-length" in fields:
            await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        if fields.get("connection") == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def run_clients(base: str, families: dict[str, list[str]], clients: int, seconds: float,
                      headers: str) -> dict[str, tuple[list[float], int]]:
    """Client ``k`` walks the paths of family ``k mod len(families)`` from its own offset until time is up."""
    parts = urlsplit(base)
    deadline = time.perf_counter() + seconds
    results: dict[str, tuple[list[float], list[int]]] = defaultdict(lambda: ([], [0]))

    names = sorted(families)

    async def client(k: int) -> None:
        conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80, headers)
        family = names[k % len(names)]
        paths = families[family]
        latencies, errors = results[family]
        i = k * 7
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            try:
                status = await conn.get(path)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors[0] += 1
                await conn.close()
                continue
            latencies.append(time.perf_counter() - start)
            if not (200 <= status < 300 or status == 304):
                errors[0] += 1
        await conn.close()

    await asyncio.gather(*(client(k) for k in range(clients)))
    return {family: (lat, err[0]) for family, (lat, err) in results.items()}


def report(results: dict[str, tuple[list[float], int]], seconds: float, clients: int, workers: int | None) -> None:
    print(f"\nPishraft load test: {clients} concurrent clients, {seconds:.0f} s"
          + (f", {workers} server workers" if workers else "") + ", loopback\n")
    print(f"{'endpoint':<32}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    everything: list[float] = []
    total_errors = 0
    for family, (latencies, errors) in sorted(results.items()):
        ms = np.array(latencies) * 1000
        everything.extend(latencies)
        total_errors += errors
        p50, p99 = (np.percentile(ms, 50), np.percentile(ms, 99)) if len(ms) else (float("nan"),) * 2
        print(f"{family:<32}{len(ms):>10}{len(ms) / seconds:>10.1f}{p50:>10.1f}{p99:>10.1f}{errors:>8}")
    ms = np.array(everything) * 1000
    p99 = np.percentile(ms, 99) if len(ms) else float("nan")
    print(f"{'all':<32}{len(ms):>10}{len(ms) / seconds:>10.1f}{np.percentile(ms, 50):>10.1f}{p99:>10.1f}"
          f"{total_errors:>8}")
    print(f"\nGoals at {len(ms) / seconds:.0f} requests/s in all: 0 errors (got {total_errors})")
    for prefix, goal in (("tiles", GOAL_P99_MS), ("items", GOAL_ITEMS_P99_MS)):
        family = [np.array(lat) * 1000 for name, (lat, _) in results.items() if name.startswith(prefix) and lat]
        if not family:
            continue
        got = np.percentile(np.concatenate(family), 99)
        rate = sum(len(f) for f in family) / seconds
        print(f"  p99 < {goal:.0f} ms on {prefix} at {rate:.0f}/s: got {got:.1f} ms "
              f"({'met' if got < goal and not total_errors else 'missed'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="A running Pishraft on loopback (default: start one)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="Measured seconds (max 300)")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2, help="Server workers when starting one")
    parser.add_argument("--api-key", help="Send this partner key (X-API-Key)")
    parser.add_argument("--fresh-items", action="store_true",
                        help="Start the server with no items page cache (PISHRAFT_ITEMS_CACHE_MB=0), so that every "
                             "items request reads and encodes its page: the cost of a miss, not of a hit")
    args = parser.parse_args()
    if args.duration > 300 or args.clients > 1000:
        parser.error("bounded: at most 300 s and 1000 clients")
    if args.url and not is_loopback(args.url):
        parser.error("loopback only: --url must be http://127.0.0.1:PORT or localhost")
    if args.url and args.fresh_items:
        parser.error("--fresh-items sets the server's cache, so it starts the server itself: leave out --url")

    # A SIGTERM (e.g. from `timeout`) still stops the server this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = None
    base = args.url
    if base is None:
        from spatial.demo import prepare_demo_database

        prepare_demo_database(progress=lambda step: print(f"  demo: {step}", flush=True))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            # The same server as `pishraft serve` (plain uvicorn workers with TCP_NODELAY).
            [sys.executable, "-m", "api.workers", "api.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(args.workers), "--log-level", "warning"],
            # Default settings, as a deployment has them (but for --fresh-items).
            cwd=REPO, env={**os.environ, "PISHRAFT_ITEMS_CACHE_MB": "0"} if args.fresh_items else None,
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
    try:
        families = endpoints(base)
        headers = f"X-API-Key: {args.api_key}\r\n" if args.api_key else ""
        asyncio.run(run_clients(base, families, min(args.clients, 50), args.warmup, headers))
        results = asyncio.run(run_clients(base, families, args.clients, args.duration, headers))
        report(results, args.duration, args.clients, args.workers if server else None)
        if args.fresh_items:
            print("  (items read afresh: no items page cache)")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
