"""Backup and point-in-time restore of the 50,000-neighbourhood demo, against pg_dump.

Makes a home of its own (``--home``, default a temporary folder), loads the demo with
``--neighbourhoods`` (default 50,000), then times, through the CLI as an operator runs it:
``pishraft db backup`` (pgBackRest, full), an incremental backup after a small change,
``pishraft db restore --to`` a moment into a new home, and the peer ``pishraft db backup
--dump`` (pg_dump). Prints each time, the repository's size, and the ratios against pg_dump.

    .venv/bin/python bench/recovery.py [--neighbourhoods 50000] [--home /tmp/pishraft-recovery]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
PISHRAFT = str(Path(sys.executable).with_name("pishraft"))


def timed(home: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PISHRAFT_HOME=str(home), PISHRAFT_DATA_DIR=str(home / "data"))
    began = time.monotonic()
    done = subprocess.run([PISHRAFT, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"pishraft {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return time.monotonic() - began


def size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neighbourhoods", type=int, default=50_000)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    base = args.home or Path(tempfile.mkdtemp(prefix="pishraft-recovery-", dir="/var/tmp"))
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    home, restored = base / "home", base / "restored"
    from spatial.db import pitr
    from spatial.db.embedded import EmbeddedPostgis

    pg = EmbeddedPostgis(home)
    try:
        timed(home, "db", "start")
        timed(home, "db", "upgrade")
        load_s = timed(home, "demo", "load", "--neighbourhoods", str(args.neighbourhoods))
        full_s = timed(home, "db", "backup")
        with psycopg.connect(pg.libpq_url()) as conn:
            conn.execute("UPDATE roadmap SET title = title || ' (bench)' WHERE id = (SELECT min(id) FROM roadmap)")
            moment = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
        time.sleep(1)
        incr_s = timed(home, "db", "backup")
        restore_s = timed(home, "db", "restore", "--to", moment.isoformat(), "--into", str(restored))
        dump_s = timed(home, "db", "backup", "--dump", str(base / "dump.tar"))
        repo_mb, dump_mb = size_mb(pitr.repository(pg)), (base / "dump.tar").stat().st_size / 1e6
        print(f"demo with {args.neighbourhoods} neighbourhoods loaded in {load_s:.0f} s")
        print(f"pgBackRest full backup   {full_s:7.1f} s   ({full_s / dump_s:.2f}× pg_dump's {dump_s:.1f} s)")
        print(f"pgBackRest incr. backup  {incr_s:7.1f} s   ({incr_s / dump_s:.2f}× pg_dump)")
        print(f"restore --to a moment    {restore_s:7.1f} s   (new home, WAL replayed, layer files copied)")
        print(f"repository               {repo_mb:7.1f} MB  ({repo_mb / dump_mb:.2f}× the dump's {dump_mb:.1f} MB)")
    finally:
        EmbeddedPostgis(restored).stop()
        pg.stop()
        if args.home is None:
            shutil.rmtree(base, ignore_errors=True)
            shutil.rmtree(pg.root, ignore_errors=True)


if __name__ == "__main__":
    main()
