"""Killing Pishraft (SIGKILL) in the middle of an indicator derivation, a roadmap import or
a demo load leaves nothing half done: after a restart, which clears what interrupted work
left and says so, the database, the catalogue and the data directory agree (no half table,
no indicator without its values, no half roadmap, no orphan raster, no job said to run),
and the same request succeeds when sent again. (Uploads and layer replaces:
tests/layers/test_crash_safety.py, whose helpers these tests share: tests/crash.py.)"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.accounts.tokens import issue_token
from spatial.db import migrate
from spatial.db.engine import session_scope
from spatial.demo import COUNTIES_PER_PROVINCE, load_provinces
from tests.conftest import REPO, _server_url
from tests.crash import CLEARED, leftovers, quietly, server

pytestmark = pytest.mark.slow
SEEDS = (1, 2)
ZONAL = {"layer": "demo_population_density", "level": "neighbourhood", "method": "zonal", "stat": "mean",
         "period": "2024", "name_fa": "تراکم جمعیت (آزمون قطع)", "name_en": "Population density (crash test)"}
#: Copies of the demo roadmap's actions in the imported document: enough that importing takes a while.
ACTION_COPIES = 12


def big_roadmap(client: TestClient, title: str) -> dict[str, Any]:
    """The demo roadmap's export with its actions copied many times, under a new title."""
    first = client.get("/api/roadmaps").json()[0]
    doc = client.get(f"/api/roadmaps/{first['id']}/export", params={"format": "json"}).json()
    doc["roadmap"]["title"] = title
    doc["actions"] = [{**a, "title": f"{a['title']} {n}"} for n in range(ACTION_COPIES) for a in doc["actions"]]
    return doc


@pytest.fixture
def cleared_after(client: TestClient) -> Iterator[list[str]]:
    """Names of what a test made (roadmap titles and indicator codes), removed after it so
    that later tests find the demo as it was."""
    made: list[str] = []
    yield made
    with session_scope() as session:
        ids = session.execute(text("SELECT id FROM roadmap WHERE title = ANY(:t)"), {"t": made}).scalars().all()
        session.execute(text("DELETE FROM indicator WHERE code = ANY(:c)"), {"c": made})
    for roadmap_id in ids:
        assert client.delete(f"/api/roadmaps/{roadmap_id}").status_code == 204


def imported(title: str) -> list[int]:
    """How many actions each roadmap of this title holds (one entry per roadmap)."""
    with session_scope() as session:
        return list(session.execute(text("""SELECT count(a.id) FROM roadmap r LEFT JOIN action a ON a.roadmap_id = r.id
                                             WHERE r.title = :t GROUP BY r.id"""), {"t": title}).scalars())


def derived(code: str) -> int:
    """How many values indicator ``code`` holds (0 when it is not there)."""
    with session_scope() as session:
        return int(session.execute(text("""SELECT count(v.*) FROM indicator i JOIN indicator_value v
                                            ON v.indicator_id = i.id WHERE i.code = :c"""), {"c": code}).scalar_one())


