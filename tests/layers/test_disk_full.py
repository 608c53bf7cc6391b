"""An upload whose raster conversion runs out of disk answers 507 naming the data directory
and the limit, and leaves nothing behind; on a small tmpfs mounted as the data directory
(skipped, saying why, where the test may not mount one)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spatial.settings import get_settings
from tests.layers.conftest import database_state
from tests.layers.test_crash_safety import big_raster


@pytest.fixture
def small_data_dir(tmp_path: Path, database_url: str) -> Iterator[Path]:
    """A 2 MB tmpfs as the data directory for the test."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {done.stderr.strip()}")
    previous = os.environ["PISHRAFT_DATA_DIR"]
    os.environ["PISHRAFT_DATA_DIR"] = str(mount)
    get_settings.cache_clear()
    try:
        yield mount
    finally:
        os.environ["PISHRAFT_DATA_DIR"] = previous
        get_settings.cache_clear()
        subprocess.run(["umount", str(mount)], check=False)


def test_a_raster_that_fills_the_disk_is_507_and_leaves_nothing(
    client: TestClient, small_data_dir: Path, tmp_path: Path
) -> None:
    raster = big_raster(tmp_path / "too_big.tif", size=1200)  # ~6 MB as a COG, the disk holds 2
    before = database_state()
    with raster.open("rb") as fh:
        answer = client.post("/api/layers", data={"name": "fills_the_disk"}, files={"file": (raster.name, fh)})
    assert answer.status_code == 507, answer.text
    error = answer.json()["error"]
    assert error["code"] == "insufficient_storage"
    assert str(small_data_dir) in error["message"] and "PISHRAFT_MAX_UPLOAD_MB" in error["message"]
    assert "Traceback" not in answer.text
    assert database_state() == before
    assert [p for p in small_data_dir.rglob("*") if p.is_file()] == []
