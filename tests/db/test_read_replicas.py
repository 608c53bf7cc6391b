"""Reads from streaming replicas, writes to the primary, against real PostgreSQL standbys.

A scratch home gets its own primary (with the small demo) and a hot standby made by
``pishraft db replica add`` that replays each commit a second late
(``recovery_min_apply_delay``); Pishraft is served from that home in a subprocess and finds
the replica by itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from spatial.db.embedded import EmbeddedPostgis
from spatial.db.replicas import EmbeddedReplica, list_replicas
from tests.auth.conftest import cluster_with_demo, served
from tests.conftest import REPO

pytestmark = pytest.mark.slow

APPLY_DELAY_MS = 1000
READ_FROM, READ_AFTER, COMMIT_LSN = "Pishraft-Read-From", "Pishraft-Read-After", "Pishraft-Commit-LSN"


@dataclass
class Cluster:
    home: Path
    primary: EmbeddedPostgis
    replica: EmbeddedReplica
    base: str
    bearer: dict[str, str]


def pishraft(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line, on the scratch home and its embedded cluster (never DATABASE_URL)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PISHRAFT_HOME": str(home)}
    return subprocess.run([str(Path(sys.executable).parent / "pishraft"), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False, timeout=300)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("replicas-home")
    primary = cluster_with_demo(home)
    added = pishraft(home, "db", "replica", "add", "--apply-delay-ms", str(APPLY_DELAY_MS))
    assert added.returncode == 0, added.stderr
    [replica] = list_replicas(home)
    env: dict[str, str | None] = {
        "DATABASE_URL": None, "PISHRAFT_HOME": str(home), "PISHRAFT_DATA_DIR": str(home / "data"),
        "PISHRAFT_COOKIE_SECURE": "false", "PISHRAFT_REPLICA_RETRY_S": "1", "PISHRAFT_REPLICA_MAX_LAG_S": "30",
    }
    try:
        with served(env) as base:
            token = httpx.post(f"{base}/api/auth/token", timeout=30,
                               data={"username": "demo-admin", "password": "demo-admin-1403"}).json()["access_token"]
            yield Cluster(home, primary, replica, base, {"Authorization": f"Bearer {token}"})
    finally:
        pishraft(home, "db", "stop")
        shutil.rmtree(primary.root, ignore_errors=True)


def test_replica_add_makes_a_streaming_standby_that_status_and_list_show(cluster: Cluster) -> None:
    status = pishraft(cluster.home, "db", "status")
    assert status.returncode == 0, status.stderr
    assert '"name": "replica1"' in status.stdout and '"state": "streaming"' in status.stdout
    assert '"lag_bytes"' in status.stdout and '"lag_s"' in status.stdout
    listed = pishraft(cluster.home, "db", "replica", "list")
    assert "replica1" in listed.stdout and "running" in listed.stdout
    assert "recovery_min_apply_delay = '1000ms'" in (cluster.replica.data_dir / "postgresql.auto.conf").read_text()


def test_a_write_then_a_read_sees_the_write_every_time_while_replay_is_delayed(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.base, headers=cluster.bearer, timeout=30) as browser_like, \
            httpx.Client(base_url=cluster.base, headers=cluster.bearer, timeout=30) as api_client:
        created = browser_like.post("/api/organisations", json={"name": "round -1", "kind": "ngo"})
        assert created.status_code == 201, created.text
        url = f"/api/organisations/{created.json()['id']}"
        stale_elsewhere = 0
        for i in range(200):
            # Even rounds: the cookie carries the write's position; odd: an API client sends it back.
            writer = browser_like if i % 2 == 0 else api_client
            written = writer.patch(url, json={"name": f"round {i}"})
            assert written.status_code == 200, written.text
            lsn = written.headers[COMMIT_LSN]
            read = (browser_like.get(url) if i % 2 == 0
                    else httpx.get(cluster.base + url, headers={**cluster.bearer, READ_AFTER: lsn}, timeout=30))
            assert read.status_code == 200 and read.json()["name"] == f"round {i}", (i, read.headers, read.text)
            if i % 20 == 0:  # a reader who did not write is served by the replica, a second behind
                other = httpx.get(cluster.base + url, headers=cluster.bearer, timeout=30)
                seen = other.json().get("name") if other.status_code == 200 else None  # 404: not replayed yet
                stale_elsewhere += other.headers[READ_FROM] == "replica1" and seen != f"round {i}"
        # The delay is real: readers without the position saw the replica's older data.
        assert stale_elsewhere > 0
        # Once the replica has replayed the last write, it serves the writer too.
        time.sleep(APPLY_DELAY_MS / 1000 + 1.5)
        caught_up = browser_like.get(url)
        assert caught_up.json()["name"] == "round 199" and caught_up.headers[READ_FROM] == "replica1"


def test_reads_are_served_by_the_replica_once_it_has_caught_up(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.base, timeout=30) as person:
        signed_in = person.post("/api/auth/token", data={"username": "demo-admin", "password": "demo-admin-1403"})
        assert signed_in.status_code == 200 and COMMIT_LSN in signed_in.headers
        time.sleep(APPLY_DELAY_MS / 1000 + 1.0)
        answers = [person.get("/collections/provinces/items", params={"limit": 1}),
                   person.get("/collections/provinces/tiles/WebMercatorQuad/5/12/20"),
                   person.get("/api/organisations"),
                   person.get("/home"),  # a workspace page, for the signed-in person
                   person.get("/units/" + person.get("/collections/provinces/items", params={"limit": 1})
                              .json()["features"][0]["properties"]["code"])]
    for answer in answers:
        assert answer.status_code == 200 and answer.headers[READ_FROM] == "replica1", (answer.url, answer.headers)


def test_with_database_url_the_replicas_are_those_database_read_urls_names(cluster: Cluster) -> None:
    env: dict[str, str | None] = {"DATABASE_URL": cluster.primary.libpq_url(), "PISHRAFT_HOME": str(cluster.home),
                                  "DATABASE_READ_URLS": f" {cluster.replica.libpq_url()} ,"}
    with served(env) as base:
        read = httpx.get(f"{base}/collections/provinces/items", params={"limit": 1}, timeout=30)
    assert read.status_code == 200 and read.headers[READ_FROM] == "replica1"


def test_a_replica_stopped_mid_run_costs_no_read_and_comes_back_by_itself(cluster: Cluster) -> None:
    statuses, served_by = [], []
    with httpx.Client(base_url=cluster.base, timeout=30) as reader:
        for i in range(60):
            if i == 20:
                cluster.replica.stop()
            if i == 40:
                cluster.replica.start()
            r = reader.get("/collections/provinces/items", params={"limit": 2})
            statuses.append(r.status_code)
            served_by.append(r.headers.get(READ_FROM))
        assert statuses == [200] * 60
        assert set(served_by[:20]) == {"replica1"} and set(served_by[20:40]) == {"primary"}
        deadline = time.monotonic() + 15  # left out for PISHRAFT_REPLICA_RETRY_S, then tried again
        while reader.get("/collections/provinces/items", params={"limit": 2}).headers[READ_FROM] != "replica1":
            assert time.monotonic() < deadline, "the restarted replica never served reads again"
            time.sleep(0.2)


def test_a_stopped_primary_refuses_writes_with_503_and_reads_go_on(cluster: Cluster) -> None:
    made = pishraft(cluster.home, "keys", "create", "--partner", "outage-partner", "--rate", "1/s")
    assert made.returncode == 0, made.stderr
    partner = {"X-API-Key": made.stdout.split()[-1]}
    with httpx.Client(base_url=cluster.base, headers=cluster.bearer, timeout=30) as client:
        created = client.post("/api/organisations", json={"name": "before the outage", "kind": "ngo"})
        url = f"/api/organisations/{created.json()['id']}"
        time.sleep(APPLY_DELAY_MS / 1000 + 1.0)
        cluster.primary.stop()
        try:
            for _ in range(5):
                write = client.patch(url, json={"name": "during the outage"})
                assert write.status_code == 503
                error = write.json()["error"]
                assert error["code"] == "database_unavailable"
                assert "primary" in error["message"] and "cannot be saved" in error["message"]
                read = client.get(url)
                assert read.status_code == 200 and read.json()["name"] == "before the outage"
                assert read.headers[READ_FROM] == "replica1"
                items = client.get("/collections/provinces/items", params={"limit": 1})
                assert items.status_code == 200
            # A partner's key is still checked, and metered by this process alone meanwhile.
            time.sleep(1.1)
            by_partner = [httpx.get(f"{cluster.base}/collections/provinces/items", headers=partner, timeout=30)
                          for _ in range(2)]
            assert [r.status_code for r in by_partner] == [200, 429]
        finally:
            cluster.primary.start()


def test_replica_commands_refuse_a_bad_name_and_an_unknown_replica_with_a_message(cluster: Cluster) -> None:
    bad = pishraft(cluster.home, "db", "replica", "add", "Bad-Name")
    assert bad.returncode == 1 and "lower-case" in bad.stderr and "Traceback" not in bad.stderr
    missing = pishraft(cluster.home, "db", "replica", "remove", "nosuch")
    assert missing.returncode == 1 and "nosuch" in missing.stderr and "replica1" in missing.stderr


def test_replica_remove_stops_it_drops_its_slot_and_deletes_its_files(cluster: Cluster) -> None:
    removed = pishraft(cluster.home, "db", "replica", "remove", "replica1")
    assert removed.returncode == 0, removed.stderr
    assert list_replicas(cluster.home) == [] and not cluster.replica.root.exists()
    with psycopg.connect(cluster.primary.libpq_url("postgres")) as conn:
        assert conn.execute("SELECT count(*) FROM pg_replication_slots").fetchone() == (0,)
