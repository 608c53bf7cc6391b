"""The demo gains indices, sector jobs and target community, and a unit profile brings them together."""

from __future__ import annotations

import geopandas as gpd
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.demo.analytics import derive_from_layers
from spatial.indicators import values_by_unit


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


def test_demo_derives_indicators_from_the_demo_point_layers(session: Session, vector_layer) -> None:
    hood = session.execute(
        text("SELECT ST_AsText(ST_PointOnSurface(geom)) FROM admin_unit WHERE code = 'IR-15-01-001'")).scalar()
    vector_layer("demo_schools", gpd.GeoDataFrame(geometry=[shapely.from_wkt(hood)] * 3, crs=4326))
    assert derive_from_layers(session) == ["demo_schools_per_1000"]
    _, values = values_by_unit(session, "demo_schools_per_1000", "neighbourhood", "2024", "IR-15-01")
    assert values["IR-15-01-001"] > 0
