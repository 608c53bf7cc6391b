"""The units API over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_reports_postgis(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == "up"
    assert body["postgis_version"].startswith("3.")


def test_provinces_are_31_features_with_persian_names(client: TestClient) -> None:
    fc = client.get("/api/units", params={"level": "province"}).json()
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == 31
    props = {f["properties"]["code"]: f["properties"] for f in fc["features"]}
    assert props["IR-15"]["name_fa"] == "استان کرمان"
    assert set(props["IR-15"]) >= {"code", "level", "name_fa", "name_en", "parent_code"}


def test_one_unit_lists_its_children(client: TestClient) -> None:
    body = client.get("/api/units/IR-15").json()
    assert body["name_en"] == "Kerman" and len(body["children"]) == 10


def test_counties_of_a_province_by_parent(client: TestClient) -> None:
    fc = client.get("/api/units", params={"parent": "IR-15"}).json()
    assert {f["properties"]["parent_code"] for f in fc["features"]} == {"IR-15"}


def test_point_lookup_over_http(client: TestClient) -> None:
    # Kerman city.
    found = client.get("/api/units/at", params={"lon": 57.08, "lat": 30.28}).json()
    assert [u["level"] for u in found] == ["province", "county", "neighbourhood"]
    assert found[0]["code"] == "IR-15"


def test_unknown_unit_is_404_with_a_message(client: TestClient) -> None:
    response = client.get("/api/units/IR-99")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and "IR-99" in error["message"]


def test_bad_level_is_422(client: TestClient) -> None:
    response = client.get("/api/units", params={"level": "planet"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "level"


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["title"] == "Pishraft"
    assert client.get("/docs").status_code == 200
