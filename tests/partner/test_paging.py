"""Paging: next links carry a keyset cursor, offset still works, a whole collection read
page by page (by hand and by GDAL's OAPIF driver) has every unit once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.serving.features import DEFAULT_LIMIT


def _next(body: dict) -> str | None:
    return next((link["href"] for link in body["links"] if link["rel"] == "next"), None)


def _all_codes(session: Session, level: str) -> list[str]:
    return session.execute(text("SELECT code FROM admin_unit WHERE level = :l AND valid_to IS NULL"),
                           {"l": level}).scalars().all()


def test_the_default_page_is_a_hundred_features(client: TestClient) -> None:
    body = client.get("/collections/counties/items").json()
    assert body["numberReturned"] == DEFAULT_LIMIT == 100


def test_next_links_carry_the_last_key_of_the_page(client: TestClient) -> None:
    body = client.get("/collections/counties/items", params={"limit": 10}).json()
    query = parse_qs(urlsplit(_next(body) or "").query)
    assert query["offset"] == ["10"] and query["limit"] == ["10"]
    assert query["cursor"][0].isdigit()


def test_a_cursor_page_is_the_offset_page(client: TestClient) -> None:
    first = client.get("/collections/counties/items", params={"limit": 10}).json()
    by_cursor = client.get(_next(first).replace("http://testserver", "")).json()
    by_offset = client.get("/collections/counties/items", params={"limit": 10, "offset": 10}).json()
    assert [f["id"] for f in by_cursor["features"]] == [f["id"] for f in by_offset["features"]]
    assert by_cursor["numberMatched"] == by_offset["numberMatched"]
    prev = next(link["href"] for link in by_cursor["links"] if link["rel"] == "prev")
    assert "offset=0" in prev


def test_following_next_links_reads_every_unit_once(client: TestClient, session: Session) -> None:
    codes: list[str] = []
    url: str | None = "/collections/neighbourhoods/items?limit=500&properties=code"
    while url:
        body = client.get(url.replace("http://testserver", "")).json()
        codes += [f["id"] for f in body["features"]]
        url = _next(body)
    assert len(codes) == len(set(codes))
    assert set(codes) == set(_all_codes(session, "neighbourhood"))


def test_filtered_pages_keep_the_filter_in_the_next_link(client: TestClient, session: Session) -> None:
    codes: list[str] = []
    url: str | None = "/collections/neighbourhoods/items?limit=50&properties=code&filter=population%20%3E%205000"
    while url:
        body = client.get(url.replace("http://testserver", "")).json()
        codes += [f["id"] for f in body["features"]]
        url = _next(body)
    expected = session.execute(text("""SELECT code FROM admin_unit WHERE level = 'neighbourhood'
                                       AND valid_to IS NULL AND population > 5000""")).scalars().all()
    assert sorted(codes) == sorted(expected)


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "9" * 30])
def test_a_cursor_not_made_here_is_400(client: TestClient, cursor: str) -> None:
    response = client.get("/collections/counties/items", params={"cursor": cursor})
    assert response.status_code == 400 and response.json()["error"]["field"] == "cursor"


@pytest.mark.slow
def test_ogr2ogr_copies_every_unit_once_with_its_default_paging(live_server: str, session: Session,
                                                               tmp_path: Path) -> None:
    target = tmp_path / "hoods.geojson"
    subprocess.run(["ogr2ogr", "-f", "GeoJSON", str(target), f"OAPIF:{live_server}", "neighbourhoods",
                    "-select", "code"], capture_output=True, text=True, timeout=600, check=True)
    codes = [f["properties"]["code"] for f in json.loads(target.read_text())["features"]]
    assert len(codes) == len(set(codes))
    assert set(codes) == set(_all_codes(session, "neighbourhood"))
