"""The shared cache in front of the replicas (``docker/nginx.conf``), run with Debian's nginx
in front of a live Pishraft: public tiles are cached by URL and ETag, partner keys and
sign-ins pass through to Pishraft every time."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bench._nginx import nginx_in_front
from spatial.accounts import users as accounts
from spatial.db.engine import session_scope

TILE = "/collections/provinces/tiles/WebMercatorQuad/6/25/41"


@pytest.fixture(scope="module")
def front(live_server: str) -> Iterator[str]:
    with nginx_in_front(live_server.removeprefix("http://")) as base:
        yield base


def test_a_public_tile_is_served_from_the_shared_cache_after_the_first_request(front: str, live_server: str) -> None:
    url = f"{front}{TILE}?properties=code"
    first, again = httpx.get(url), httpx.get(url)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.headers["x-cache-status"], again.headers["x-cache-status"]) == ("MISS", "HIT")
    direct = httpx.get(f"{live_server}{TILE}?properties=code")
    assert again.content == direct.content and again.headers["etag"] == direct.headers["etag"]
    assert again.headers["cache-control"].startswith("public")


def test_the_shared_cache_answers_a_matching_etag_with_304(front: str) -> None:
    etag = httpx.get(f"{front}{TILE}").headers["etag"]
    again = httpx.get(f"{front}{TILE}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["x-cache-status"] == "HIT" and again.content == b""


def test_partner_keys_and_sign_ins_pass_through_uncached(front: str) -> None:
    httpx.get(f"{front}{TILE}")  # the public answer is in the cache
    with session_scope() as session:
        key = accounts.create_key(session, "shared-cache-test", ["provinces"], 1.0)
    by_header = httpx.get(f"{front}{TILE}", headers={"X-API-Key": key})
    assert by_header.status_code == 200 and by_header.headers["x-cache-status"] == "BYPASS"
    assert by_header.headers["cache-control"].startswith("private")
    # Pishraft saw it: the key's one token is taken, so the next request is over its rate.
    by_param = httpx.get(f"{front}{TILE}", params={"api_key": key})
    assert by_param.status_code == 429 and by_param.headers["x-cache-status"] == "BYPASS"
    unknown = httpx.get(f"{front}{TILE}", headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401 and unknown.headers["x-cache-status"] == "BYPASS"


def test_other_requests_are_not_cached(front: str) -> None:
    health = httpx.get(f"{front}/health")
    assert health.status_code == 200 and "x-cache-status" not in health.headers
