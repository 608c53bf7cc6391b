"""Strict OGC API – Features Part 1 behaviour: HEAD, limit clamping, content negotiation
by Accept, timeStamp; and CORS for public reads (a preflight and a cross-origin tile fetch)."""

from __future__ import annotations

from datetime import datetime, timedelta, UTC

import httpx
import pytest
from fastapi.testclient import TestClient

from spatial.serving.features import MAX_LIMIT

RESOURCES = ("/", "/conformance", "/collections", "/collections/provinces", "/collections/provinces/items",
             "/collections/provinces/items/IR-07", "/collections/provinces/queryables")


@pytest.mark.parametrize("url", [*RESOURCES, "/collections/provinces/tiles/WebMercatorQuad/tilejson.json",
                                 "/collections/provinces/tiles/WebMercatorQuad/5/12/20"])
def test_head_answers_wherever_get_does_with_the_same_headers_and_no_body(client: TestClient, url: str) -> None:
    got = client.get(url)
    head = client.head(url)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["etag"] == got.headers["etag"]


def test_limit_above_the_maximum_is_answered_with_the_maximum_and_a_next_link(client: TestClient) -> None:
    body = client.get("/collections/neighbourhoods/items",
                      params={"limit": MAX_LIMIT * 10, "properties": "code"}).json()
    assert body["numberReturned"] == min(MAX_LIMIT, body["numberMatched"])
    if body["numberMatched"] > MAX_LIMIT:
        next_link = next(link["href"] for link in body["links"] if link["rel"] == "next")
        assert f"limit={MAX_LIMIT}" in next_link


def test_limit_clamping_on_a_small_collection_returns_everything(client: TestClient) -> None:
    body = client.get("/collections/provinces/items", params={"limit": "99999999"}).json()
    assert body["numberReturned"] == body["numberMatched"] == 31
    assert "next" not in {link["rel"] for link in body["links"]}


@pytest.mark.parametrize("url", RESOURCES)
def test_a_browser_accept_header_gets_html(client: TestClient, url: str) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get(url, headers={"Accept": browser})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    negotiated = response.history[0] if response.history else response  # "/" sends a browser on to /home
    assert "Accept" in negotiated.headers["vary"]


@pytest.mark.parametrize("url", RESOURCES)
def test_json_is_the_default_and_what_json_clients_get(client: TestClient, url: str) -> None:
    for accept in (None, "*/*", "application/json", "application/geo+json", "application/schema+json"):
        headers = {"Accept": accept} if accept else {}
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert "json" in response.headers["content-type"], (accept, response.headers["content-type"])
        response.json()


def test_features_come_as_geojson_unless_plain_json_is_preferred(client: TestClient) -> None:
    url = "/collections/provinces/items"
    assert client.get(url, headers={"Accept": "application/geo+json"}).headers["content-type"] \
        == "application/geo+json"
    assert client.get(url, headers={"Accept": "application/json"}).headers["content-type"] == "application/json"
    assert client.get(url, headers={"Accept": "application/geo+json, application/json;q=0.5"}) \
        .headers["content-type"] == "application/geo+json"


def test_f_wins_over_accept(client: TestClient) -> None:
    response = client.get("/collections", params={"f": "json"}, headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("application/json")


def test_feature_collections_carry_a_timestamp_of_the_response(client: TestClient) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    body = client.get("/collections/provinces/items", params={"limit": 2}).json()
    stamp = datetime.fromisoformat(body["timeStamp"].replace("Z", "+00:00"))
    assert before <= stamp <= datetime.now(UTC) + timedelta(seconds=1)


def test_the_etag_holds_across_timestamps(client: TestClient) -> None:
    first = client.get("/collections/provinces/items", params={"limit": 2})
    again = client.get("/collections/provinces/items", params={"limit": 2},
                       headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_cors_preflight_from_any_origin_admits_the_api_key_header(client: TestClient) -> None:
    response = client.options("/collections/provinces/tiles/WebMercatorQuad/5/12/20", headers={
        "Origin": "https://partner.example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-api-key"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "x-api-key" in response.headers["access-control-allow-headers"].lower()
    assert "GET" in response.headers["access-control-allow-methods"]


def test_a_cross_origin_read_may_read_the_etag_and_varies_on_origin_in_one_header(client: TestClient) -> None:
    response = client.get("/collections/provinces/items", params={"limit": 1},
                          headers={"Origin": "https://partner.example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"].split(", ")
    assert response.headers.get_list("vary") == ["X-API-Key, Accept, Origin"]


def test_a_same_origin_read_still_varies_on_origin(client: TestClient) -> None:
    """A shared cache must not hand an answer without CORS headers to a cross-origin reader."""
    response = client.get("/collections/provinces/tiles/WebMercatorQuad/5/12/20")
    assert "access-control-allow-origin" not in response.headers
    assert response.headers.get_list("vary") == ["X-API-Key, Origin"]


def test_cors_public_reads_do_not_open_writes(client: TestClient) -> None:
    response = client.options("/api/units", headers={"Origin": "https://partner.example.org",
                                                     "Access-Control-Request-Method": "POST"})
    assert response.status_code == 400  # the CORS middleware refuses the method


def test_cross_origin_tile_fetch_from_a_live_server_is_readable(live_server: str) -> None:
    """A partner's map fetches the same tile twice (rendered, then cached): both answers,
    from whichever path serves them, let the page read the tile."""
    url = f"{live_server}/collections/provinces/tiles/WebMercatorQuad/5/12/20"
    with httpx.Client(headers={"Origin": "https://partner.example.org"}) as http:
        for _ in range(3):
            response = http.get(url)
            assert response.status_code == 200 and response.content
            assert response.headers["access-control-allow-origin"] == "*"
        features = http.get(f"{live_server}/collections/provinces/items", params={"limit": 1})
        assert features.headers["access-control-allow-origin"] == "*"
