"""Fixtures of the competition tests: accounts of their own (organiser, jurors, a stranger),
each calling the real app with its own token, and days that put an event in each phase."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spatial.accounts import users as accounts
from spatial.accounts.tokens import issue_token
from spatial.db.engine import session_scope

TODAY = date.today()


def days(*offsets: int) -> dict[str, str]:
    """A timetable whose four days lie ``offsets`` days from today."""
    names = ("opens_on", "submissions_close_on", "scoring_on", "results_on")
    return {name: (TODAY + timedelta(days=d)).isoformat() for name, d in zip(names, offsets, strict=True)}


#: Timetables putting an event in its open, scoring and results phase today.
OPEN, SCORING, RESULTS = days(-1, 1, 2, 3), days(-3, -2, -1, 1), days(-4, -3, -2, 0)


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
