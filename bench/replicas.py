"""Read replicas: OGC items and cold vector tiles per second with 0 and 1 streaming replica,
and how far the replica falls behind while the demo is loaded.

Makes a scratch home (its own primary under a temporary ``PISHRAFT_HOME``), adds a hot
standby with ``pishraft db replica add`` and then loads the demo (``--neighbourhoods``)
into the primary, sampling the replica's lag every 0.1 s from the primary's
``pg_stat_replication`` (bytes of WAL not yet replayed, and ``replay_lag``). Then serves
Pishraft (uvicorn, one worker, tile cache off so every tile is rendered by PostGIS) twice:
with ``DATABASE_URL`` alone (the primary serves the reads) and with
``DATABASE_READ_URLS`` naming the replica (every read goes to it), and drives each with
Debian's wrk (``--concurrency`` keep-alive connections, ``--seconds`` per pass) over
county items pages and province tiles at z5–z8. The peer is the same server without the
replica: the ratio is replica / primary-only.

What it can show on a 2-core machine: the cost of routing reads (one replay-position
check per second per worker, a second engine and pool) and that a replica serves the
whole read load. What it cannot: more capacity. The primary, the replica, the app and
wrk share the same two cores, so a replica adds no CPU; on separate machines reads scale
with the replicas until the app tier is the limit.

    .venv/bin/python bench/replicas.py
    .venv/bin/python bench/replicas.py --neighbourhoods 5000 --seconds 20 --concurrency 32
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)

from bench.load import IRAN_TILES, free_port  # noqa: E402
from bench.tiles import wrk_pass  # noqa: E402

LAG_SQL = """SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
                    COALESCE(extract(epoch FROM replay_lag), 0)::float8
             FROM pg_stat_replication WHERE application_name = %s"""


def pishraft(home: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PISHRAFT_HOME": str(home)}
    subprocess.run([str(Path(sys.executable).parent / "pishraft"), *args], env=env, check=True, cwd=REPO)


class LagSampler:
    """Samples the replica's lag on the primary every 0.1 s in a thread."""

    def __init__(self, dsn: str, name: str) -> None:
        self.dsn, self.name = dsn, name
        self.samples: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LagSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                row = conn.execute(LAG_SQL, (self.name,)).fetchone()
                if row is not None and row[0] is not None:
                    self.samples.append((int(row[0]), float(row[1])))
                time.sleep(0.1)

    def report(self, what: str) -> str:
        if not self.samples:
            return f"{what}: no samples"
        lag_bytes = np.array([s[0] for s in self.samples])
        lag_s = np.array([s[1] for s in self.samples])
        return (f"{what}: {len(self.samples)} samples; bytes behind median {np.median(lag_bytes) / 1e6:.2f} MB, "
                f"max {lag_bytes.max() / 1e6:.2f} MB; replay_lag median {np.median(lag_s) * 1000:.0f} ms, "
                f"max {lag_s.max() * 1000:.0f} ms")


@contextmanager
def served(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=REPO, env={k: v for k, v in os.environ.items() if k != "DATABASE_READ_URLS"} | env)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neighbourhoods", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="pishraft-bench-replicas-"))
    from spatial.db import migrate
    from spatial.db.embedded import EmbeddedPostgis
    from spatial.db.replicas import list_replicas

    primary = EmbeddedPostgis(home)
    try:
        primary.start()
        migrate.upgrade(primary.url())
        pishraft(home, "db", "replica", "add")
        [replica] = list_replicas(home)
        env = {"PISHRAFT_HOME": str(home), "PISHRAFT_DATA_DIR": str(home / "data"), "DATABASE_URL": primary.url()}
        started = time.perf_counter()
        with LagSampler(primary.libpq_url("postgres"), replica.name) as demo_lag:
            subprocess.run([str(Path(sys.executable).parent / "pishraft"), "demo", "load", "--neighbourhoods",
                            str(args.neighbourhoods)], env=os.environ | env, check=True, cwd=REPO,
                           stdout=subprocess.DEVNULL)
        print(f"demo load ({args.neighbourhoods} neighbourhoods) {time.perf_counter() - started:.0f} s")
        print(demo_lag.report("replication lag while the demo loads"))

        families = {
            "items": [f"/collections/counties/items?limit=10&offset={o}" for o in range(0, 300, 10)],
            "tiles": [f"/collections/provinces/tiles/WebMercatorQuad/{z}/{y}/{x}" for z, x, y in IRAN_TILES],
        }
        rates: dict[tuple[str, int], float] = {}
        script = home / "wrk.lua"
        for replicas, extra in ((0, {}), (1, {"DATABASE_READ_URLS": replica.url()})):
            with served(env | extra | {"PISHRAFT_TILE_CACHE_MB": "0"}) as base, \
                    LagSampler(primary.libpq_url("postgres"), replica.name) as read_lag:
                for family, paths in families.items():
                    wrk_pass("warm-up", base, paths, 0, args.concurrency, 2, script)
                    result = wrk_pass(f"{family}, {replicas} replica", base, paths, 0, args.concurrency,
                                      args.seconds, script)
                    assert result.errors == 0, f"{result.errors} errors"
                    rates[family, replicas] = result.rate
            if replicas:
                print(read_lag.report("replication lag under the read load"))
        print(f"\n{'':8}{'0 replicas':>14}{'1 replica':>14}{'ratio':>8}   (requests/s, {args.concurrency} "
              f"connections, {args.seconds:.0f} s)")
        for family in families:
            zero, one = rates[family, 0], rates[family, 1]
            print(f"{family:8}{zero:14.1f}{one:14.1f}{one / zero:8.2f}")
    finally:
        pishraft(home, "db", "stop")
        shutil.rmtree(primary.root, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
