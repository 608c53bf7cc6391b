"""The demo gains indices, sector jobs and target community, and a unit profile brings them together."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.demo.analytics import derive_from_layers
from spatial.analytics.indicators import values_by_unit


def test_profile_of_a_demo_county_has_every_part(client: TestClient) -> None:
    body = client.get("/api/units/IR-15-01/profile").json()
    assert body["unit"]["code"] == "IR-15-01" and body["unit"]["ancestors"] == ["IR-15"]
    assert {"unemployment_rate", "literacy_rate", "jobs_agriculture"} <= {i["code"] for i in body["indicators"]}
    indices = {i["code"]: i for i in body["indices"]}
    assert {"deprivation_demo", "capacity_demo"} <= set(indices)
    assert 1 <= indices["deprivation_demo"]["rank_overall"] <= indices["deprivation_demo"]["out_of"] == 310
    assert body["cluster"] in {"HH", "LL", "HL", "LH", "ns"}
    assert body["bivariate"]["capacity_class"] in (1, 2, 3) and body["bivariate"]["meaning_fa"]
    assert body["advantages"]["top"] and all(t["lq_parent"] > 1 for t in body["advantages"]["top"])
    groups = body["target_community"]["groups"]
    assert set(groups) == {"unemployed", "vulnerable"} and 0 < groups["unemployed"]["share"] < 1


def test_profile_of_a_neighbourhood_and_of_an_unknown_unit(client: TestClient) -> None:
    body = client.get("/api/units/IR-15-01-001/profile").json()
    assert any(i["code"] == "deprivation_demo" for i in body["indices"])
    assert client.get("/api/units/IR-99/profile").status_code == 404


def test_demo_derives_indicators_from_the_demo_point_layers(session: Session) -> None:
    point_layers = session.execute(
        text("SELECT slug FROM layer WHERE geometry_type = 'MultiPoint' ORDER BY slug")).scalars().all()
    assert point_layers, "the demo has point layers"
    for slug in point_layers:
        _, values = values_by_unit(session, f"{slug}_per_1000", "county", "2024", "IR-15")
        assert len(values) == 10 and all(v is not None and v >= 0 for v in values.values())
    # Derivation is repeatable: a second run replaces the values instead of failing.
    assert derive_from_layers(session) == [f"{slug}_per_1000" for slug in point_layers]