#: One kill, 2.4 s in, while both write; a second seed killed them 0.6 s in, the same path at
#: another moment, for 94 s more on this loaded 2-core machine.
@pytest.mark.parametrize("seed", SEEDS[1:])
def test_a_killed_derivation_and_import_leave_nothing_half_done(
    seed: int, client: TestClient, tmp_path_factory: pytest.TempPathFactory, cleared_after: list[str]
) -> None:
    """A zonal derivation and a large roadmap import in flight together, the server killed
    at a random moment; restarted, then both sent again."""
    folder = tmp_path_factory.mktemp(f"crash-writes-{seed}")
    log, headers = folder / "server.log", {"Authorization": f"Bearer {issue_token('local')}"}
    code, title = f"crash_zonal_{seed}", f"crash import {seed}"
    cleared_after += [code, title]
    document = big_roadmap(client, title)
    expected_actions = len(document["actions"])

    def derive(base: str) -> httpx.Response:
        return httpx.post(f"{base}/api/indicators/derive", json={**ZONAL, "code": code}, headers=headers, timeout=300)

    def import_(base: str) -> httpx.Response:
        return httpx.post(f"{base}/api/roadmaps/import", json=document, headers=headers, timeout=300)

    with server(log) as (base, proc):
        sending = [threading.Thread(target=quietly, args=(call, base)) for call in (derive, import_)]
        for thread in sending:
            thread.start()
        time.sleep(random.Random(seed).uniform(0.3, 2.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for thread in sending:
            thread.join(timeout=60)
    assert imported(title) in ([], [expected_actions])  # the whole roadmap or none of it
    values_after_kill = derived(code)
    before_restart = leftovers()
    with server(log) as (base, _):
        assert leftovers() == [], log.read_text()
        if before_restart:
            assert CLEARED in log.read_text()
        assert derive(base).status_code == 200
        assert import_(base).status_code == 201
        assert leftovers() == []
    assert values_after_kill in (0, derived(code))  # all of the indicator's values, or none
    assert imported(title)[-1] == expected_actions


def test_a_derivation_job_whose_server_died_is_marked_failed_at_the_next_start(
        client: TestClient, tmp_path_factory: pytest.TempPathFactory, leaves_no_rows: None) -> None:
    """A background derivation's job row outlives its killed process; the next start finds
    that no process runs it any more (its lock is free), marks it failed and says so."""
    log = tmp_path_factory.mktemp("crash-job") / "server.log"
    with session_scope() as session:
        job_id = session.execute(text("""INSERT INTO derivation_job (code, request, state, requested_by)
                                         VALUES ('crash_job', '{}', 'running', 'local') RETURNING id""")).scalar_one()
    with server(log) as (base, _):
        assert f"derivation job {job_id} (marked failed)" in log.read_text()
        state = client.get(f"/indicators/derive/jobs/{job_id}")
        assert state.status_code == 200 and "Interrupted" in state.text
        assert leftovers() == []


# -- the demo load, a command of its own -------------------------------------------------

@pytest.fixture
def empty_database(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[tuple[str, Path]]:
    """A migrated database without the demo, and a data directory of its own."""
    server_url, name = _server_url(), "pishraft_crash_demo"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{server_url}/{name}".replace("postgresql://", "postgresql+psycopg://")
    migrate.upgrade(url)
    yield url, tmp_path_factory.mktemp("crash-demo-data")
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def demo_load(url: str, data_dir: Path, neighbourhoods: int) -> subprocess.Popen[str]:
    return subprocess.Popen([str(Path(sys.executable).with_name("pishraft")), "demo", "load", "--neighbourhoods",
                             str(neighbourhoods)], cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "DATABASE_URL": url, "PISHRAFT_DATA_DIR": str(data_dir),
                                 "COLUMNS": "400"})


def demo_state(url: str) -> dict[str, int]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("""SELECT (SELECT count(*) FROM admin_unit WHERE level = 'neighbourhood'),
                                     (SELECT count(*) FROM layer), (SELECT count(*) FROM roadmap)""").fetchone()
    assert row is not None
    return {"neighbourhoods": row[0], "layers": row[1], "roadmaps": row[2]}


def test_a_killed_demo_load_leaves_nothing_half_done(empty_database: tuple[str, Path]) -> None:
    """``pishraft demo load`` killed at a random moment, then run again: each time the
    database holds the whole demo or none of it (the previous one), never half; the rerun
    clears the orphan rasters the killed one left, says so, and loads it."""
    url, data_dir = empty_database
    smallest = len(load_provinces()) * COUNTIES_PER_PROVINCE
    nothing = demo_state(url)
    for seed, neighbourhoods in zip(SEEDS, (smallest, smallest + 31), strict=True):
        before = demo_state(url)
        loading = demo_load(url, data_dir, neighbourhoods)
        time.sleep(random.Random(seed).uniform(2.0, 8.0))
        loading.send_signal(signal.SIGKILL)
        loading.wait()
        after_kill = demo_state(url)
        assert after_kill == before or after_kill["neighbourhoods"] == neighbourhoods
        left = leftovers(url, data_dir)
        rerun = demo_load(url, data_dir, neighbourhoods)
        said, _ = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, said
        if left:
            assert CLEARED in said, said
        assert leftovers(url, data_dir) == [], said
        loaded = demo_state(url)
        assert loaded["neighbourhoods"] == neighbourhoods and loaded["layers"] > nothing["layers"]
        assert loaded["roadmaps"] > 0
