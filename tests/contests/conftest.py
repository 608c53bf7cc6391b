"""Fixtures of the competition tests: accounts of their own (organiser, jurors, a stranger),
each calling the real app with its own token."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spatial.accounts import users as accounts
from spatial.accounts.tokens import issue_token
from spatial.db.engine import session_scope


@pytest.fixture(autouse=True)
def _committed_rows_removed(leaves_no_rows: None) -> None:
    """Competitions are made through the API, which commits: each test's rows go after it."""


class Caller:
    """One account calling the API with its own bearer token."""

    def __init__(self, client: TestClient, username: str) -> None:
        self.client, self.username = client, username
        self.headers = {"Authorization": f"Bearer {issue_token(username)}"}

    def __call__(self, method: str, path: str, **kw: Any) -> Any:
        return self.client.request(method, path, headers=self.headers, **kw)


@pytest.fixture
def account(client: TestClient) -> Callable[..., Caller]:
    """Make an account of a role (and area) that calls the app: ``account("planner")``."""

    def make(role: str, area: str | None = None) -> Caller:
        username = f"{role}-{uuid.uuid4().hex[:8]}"
        with session_scope() as session:
            accounts.create_user(session, username, secrets.token_urlsafe(16), role, area_code=area)
        return Caller(client, username)

    return make
