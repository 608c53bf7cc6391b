"""The audit log records every write with who, role, route, object, status, time and client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, UTC

from fastapi.testclient import TestClient


def test_a_write_is_recorded_with_who_what_and_outcome(
    client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    admin = headers_for("admin")
    client.post("/api/users", headers=admin,
                json={"username": "audited-user", "password": "a long password", "role": "viewer"})
    client.patch("/api/users/audited-user", headers=admin, json={"disabled": True})
    entries = client.get("/api/audit", headers=admin, params={"route": "/api/users/{username}"}).json()
    entry = next(e for e in entries if e["target"] == {"username": "audited-user"})
    assert entry["username"] == "demo-admin" and entry["role"] == "admin"
    assert entry["method"] == "PATCH" and entry["path"] == "/api/users/audited-user" and entry["status"] == 200
    assert entry["client"] == "testclient"
    assert abs(datetime.fromisoformat(entry["at"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_refused_writes_and_sign_ins_are_recorded_too(
    client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    client.post("/api/users", headers=headers_for("viewer"), json={})
    client.post("/api/auth/token", data={"username": "demo-analyst", "password": "wrong password"})
    admin = headers_for("admin")
    refused = client.get("/api/audit", headers=admin, params={"username": "demo-viewer", "status": 403}).json()
    assert refused and refused[0]["route"] == "/api/users" and refused[0]["role"] == "viewer"
    failed = client.get("/api/audit", headers=admin, params={"route": "/api/auth/token", "status": 401}).json()
    assert any(e["username"] == "demo-analyst" for e in failed)


def test_reads_are_not_recorded(client: TestClient, headers_for: Callable[[str], dict[str, str]]) -> None:
    client.get("/api/units/IR-15", headers=headers_for("analyst"))
    entries = client.get("/api/audit", headers=headers_for("admin"), params={"route": "/api/units"}).json()
    assert entries == []


def test_filters_narrow_and_page_newest_first(client: TestClient, headers_for: Callable[[str], dict[str, str]]) -> None:
    admin = headers_for("admin")
    for _ in range(3):
        client.patch("/api/users/nobody-here", headers=admin, json={})
    page = client.get("/api/audit", headers=admin, params={"method": "PATCH", "status": 404, "limit": 2}).json()
    assert len(page) == 2 and page[0]["id"] > page[1]["id"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/api/audit", headers=admin, params={"since": future}).json() == []


def test_only_admins_read_the_audit_log(client: TestClient, headers_for: Callable[[str], dict[str, str]]) -> None:
    assert client.get("/api/audit", headers=headers_for("planner")).status_code == 403
    assert client.get("/api/audit").status_code == 401
