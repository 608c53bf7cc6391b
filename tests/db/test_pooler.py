"""Pishraft through a real PgBouncer (Debian's package) in transaction mode: nothing it does
needs a server session to last beyond a transaction.

PgBouncer runs with two server connections per database, so the app's connections take
turns on them between transactions, as in production under load.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from spatial.db.embedded import SERVICE_USER, free_port
from tests.auth.conftest import served

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pgbouncer(database_url: str) -> Iterator[str]:
    """PgBouncer in transaction mode in front of the test database; yields its libpq URL.

    Database ``single`` is the same one behind a single server connection."""
    server = make_url(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="pishraft-pgbouncer-", dir="/var/tmp"))  # the postgres user reads it
    port = free_port()
    (workdir / "userlist.txt").write_text(f'"{server.username}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        f"[databases]\n{server.database} = host={server.host} port={server.port}\n"
        f"single = host={server.host} port={server.port} dbname={server.database} pool_size=1\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\nauth_type = trust\n"
        f"auth_file = {workdir}/userlist.txt\npool_mode = transaction\ndefault_pool_size = 2\n"
        "max_client_conn = 200\nignore_startup_parameters = extra_float_digits, options\n")
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        pytest.fail("pgbouncer is not installed: run `make setup` (scripts/bootstrap.sh installs it)")
    argv = [binary, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        service = pwd.getpwnam(SERVICE_USER)
        for path in (workdir, *workdir.iterdir()):
            os.chown(path, service.pw_uid, service.pw_gid)
        argv = ["runuser", "-u", SERVICE_USER, "--", *argv]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pgbouncer did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.1)
        yield f"postgresql://{server.username}@127.0.0.1:{port}/{server.database}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def test_server_side_prepared_statements_break_under_transaction_pooling(pgbouncer: str) -> None:
    """Why PISHRAFT_PREPARED_STATEMENTS=false: psycopg prepares a query run five times, on a
    server connection that another client then finds the name taken on (or missing)."""
    single = pgbouncer.rsplit("/", 1)[0] + "/single"

    def run_twice_five_times(prepare_threshold: int | None) -> None:
        with psycopg.connect(single, autocommit=True, prepare_threshold=prepare_threshold) as a, \
                psycopg.connect(single, autocommit=True, prepare_threshold=prepare_threshold) as b:
            for _ in range(6):
                a.execute("SELECT %s::int", (1,))
                b.execute("SELECT %s::text", ("x",))

    with pytest.raises(psycopg.errors.DatabaseError, match="prepared statement"):
        run_twice_five_times(prepare_threshold=5)  # psycopg's default
    run_twice_five_times(prepare_threshold=None)


def test_pishraft_reads_and_writes_through_pgbouncer_in_transaction_mode(pgbouncer: str) -> None:
    env: dict[str, str | None] = {"DATABASE_URL": pgbouncer, "PISHRAFT_PREPARED_STATEMENTS": "false"}
    with served(env) as base:
        token = httpx.post(f"{base}/api/auth/token", timeout=30,
                           data={"username": "demo-admin", "password": "demo-admin-1403"}).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}

        def round_trip(i: int) -> list[int]:
            with httpx.Client(base_url=base, headers=bearer, timeout=60) as client:
                statuses = [client.get("/collections/provinces/items", params={"limit": 5}).status_code,
                            client.get("/collections/counties/tiles/WebMercatorQuad/5/12/20").status_code,
                            client.get("/api/organisations", params={"q": "pooled"}).status_code]
                created = client.post("/api/organisations", json={"name": f"pooled {i}", "kind": "ngo"})
                statuses.append(created.status_code)
                url = f"/api/organisations/{created.json()['id']}"
                statuses.append(client.patch(url, json={"name": f"pooled {i} renamed"}).status_code)
                read = client.get(url)
                statuses.append(read.status_code if read.json()["name"] == f"pooled {i} renamed" else 0)
                statuses.append(client.delete(url).status_code)
                return statuses

        # More rounds than psycopg's prepare threshold, from more clients than server connections.
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(round_trip, range(24)))
    for statuses in results:  # a tile with no county in it is 204
        assert statuses[1] in (200, 204) and statuses[:1] + statuses[2:] == [200, 200, 201, 200, 200, 204], results
