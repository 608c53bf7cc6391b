"""Signing in, tokens, cookies, roles and partner keys, over HTTP and the CLI."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.auth import COOKIE
from api.cli import app as cli
from spatial.accounts import users as accounts
from spatial.db.engine import session_scope
from spatial.demo.accounts import DEMO_KEY, DEMO_USERS
from spatial.errors import Conflict, InvalidInput
from spatial.settings import get_settings
from spatial.accounts.tokens import issue_token, secret_key


def sign_in(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post("/api/auth/token", data={"username": username, "password": password})


def test_demo_creates_one_user_per_role(session: Session) -> None:
    users = {u["username"]: u for u in accounts.list_users(session) if u["synthetic"]}
    assert sorted(u["role"] for u in users.values()) == ["admin", "analyst", "core", "planner", "viewer"]
    assert users["demo-core"]["area"] == "IR-15"


def test_password_flow_issues_a_token_that_identifies_the_user(client: TestClient) -> None:
    username, password, role, _ = DEMO_USERS[2]
    response = sign_in(client, username, password)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["role"] == role and body["expires_in"] > 0
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert me["username"] == username and me["role"] == role


def test_sign_in_sets_a_secure_httponly_cookie(client: TestClient) -> None:
    response = sign_in(client, *DEMO_USERS[4][:2])
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=") and "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


def test_wrong_password_is_401_with_the_error_shape(client: TestClient) -> None:
    response = sign_in(client, "demo-admin", "not-the-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert sign_in(client, "nobody-at-all", "not-the-password").status_code == 401


def test_passwords_are_stored_as_argon2_hashes(session: Session) -> None:
    from sqlalchemy import text

    stored = session.execute(text("SELECT password_hash FROM app_user WHERE username = 'demo-admin'")).scalar_one()
    assert stored.startswith("$argon2id$") and "demo-admin-1403" not in stored


def test_cookie_authenticates_reads_but_not_writes(client: TestClient) -> None:
    token = issue_token("demo-admin")
    cookies = {"Cookie": f"{COOKIE}={token}"}
    assert client.get("/api/users", headers=cookies).status_code == 200
    # A write carried only by the cookie counts as anonymous: no cross-site request forgery.
    assert client.post("/api/users", headers=cookies, json={}).status_code == 401


def test_tampered_and_expired_tokens_are_401(client: TestClient) -> None:
    good = issue_token("demo-admin")
    payload, signature = good.split(".")
    forged = issue_token("demo-viewer").split(".")[0] + "." + signature
    expired = issue_token("demo-admin", ttl_s=-1)
    for token in (forged, expired, "garbage", payload):
        response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.headers["www-authenticate"] == "Bearer"


def test_signing_out_revokes_that_token_only(client: TestClient) -> None:
    username, password = DEMO_USERS[3][:2]
    signed_out, other = (sign_in(client, username, password).json()["access_token"] for _ in range(2))
    bearer = {"Authorization": f"Bearer {signed_out}"}
    assert client.post("/api/auth/logout", headers=bearer).status_code == 204
    refused = client.get("/api/auth/me", headers=bearer)
    assert refused.status_code == 401 and "signed out" in refused.json()["error"]["message"]
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    # The cookie's token is revoked the same way, and the cookie cleared.
    response = client.post("/api/auth/logout", headers={"Cookie": f"{COOKIE}={other}"})
    assert response.status_code == 204 and f'{COOKIE}=""' in response.headers["set-cookie"]
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401


def test_signing_out_without_a_valid_token_changes_nothing(client: TestClient, session: Session) -> None:
    from sqlalchemy import text

    before = session.execute(text("SELECT count(*) FROM revoked_token")).scalar()
    for headers in ({}, {"Authorization": "Bearer garbage"}):
        assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert session.execute(text("SELECT count(*) FROM revoked_token")).scalar() == before


def test_a_disabled_user_is_refused_at_once(client: TestClient) -> None:
    with session_scope() as s:
        accounts.create_user(s, "soon-disabled", "a long password", "viewer")
    token = issue_token("soon-disabled")
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with session_scope() as s:
        accounts.set_disabled(s, "soon-disabled")
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert sign_in(client, "soon-disabled", "a long password").status_code == 401


def test_a_role_change_takes_effect_on_the_next_request(client: TestClient) -> None:
    with session_scope() as s:
        accounts.create_user(s, "promoted", "a long password", "viewer")
    headers = {"Authorization": f"Bearer {issue_token('promoted')}"}
    assert client.get("/api/users", headers=headers).status_code == 403
    with session_scope() as s:
        accounts.set_role(s, "promoted", "admin")
    assert client.get("/api/users", headers=headers).status_code == 200


def test_core_members_need_an_area_and_others_may_not_have_one(session: Session) -> None:
    with pytest.raises(InvalidInput, match="needs an area"):
        accounts.create_user(session, "core-without-area", "a long password", "core")
    with pytest.raises(InvalidInput, match="Only 'core'"):
        accounts.create_user(session, "viewer-with-area", "a long password", "viewer", area_code="IR-15")
    with pytest.raises(Conflict):
        accounts.create_user(session, "demo-admin", "a long password", "admin")
    with pytest.raises(InvalidInput, match="at least"):
        accounts.create_user(session, "short-password", "short", "viewer")


def test_admin_creates_and_changes_users_over_http(
    client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    admin = headers_for("admin")
    created = client.post("/api/users", headers=admin,
                          json={"username": "http-core", "password": "a long password", "role": "core", "area": "IR-15-02"})
    assert created.status_code == 201
    changed = client.patch("/api/users/http-core", headers=admin, json={"role": "planner"})
    assert changed.status_code == 200 and changed.json()["role"] == "planner" and changed.json()["area"] is None
    assert client.patch("/api/users/http-core", headers=admin, json={"role": "core"}).status_code == 422


def test_secret_key_is_generated_once_with_owner_only_permissions(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PISHRAFT_HOME", str(tmp_path))
    monkeypatch.delenv("PISHRAFT_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        first = secret_key()
        path = tmp_path / "secret_key"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert secret_key() == first and len(first) >= 32
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


# -- partner keys -----------------------------------------------------------------------
def test_key_in_header_or_query_parameter_reads(stand_in_client: TestClient) -> None:
    url = "/test/collections/provinces/items"
    by_header = stand_in_client.get(url, headers={"X-API-Key": DEMO_KEY})
    by_param = stand_in_client.get(url, params={"api_key": DEMO_KEY})
    assert by_header.status_code == by_param.status_code == 200
    assert by_param.json()["partner"] == "demo-partner"


def test_keys_are_stored_as_digests_only(session: Session) -> None:
    from sqlalchemy import text

    key = accounts.create_key(session, "digest-check", None, 5.0)
    stored = " ".join(str(v) for v in session.execute(text("SELECT * FROM api_key WHERE partner = 'digest-check'")).one())
    assert key not in stored and key.split("_", 2)[2] not in stored


def test_key_scope_revocation_and_unknown_keys(stand_in_client: TestClient) -> None:
    with session_scope() as s:
        key = accounts.create_key(s, "scoped", ["counties"], 100.0)
    headers = {"X-API-Key": key}
    assert stand_in_client.get("/test/collections/counties/items", headers=headers).status_code == 200
    outside = stand_in_client.get("/test/collections/provinces/items", headers=headers)
    assert outside.status_code == 403 and "counties" in outside.json()["error"]["message"]
    with session_scope() as s:
        accounts.revoke_key(s, key.split("_")[1])
    assert stand_in_client.get("/test/collections/counties/items", headers=headers).status_code == 401
    assert stand_in_client.get("/test/collections/counties/items", headers={"X-API-Key": "pk_x_y"}).status_code == 401


def test_a_key_past_its_rate_gets_429_with_retry_after(stand_in_client: TestClient) -> None:
    with session_scope() as s:
        key = accounts.create_key(s, "slow", None, 2.0)
    statuses = [stand_in_client.get("/test/collections/provinces/items", params={"api_key": key})
                for _ in range(5)]
    limited = [r for r in statuses if r.status_code == 429]
    assert [r.status_code for r in statuses[:2]] == [200, 200] and limited
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["error"]["code"] == "rate_limited"
    time.sleep(1.1)
    assert stand_in_client.get("/test/collections/provinces/items", params={"api_key": key}).status_code == 200


def test_cli_manages_users_and_keys(database_url: str) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["users", "create", "cli-user", "--role", "core", "--area", "IR-15",
                               "--password", "a long password"])
    assert made.exit_code == 0, made.output
    assert runner.invoke(cli, ["users", "set-role", "cli-user", "viewer"]).exit_code == 0
    assert runner.invoke(cli, ["users", "disable", "cli-user"]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list"]).output
    assert "cli-user" in listed and "disabled" in listed
    bad = runner.invoke(cli, ["users", "set-role", "cli-user", "core"])
    assert bad.exit_code == 1 and "needs an area" in bad.output and "Traceback" not in bad.output

    created = runner.invoke(cli, ["keys", "create", "--partner", "cli-partner", "--collections", "provinces",
                                  "--rate", "120/min"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    prefix = key.split("_")[1]
    assert prefix in runner.invoke(cli, ["keys", "list"]).output
    assert runner.invoke(cli, ["keys", "revoke", prefix]).exit_code == 0
    with session_scope() as s:
        assert accounts.active_key(s, key) is None


def test_a_scoped_key_lists_only_its_collections(client: TestClient) -> None:
    with session_scope() as s:
        key = accounts.create_key(s, "listing", ["counties", "provinces"], 100.0)
    listed = client.get("/collections", headers={"X-API-Key": key}).json()["collections"]
    assert sorted(c["id"] for c in listed) == ["counties", "provinces"]
    assert client.get("/collections/neighbourhoods", headers={"X-API-Key": key}).status_code == 403
