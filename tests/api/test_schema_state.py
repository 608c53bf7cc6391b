"""A server never runs on a schema that is not its own: ``pishraft serve`` (and uvicorn
started directly) refuses an unmigrated database and names the command to run,
``--migrate`` migrates first, and ``/health`` reports the schema's state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from spatial.db.embedded import free_port
from tests.auth.conftest import served
from tests.conftest import REPO

pytestmark = pytest.mark.slow

PISHRAFT = str(Path(sys.executable).parent / "pishraft")
UPGRADE = "run `pishraft db upgrade`"


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A database on the test server that nobody has migrated (as `pishraft db start` leaves it)."""
    server = database_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    name = f"pishraft_test_empty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(args: list[str], url: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command against ``url`` until it ends (a server that starts is a failure: timeout)."""
    return subprocess.run(args, check=False, cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DATABASE_URL": url, "COLUMNS": "300", **env})


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


def test_serve_refuses_a_database_never_migrated_and_names_the_command(empty_database: str) -> None:
    done = _run([PISHRAFT, "serve", "--port", str(free_port())], empty_database)
    assert done.returncode == 1
    message = _one_line(done.stderr)
    assert f"The database has no Pishraft schema yet: {UPGRADE}" in message
    assert "pishraft serve --migrate" in message
    assert "Traceback" not in done.stderr + done.stdout
    assert _tables(empty_database) == []  # refusing changes nothing


def test_uvicorn_started_directly_refuses_too(empty_database: str) -> None:
    done = _run([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(free_port())],
                empty_database)
    assert done.returncode != 0
    assert f"not starting: The database has no Pishraft schema yet: {UPGRADE}" in _one_line(done.stderr)


def test_the_setting_to_migrate_at_start_migrates_then_serves(empty_database: str) -> None:
    port = free_port()
    server = subprocess.Popen([PISHRAFT, "serve", "--port", str(port)], cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env={**os.environ, "DATABASE_URL": empty_database, "PISHRAFT_MIGRATE_ON_START": "true"})
    try:
        health, deadline = None, time.monotonic() + 120
        while server.poll() is None and health is None and time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
            except httpx.TransportError:
                time.sleep(0.3)
        assert health is not None, server.stderr.read().decode() if server.stderr else ""
        assert health.status_code == 200, health.text
        assert health.json()["schema"]["status"] == "current"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_cli_command_on_a_database_never_migrated_names_the_command(empty_database: str) -> None:
    done = _run([PISHRAFT, "demo", "load"], empty_database)
    assert done.returncode == 1
    assert f"error: The database has no Pishraft schema yet: {UPGRADE}" in _one_line(done.stderr)
    assert "Traceback" not in done.stderr


def test_health_reports_a_schema_behind_or_ahead_of_this_version(empty_database: str) -> None:
    from spatial.db import migrate

    migrate.upgrade(empty_database)
    heads = migrate.schema_state().expected  # the test database is this version's
    with served({"DATABASE_URL": empty_database}) as base:
        health = httpx.get(f"{base}/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["schema"] == {"status": "current", "revision": list(heads), "expected": list(heads)}

        with psycopg.connect(empty_database, autocommit=True) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '0007_token_revocation'")
        health = httpx.get(f"{base}/health", timeout=10)
        assert health.status_code == 503
        assert health.json()["status"] == "degraded" and health.json()["database"] == "up"
        schema = health.json()["schema"]
        assert schema["status"] == "outdated" and schema["revision"] == ["0007_token_revocation"]
        assert schema["message"].endswith(UPGRADE + ".")

        with psycopg.connect(empty_database, autocommit=True) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999_from_a_newer_pishraft'")
        schema = httpx.get(f"{base}/health", timeout=10).json()["schema"]
        assert schema["status"] == "unknown" and "a newer Pishraft migrated it" in schema["message"]


def test_a_database_emptied_under_a_running_server_gets_503_naming_the_command(empty_database: str) -> None:
    from spatial.db import migrate

    migrate.upgrade(empty_database)
    with served({"DATABASE_URL": empty_database}) as base:
        assert httpx.get(f"{base}/api/units", params={"level": "province"}, timeout=10).status_code == 200
        with psycopg.connect(empty_database, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
            conn.execute("CREATE EXTENSION postgis")
        response = httpx.get(f"{base}/api/units", params={"level": "province"}, timeout=10)
        assert response.status_code == 503, response.text
        assert response.json()["error"] == {"code": "schema_not_current", "field": None,
                                            "message": f"The database has no Pishraft schema yet: {UPGRADE}."}
        health = httpx.get(f"{base}/health", timeout=10)
        assert health.status_code == 503 and health.json()["schema"]["status"] == "missing"
