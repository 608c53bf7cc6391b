"""The recovery drill: with the demo backed up by pgBackRest, a moment is noted, roadmaps
are deleted in bulk and a layer replaced; `pishraft db restore --to` that moment, into a
new home, gives back every roadmap, history row and layer (tables and COG checksums)
exactly as they were. Runs on a cluster of its own."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from spatial.db import migrate, pitr
from spatial.db.embedded import EmbeddedPostgis
from spatial.demo import load_demo
from spatial.settings import get_settings
from tests.auth.conftest import MIN_NEIGHBOURHOODS, REPO
from tests.auth.test_backup import table_fingerprints

pytestmark = pytest.mark.slow


def pishraft(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI on ``home``'s embedded cluster (not the test database)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PISHRAFT_HOME=str(home), PISHRAFT_DATA_DIR=str(home / "data"))
    return subprocess.run([str(Path(sys.executable).with_name("pishraft")), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False, timeout=900)


@pytest.fixture
def demo_home(tmp_path: Path) -> Iterator[EmbeddedPostgis]:
    """A home of its own with the (smallest) demo, layers and raster files included."""
    home = tmp_path / "home"
    home.mkdir()
    for folder in (tmp_path, home):  # the cluster's service user walks in
        folder.chmod(0o755)
    pg = EmbeddedPostgis(home)
    pg.start()
    url = pg.url()
    migrate.upgrade(url)
    previous = os.environ.get("PISHRAFT_DATA_DIR")
    os.environ["PISHRAFT_DATA_DIR"] = str(home / "data")
    get_settings.cache_clear()
    engine = create_engine(url)
    try:
        with Session(engine) as s, s.begin():
            load_demo(s, neighbourhoods=MIN_NEIGHBOURHOODS)
    finally:
        engine.dispose()
        os.environ.pop("PISHRAFT_DATA_DIR") if previous is None else os.environ.update(PISHRAFT_DATA_DIR=previous)
        get_settings.cache_clear()
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(pg.root, ignore_errors=True)  # under /var/tmp when the home is private


def cogs(dsn: str, data_dir: Path) -> dict[str, str]:
    """SHA-256 of each raster file the catalogue names."""
    with psycopg.connect(dsn) as conn:
        named = [r[0] for r in conn.execute("SELECT raster_path FROM layer WHERE raster_path IS NOT NULL")]
    return {p: hashlib.sha256((data_dir / p).read_bytes()).hexdigest() for p in named}


def tables(dsn: str) -> dict[str, tuple[int, str]]:
    # Sequences are left out: PostgreSQL logs them ahead, so after recovery they may stand further on.
    return {k: v for k, v in table_fingerprints(dsn).items() if not k.startswith("sequence ")}


def test_restore_to_a_moment_before_a_bulk_mistake_gives_everything_back(
    demo_home: EmbeddedPostgis, tmp_path: Path
) -> None:
    home, dsn = demo_home.home, demo_home.libpq_url()
    began = time.monotonic()
    made = pishraft(home, "db", "backup")
    backup_s = time.monotonic() - began
    assert made.returncode == 0, made.stderr + made.stdout
    listed = pishraft(home, "db", "backup", "list")
    assert listed.returncode == 0 and '"type": "full"' in listed.stdout

    before, files_before = tables(dsn), cogs(dsn, home / "data")
    assert before["public.roadmap"][0] > 0 and before["public.history"][0] > 0 and files_before
    with psycopg.connect(dsn) as conn:
        moment = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
    time.sleep(1.5)

    # The mistake: every roadmap deleted, a raster layer replaced by another file.
    replaced = next(iter(files_before))
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM roadmap")
        conn.execute("UPDATE layer SET raster_path = %s, version = version + 1 WHERE raster_path = %s",
                     (replaced + ".v2.tif", replaced))
    (home / "data" / (replaced + ".v2.tif")).write_bytes(os.urandom(50_000))
    (home / "data" / replaced).unlink()
    assert tables(dsn)["public.roadmap"][0] == 0

    restored_home = tmp_path / "restored"
    began = time.monotonic()
    restored = pishraft(home, "db", "restore", "--to", moment.isoformat(), "--into", str(restored_home))
    restore_s = time.monotonic() - began
    assert restored.returncode == 0, restored.stderr + restored.stdout
    again = EmbeddedPostgis(restored_home)
    try:
        assert tables(again.libpq_url()) == before
        assert cogs(again.libpq_url(), restored_home / "data") == files_before
    finally:
        again.stop()
        shutil.rmtree(again.root, ignore_errors=True)
    repository = sum(f.stat().st_size for f in pitr.repository(demo_home).rglob("*") if f.is_file())
    print(f"\nrecovery drill: backup {backup_s:.1f} s, restore {restore_s:.1f} s, "
          f"repository {repository / 1e6:.1f} MB")
