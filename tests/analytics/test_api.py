"""The analytics HTTP API on the demo data: reads, writes, and bad input as 4xx with nothing written."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

DEFINITION = {
    "code": "api_deprivation", "name_fa": "محرومیت", "name_en": "Deprivation", "domain": "deprivation",
    "levels": ["province"], "period": "2024",
    "indicators": [{"code": "unemployment_rate", "weight": 0.6}, {"code": "literacy_rate", "weight": 0.4}],
}


def _count(client: TestClient, path: str) -> int:
    return len(client.get(path).json())


def test_indicators_are_listed_with_periods(client: TestClient) -> None:
    body = client.get("/api/indicators").json()
    by_code = {i["code"]: i for i in body}
    assert by_code["unemployment_rate"]["periods"] == ["2023", "2024"]
    assert {i["domain"] for i in client.get("/api/indicators?domain=capacity").json()} == {"capacity"}


def test_indicator_values_by_level_and_period(client: TestClient) -> None:
    body = client.get("/api/indicators/unemployment_rate/values?level=province&period=2023").json()
    assert body["period"] == "2023" and len(body["values"]) == 31


def test_unknown_indicator_is_a_404_with_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/indicators/no_such/values?level=province")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found" and "no_such" in response.json()["error"]["message"]


def test_an_index_named_by_a_superscript_digit_is_unknown_not_a_server_error(client: TestClient) -> None:
    # "³".isdigit() is true in Python, but it is no index id (found by the OpenAPI fuzz test).
    assert client.get("/api/indices/³/scores", params={"level": "province"}).status_code == 404


def test_index_is_computed_then_its_scores_read(client: TestClient) -> None:
    created = client.post("/api/indices", json=DEFINITION)
    assert created.status_code == 201
    summary = created.json()
    scores = client.get(f"/api/indices/{summary['id']}/scores?level=province").json()
    assert len(scores["scores"]) == 31 and scores["index"]["definition_hash"] == summary["definition_hash"]
    assert scores["scores"][0]["rank_overall"] == 1
    assert client.get(f"/api/indices/{summary['id']}/scores?level=county").status_code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"indicators": [{"code": "unemployment_rate", "weight": 0.6}, {"code": "literacy_rate", "weight": 0.3}]},
     "weights"),
    ({"indicators": [{"code": "no_such_indicator"}], "weights": "equal"}, "indicator"),
    ({"levels": ["galaxy"]}, "levels"),
])
def test_bad_index_definitions_are_4xx_and_write_nothing(client: TestClient, change: dict, field: str) -> None:
    before = _count(client, "/api/indices")
    response = client.post("/api/indices", json={**DEFINITION, "code": "api_bad", **change})
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["field"] == field
    assert _count(client, "/api/indices") == before


def test_allocation_sums_to_the_budget_and_is_stored(client: TestClient) -> None:
    response = client.post("/api/allocations", json={
        "need_source": "index:deprivation_demo", "level": "county", "parent_code": "IR-15",
        "budget": 987_654_321_000, "floor": 20_000_000_000, "cap": 200_000_000_000, "by_population": True})
    assert response.status_code == 201
    result = response.json()
    assert sum(s["amount"] for s in result["shares"]) == 987_654_321_000 == result["total"]
    stored = client.get(f"/api/allocations/{result['id']}").json()
    assert [s["amount"] for s in stored["shares"]] == [s["amount"] for s in result["shares"]]


def test_floors_above_the_budget_are_a_422_and_nothing_is_stored(client: TestClient) -> None:
    response = client.post("/api/allocations", json={
        "need_source": "index:deprivation_demo", "level": "county", "parent_code": "IR-15",
        "budget": 1_000, "floor": 500})
    assert response.status_code == 422 and response.json()["error"]["field"] == "floor"


def test_csv_upload_with_duplicate_codes_is_refused(client: TestClient) -> None:
    csv = "unit_code,period,unemployment_rate\nIR-15-01-001,2031,5\nIR-15-01-001,2031,6\n"
    response = client.post("/api/indicators/import", files={"file": ("census.csv", csv, "text/csv")})
    assert response.status_code == 422 and "more than once" in response.json()["error"]["message"]
    assert "2031" not in client.get("/api/indicators/unemployment_rate").json()["periods"]


def test_csv_upload_writes_values(client: TestClient) -> None:
    csv = "unit_code,period,unemployment_rate\nIR-15-01-001,2030,5\nIR-15-01-002,2030,7\n"
    response = client.post("/api/indicators/import", files={"file": ("census.csv", csv, "text/csv")})
    assert response.status_code == 200 and response.json()["values"] == 2
    values = client.get("/api/indicators/unemployment_rate/values?level=neighbourhood&period=2030").json()["values"]
    assert values == {"IR-15-01-001": 5.0, "IR-15-01-002": 7.0}


def test_derive_from_an_unknown_layer_is_a_404(client: TestClient) -> None:
    response = client.post("/api/indicators/derive", json={"layer": "ghost", "level": "county", "method": "count",
                                                           "code": "ghost_count", "period": "2024"})
    assert response.status_code == 404 and response.json()["error"]["field"] == "layer"


def test_statistics_endpoints(client: TestClient) -> None:
    moran = client.get("/api/stats/moran?source=unemployment_rate&level=county&period=2024").json()
    assert moran["I"] > 0.3 and moran["p_sim"] < 0.05  # the demo has a south-east gradient
    lisa = client.get("/api/stats/lisa?source=index:deprivation_demo&level=province").json()
    assert len(lisa) == 31 and set(lisa.values()) <= {"HH", "LL", "HL", "LH", "ns"}
    theil = client.get("/api/stats/inequality?source=unemployment_rate&level=county").json()["theil"]
    assert theil["between"] + theil["within"] == pytest.approx(theil["total"])
    assert client.get("/api/stats/moran?source=unemployment_rate&level=planet").status_code == 422
