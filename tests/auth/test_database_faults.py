"""While PostGIS is down the API answers 503 and /health says so; when it is back the
API serves again, without a restart. Runs against a separate cluster and server."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.auth.conftest import Scratch

pytestmark = pytest.mark.slow


def wait_for(url: str, status: int, timeout_s: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(url, timeout=10)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


def test_outage_gives_503_and_service_resumes_without_restart(scratch: Scratch, scratch_server: str) -> None:
    provinces = f"{scratch_server}/api/units?level=province"
    assert httpx.get(provinces, timeout=10).status_code == 200  # the pool now holds live connections
    # Vector tiles too; this one is not cached.
    assert httpx.get(f"{scratch_server}/collections/counties/tiles/WebMercatorQuad/6/25/41", timeout=10).status_code == 200

    port = scratch.pg.port()
    scratch.pg.stop()
    try:
        health = httpx.get(f"{scratch_server}/health", timeout=10)
        assert health.status_code == 503 and health.json()["database"] == "down"
        for response in (httpx.get(provinces, timeout=10),
                         httpx.get(f"{scratch_server}/api/units/IR-15", timeout=10),
                         httpx.get(f"{scratch_server}/collections/counties/tiles/WebMercatorQuad/7/51/83", timeout=10),
                         httpx.post(f"{scratch_server}/api/auth/token", timeout=10,
                                    data={"username": "demo-admin", "password": "demo-admin-1403"})):
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert error["code"] == "database_unavailable" and "try again" in error["message"]
            assert "psycopg" not in response.text and "Traceback" not in response.text
    finally:
        scratch.pg.start()
    # Back where the API's pool looks for it, even with the old connections in TIME_WAIT.
    assert scratch.pg.port() == port

    assert wait_for(f"{scratch_server}/health", 200).json()["database"] == "up"
    response = httpx.get(provinces, timeout=10)
    assert response.status_code == 200 and len(response.json()["features"]) == 31
    assert httpx.get(f"{scratch_server}/collections/counties/tiles/WebMercatorQuad/7/51/83",
                     timeout=10).status_code == 200
