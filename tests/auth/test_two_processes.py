"""Two app processes on one database behave as one service: a partner key's rate is
enforced once across both, and a token signed out in one is refused by the other."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import httpx
import pytest

from spatial.accounts import users as accounts
from spatial.db.engine import session_scope
from tests.auth.conftest import served

pytestmark = pytest.mark.slow

RATE = 0.1  # one request, then one more every ten seconds


@pytest.fixture(scope="module")
def two_servers(database_url: str) -> Iterator[tuple[str, str]]:
    with served({"DATABASE_URL": database_url}) as first, served({"DATABASE_URL": database_url}) as second:
        yield first, second


def test_a_partner_keys_rate_is_enforced_once_across_two_processes(two_servers: tuple[str, str]) -> None:
    with session_scope() as session:
        key = accounts.create_key(session, "two-processes", None, RATE)
    started = time.monotonic()
    statuses = [httpx.get(f"{base}/collections/provinces/items", params={"limit": 1},
                          headers={"X-API-Key": key}, timeout=30).status_code
                for base in two_servers * 3]
    elapsed = time.monotonic() - started
    assert set(statuses) <= {200, 429} and statuses[0] == 200
    # One bucket for the key, whichever process answers (each with its own: 2 at first).
    assert statuses.count(200) <= 1 + math.floor(RATE * elapsed), (statuses, elapsed)


def test_a_token_signed_out_in_one_process_is_refused_by_the_other(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    token = httpx.post(f"{first}/api/auth/token", timeout=30,
                       data={"username": "demo-admin", "password": "demo-admin-1403"}).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{second}/api/auth/me", headers=bearer, timeout=30).status_code == 200
    assert httpx.post(f"{first}/api/auth/logout", headers=bearer, timeout=30).status_code == 204
    assert httpx.get(f"{first}/api/auth/me", headers=bearer, timeout=30).status_code == 401
    # The other process caches what it looked up for at most CACHE_TTL_S (documented there).
    deadline = time.monotonic() + accounts.CACHE_TTL_S + 10
    while (status := httpx.get(f"{second}/api/auth/me", headers=bearer, timeout=30).status_code) == 200:
        assert time.monotonic() < deadline, f"still admitted {accounts.CACHE_TTL_S} s after signing out"
        time.sleep(0.5)
    assert status == 401
