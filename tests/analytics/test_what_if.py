"""What-if weights: scores, ranks and classes under other weights, computed on request and never stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.what_if import parse_weights, what_if_scores
from spatial.errors import InvalidInput

STORED = "unemployment_rate:0.4,literacy_rate:0.3,health_centres_per_10k:0.3"  # deprivation_demo's own weights
PATH = "/api/indices/deprivation_demo/scores?level=province"


def _counts(client: TestClient) -> tuple[int, int]:
    indices = client.get("/api/indices").json()
    stored = sum(len(client.get(f"/api/indices/{i['id']}/scores?level=province").json().get("scores", []))
                 for i in indices if i["code"] == "deprivation_demo")
    return len(indices), stored


def test_the_stored_weights_give_the_stored_scores_and_ranks(client: TestClient) -> None:
    stored = client.get(PATH).json()["scores"]
    again = client.get(f"{PATH}&weights={STORED}").json()
    assert again["stored"] is False
    by_code = {s["code"]: s for s in again["scores"]}
    for row in stored:
        assert by_code[row["code"]]["score"] == pytest.approx(row["score"], abs=1e-12)
        assert by_code[row["code"]]["rank_overall"] == row["rank_overall"]
        assert by_code[row["code"]]["rank_in_parent"] == row["rank_in_parent"]


def test_other_weights_change_the_ranking_without_writing_anything(client: TestClient) -> None:
    before = _counts(client)
    stored = [s["code"] for s in client.get(PATH).json()["scores"]]
    response = client.get(f"{PATH}&weights=unemployment_rate:0,literacy_rate:0,health_centres_per_10k:1")
    assert response.status_code == 200
    body = response.json()
    assert [s["code"] for s in body["scores"]] != stored
    assert body["what_if"]["weights"] == {"unemployment_rate": 0.0, "literacy_rate": 0.0,
                                          "health_centres_per_10k": 1.0}
    assert _counts(client) == before


def test_weights_are_rescaled_to_sum_to_one(client: TestClient) -> None:
    body = client.get(f"{PATH}&weights=unemployment_rate:2,literacy_rate:1,health_centres_per_10k:1").json()
    assert body["what_if"]["weights"] == {"unemployment_rate": 0.5, "literacy_rate": 0.25,
                                          "health_centres_per_10k": 0.25}


def test_scores_come_with_quintile_classes(client: TestClient) -> None:
    rows = client.get(f"/api/indices/deprivation_demo/scores?level=county&weights={STORED}").json()["scores"]
    classes = [r["class"] for r in rows]
    assert set(classes) == {1, 2, 3, 4, 5}
    best = max(rows, key=lambda r: r["score"])
    assert best["class"] == 5 and best["rank_overall"] == 1
    assert abs(classes.count(1) - len(rows) / 5) <= 1


def test_what_if_below_a_parent_keeps_the_national_ranks(client: TestClient) -> None:
    national = {r["code"]: r for r in client.get(
        f"/api/indices/deprivation_demo/scores?level=county&weights={STORED}").json()["scores"]}
    below = client.get(f"/api/indices/deprivation_demo/scores?level=county&parent=IR-15&weights={STORED}").json()
    assert below["scores"] and all(r["parent_code"] == "IR-15" for r in below["scores"])
    assert all(national[r["code"]]["rank_overall"] == r["rank_overall"] for r in below["scores"])


@pytest.mark.parametrize(("weights", "message"), [
    ("unemployment_rate:0.5,literacy_rate:0.5", "missing: health_centres_per_10k"),
    ("unemployment_rate:0.5,literacy_rate:0.3,health_centres_per_10k:0.2,nope:1", "no indicator nope"),
    ("unemployment_rate=0.5", "not code:weight"),
    ("unemployment_rate:-1,literacy_rate:1,health_centres_per_10k:1", "non-negative"),
    ("unemployment_rate:0,literacy_rate:0,health_centres_per_10k:0", "above 0"),
])
def test_bad_weights_are_a_422_naming_the_field(client: TestClient, weights: str, message: str) -> None:
    response = client.get(f"{PATH}&weights={weights}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "weights" and message in error["message"]


def test_weights_parse_from_the_query_string() -> None:
    assert parse_weights("a:0.5, b:0.3,c:0.2") == {"a": 0.5, "b": 0.3, "c": 0.2}
    with pytest.raises(InvalidInput, match="twice"):
        parse_weights("a:1,a:2")


def test_a_changed_value_is_seen_by_the_next_what_if(session: Session) -> None:
    weights = parse_weights(STORED)
    before = {r["code"]: r["score"] for r in what_if_scores(session, "deprivation_demo", "province", weights)["scores"]}
    session.execute(text("""UPDATE indicator_value SET value = value + 20
                            WHERE period = '2024' AND indicator_id = (SELECT id FROM indicator
                                                                      WHERE code = 'unemployment_rate')
                              AND unit_id = (SELECT id FROM admin_unit WHERE code = 'IR-15')"""))
    after = {r["code"]: r["score"] for r in what_if_scores(session, "deprivation_demo", "province", weights)["scores"]}
    assert after["IR-15"] > before["IR-15"]
