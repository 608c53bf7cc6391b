"""Hardening: body limits, security headers, CORS, error shape, injection attempts."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.db.engine import session_scope
from spatial.settings import get_settings
from tests.conftest import on_a_loop_of_its_own

INJECTIONS = ("' OR '1'='1", "x'; DROP TABLE admin_unit; --", '"; SELECT pg_sleep(5); --', "%' --", "IR-15\\")


@pytest.fixture(scope="module")
def strict_client(database_url: str) -> Iterator[TestClient]:
    """The app built with a 1 KB JSON limit, a 1 MB upload limit and one allowed CORS origin."""
    env = {"PISHRAFT_MAX_JSON_KB": "1", "PISHRAFT_MAX_UPLOAD_MB": "1",
           "PISHRAFT_CORS_ORIGINS": '["https://portal.example.org"]'}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    from api.app import create_app

    try:
        with TestClient(create_app()) as c:
            yield c
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


def test_security_headers_on_every_kind_of_response(client: TestClient) -> None:
    for path in ("/api/units/IR-15", "/api/units/NOPE", "/maps/overview", "/health"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"


def test_json_body_over_the_limit_is_413(strict_client: TestClient, headers_for: Callable[[str], dict]) -> None:
    big = {"username": "x" * 50, "password": "p" * 2000, "role": "viewer"}
    response = strict_client.post("/api/users", headers=headers_for("admin"), json=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_streamed_body_over_the_limit_is_413(strict_client: TestClient, headers_for: Callable[[str], dict]) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"x" * 32 * 1024  # 2 MB in all, without a Content-Length

    headers = {**headers_for("admin"), "Content-Type": "application/octet-stream"}
    response = strict_client.post("/api/users", headers=headers, content=chunks())
    assert response.status_code == 413 and response.json()["error"]["field"] == "body"


def test_cors_admits_configured_origins_only(strict_client: TestClient) -> None:
    allowed = strict_client.options("/api/units", headers={"Origin": "https://portal.example.org",
                                                           "Access-Control-Request-Method": "GET"})
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example.org"
    read = strict_client.get("/api/units/IR-15", headers={"Origin": "https://portal.example.org"})
    assert read.headers["access-control-allow-origin"] == "https://portal.example.org"
    assert "Origin" in read.headers["vary"]
    other = strict_client.get("/api/units/IR-15", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers


def test_errors_have_one_shape_and_no_internals(client: TestClient) -> None:
    for response in (client.get("/api/units/at", params={"lon": "east"}),
                     client.get("/no/such/route"),
                     client.delete("/api/units/IR-15"),
                     client.post("/api/auth/token", content=b"\xff\xfe", headers={"Content-Type": "application/json"})):
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
        assert "Traceback" not in response.text and "SELECT" not in response.text.upper()


def test_injection_attempts_in_every_string_parameter_change_nothing(
    client: TestClient, headers_for: Callable[[str], dict]
) -> None:
    """Each string query or path parameter of every GET route, fed SQL fragments: no
    5xx, no leaked SQL, and the tables are untouched."""
    with session_scope() as s:
        before = s.execute(text("SELECT count(*) FROM admin_unit")).scalar_one()
    admin = headers_for("admin")
    tried = 0
    for route in iter_route_contexts(client.app.routes):
        if not isinstance(route.original_route, APIRoute) or "GET" not in route.methods:
            continue
        path_params = {p.name: "IR-15" for p in route.dependant.path_params}
        for param in [*route.dependant.query_params, *route.dependant.path_params]:
            if param.field_info.annotation not in (str, str | None):
                continue
            for payload in INJECTIONS:
                where = route.path_format.format(**{**path_params, **({param.name: payload} if param in
                                                     route.dependant.path_params else {})})
                query = {} if param in route.dependant.path_params else {param.name: payload}
                response = client.get(where, params=query, headers=admin)
                tried += 1
                assert response.status_code < 500, (route.path, param.name, payload, response.text)
                assert "syntax error" not in response.text.lower()
    assert tried >= 10
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM admin_unit")).scalar_one() == before


def test_values_the_database_cannot_hold_are_422_not_500(
    client: TestClient, headers_for: Callable[[str], dict]
) -> None:
    for response in (client.get("/api/units", params={"parent": "IR\x0015"}),
                     client.get("/api/audit", params={"username": "a\x00b"}, headers=headers_for("admin"))):
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_input"


def test_requests_beyond_capacity_wait_then_get_503_busy() -> None:
    """At most ``limit`` requests run at once; one that cannot start in time is told to retry."""
    import anyio
    import httpx

    from api.middleware import ConcurrencyLimit, Places

    async def slow(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await anyio.sleep(0.5)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=ConcurrencyLimit(slow, Places(limit=2, wait_s=0.2)))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            responses: list[httpx.Response] = []

            async def one() -> None:
                responses.append(await http.get("/"))

            async with anyio.create_task_group() as tg:
                for _ in range(3):
                    tg.start_soon(one)
            return responses

    statuses = sorted(r.status_code for r in on_a_loop_of_its_own(burst))
    assert statuses == [200, 200, 503]
