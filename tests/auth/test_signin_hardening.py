"""Signing in resists guessing: wrong passwords in a row are slowed down and then locked out
(the account and the client address), the lock is shown to admins and lifted by them;
common passwords are refused; a sign-in replaces the browser's session; sessions are
listed and signed out by their user and by admins."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.auth import COOKIE
from tests.workspace.planning import _token

PASSWORD = "a sentence only I know"


def sign_in(client: TestClient, username: str, password: str, **kwargs: object) -> httpx.Response:
    return client.post("/api/auth/token", data={"username": username, "password": password}, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def user(client: TestClient, headers_for: Callable[[str], dict[str, str]]) -> Iterator[str]:
    """A fresh viewer account; afterwards the test client's address is cleared of its wrong passwords."""
    username = f"guessed-{uuid.uuid4().hex[:8]}"
    made = client.post("/api/users", headers=headers_for("admin"),
                       json={"username": username, "password": PASSWORD, "role": "viewer"})
    assert made.status_code == 201, made.text
    yield username
    client.delete("/api/auth/locks/address/testclient", headers=headers_for("admin"))


def test_twenty_wrong_passwords_slow_down_then_lock_until_an_admin_lifts_it(
    client: TestClient, headers_for: Callable[[str], dict[str, str]], user: str
) -> None:
    answers = [sign_in(client, user, f"wrong guess {n}") for n in range(20)]
    codes = [a.json()["error"]["code"] if a.status_code != 200 else "ok" for a in answers]
    assert codes[:5] == ["unauthorized"] * 5
    assert "signin_too_soon" in codes[5:10]  # slowed down first …
    assert codes[10:] == ["signin_locked"] * 10  # … then locked
    assert all(a.status_code == 429 and int(a.headers["Retry-After"]) >= 1 for a in answers[5:])

    right = sign_in(client, user, PASSWORD)
    assert right.status_code == 429
    assert "locked" in right.json()["error"]["message"] and "administrator" in right.json()["error"]["message"]

    admin = headers_for("admin")
    shown = client.get("/api/auth/locks", headers=admin).json()
    lock = next(x for x in shown if x["kind"] == "account" and x["subject"] == user)
    assert lock["failures"] >= 10 and lock["locked_until"]
    assert client.get("/api/auth/locks", headers=headers_for("planner")).status_code == 403

    assert client.delete(f"/api/auth/locks/account/{user}", headers=admin).status_code == 204
    assert client.delete("/api/auth/locks/address/testclient", headers=admin).status_code == 204
    assert sign_in(client, user, PASSWORD).status_code == 200
    assert all(x["subject"] != user for x in client.get("/api/auth/locks", headers=admin).json())


def test_a_locked_account_is_refused_on_the_sign_in_page_in_persian(client: TestClient, user: str) -> None:
    for n in range(12):
        sign_in(client, user, f"wrong guess {n}")
    page = client.get("/signin")
    client.cookies.set("pishraft_csrf", page.cookies["pishraft_csrf"])
    answer = client.post("/signin", data={"username": user, "password": PASSWORD, "csrf_token": _token(page.text)},
                         follow_redirects=False)
    client.cookies.clear()
    assert answer.status_code == 422 and COOKIE not in answer.cookies
    assert "این حساب برای مدتی قفل است" in answer.text


@pytest.mark.parametrize("password", ["1234567890", "Password123", "qwertyuiop", "۱۲۳۴۵۶۷۸۹۰", "aaaaaaaaaaaa", "short"])
def test_short_and_common_passwords_are_refused_naming_the_field(
    client: TestClient, headers_for: Callable[[str], dict[str, str]], password: str
) -> None:
    answer = client.post("/api/users", headers=headers_for("admin"),
                         json={"username": f"weak-{uuid.uuid4().hex[:8]}", "password": password, "role": "viewer"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "password"


def test_sessions_are_listed_and_signed_out_by_their_user_and_by_admins(
    client: TestClient, headers_for: Callable[[str], dict[str, str]], user: str
) -> None:
    first = sign_in(client, user, PASSWORD, headers={"User-Agent": "first browser"}).json()["access_token"]
    second = sign_in(client, user, PASSWORD, headers={"User-Agent": "second browser"}).json()["access_token"]
    mine = client.get("/api/auth/sessions", headers={"Authorization": f"Bearer {second}"}).json()
    assert [s["agent"] for s in mine] == ["second browser", "first browser"]
    assert [s["current"] for s in mine] == [True, False]

    gone = client.delete(f"/api/auth/sessions/{mine[1]['id']}", headers={"Authorization": f"Bearer {second}"})
    assert gone.status_code == 204
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401

    admin = headers_for("admin")
    listed = client.get(f"/api/users/{user}/sessions", headers=admin).json()
    assert [s["agent"] for s in listed] == ["second browser"]
    assert client.delete(f"/api/sessions/{listed[0]['id']}", headers=admin).status_code == 204
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    # Someone else's session is not the caller's to end.
    other = sign_in(client, user, PASSWORD).json()["access_token"]
    theirs = client.get(f"/api/users/{user}/sessions", headers=admin).json()[0]["id"]
    assert client.delete(f"/api/auth/sessions/{theirs}", headers=headers_for("viewer")).status_code == 404
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_signing_in_again_replaces_the_browser_session(client: TestClient, user: str) -> None:
    old = sign_in(client, user, PASSWORD).json()["access_token"]
    client.cookies.set(COOKIE, old)
    new = sign_in(client, user, PASSWORD).json()["access_token"]
    client.cookies.clear()
    assert new != old
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {new}"}).status_code == 200
