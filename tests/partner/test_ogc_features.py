"""OGC API – Features: landing page, conformance, collections, items, one feature."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session


def _rels(document: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in document["links"]}


def test_landing_page_links_the_api_definition_conformance_and_collections(client: TestClient) -> None:
    body = client.get("/").json()
    rels = _rels(body)
    assert rels["service-desc"].endswith("/openapi.json")
    assert rels["conformance"].endswith("/conformance")
    assert rels["data"].endswith("/collections")


def test_conformance_declares_features_core_geojson_and_mvt_tiles(client: TestClient) -> None:
    classes = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in classes
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in classes


def test_collections_are_the_admin_levels_and_the_catalogue_layers(client: TestClient, wells: str,
                                                                    elevation: str) -> None:
    ids = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert ids[:4] == ["provinces", "counties", "districts", "neighbourhoods"]
    assert {"wells", "elevation"} <= set(ids)


def test_a_collection_has_its_extent_and_item_links(client: TestClient) -> None:
    body = client.get("/collections/provinces").json()
    minx, miny, maxx, maxy = body["extent"]["spatial"]["bbox"][0]
    assert 43 < minx < maxx < 64 and 24 < miny < maxy < 40  # Iran
    assert body["itemType"] == "feature"
    assert any(link["rel"] == "items" and link["type"] == "application/geo+json" for link in body["links"])


def test_unknown_collection_is_404_naming_the_known_ones(client: TestClient) -> None:
    response = client.get("/collections/nowhere/items")
    assert response.status_code == 404
    assert "provinces" in response.json()["error"]["message"]


def test_items_page_counts_and_links_to_next_and_previous(client: TestClient) -> None:
    body = client.get("/collections/counties/items", params={"limit": 5, "offset": 5}).json()
    assert body["numberMatched"] == 310
    assert body["numberReturned"] == len(body["features"]) == 5
    rels = _rels(body)
    assert "offset=10" in rels["next"] and "offset=0" in rels["prev"]
    first_ten = client.get("/collections/counties/items", params={"limit": 10}).json()["features"]
    assert [f["id"] for f in first_ten][5:] == [f["id"] for f in body["features"]]


def test_last_page_has_no_next_link(client: TestClient) -> None:
    body = client.get("/collections/provinces/items", params={"limit": 10, "offset": 30}).json()
    assert body["numberReturned"] == 1
    assert "next" not in _rels(body)


def test_admin_features_carry_the_latest_indicator_values(client: TestClient, session: Session) -> None:
    feature = client.get("/collections/neighbourhoods/items/IR-01-01-001").json()
    expected = session.execute(text(
        """SELECT v.value FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id
           JOIN admin_unit u ON u.id = v.unit_id
           WHERE u.code = 'IR-01-01-001' AND i.code = 'unemployment_rate' AND v.period = '2024'""")).scalar_one()
    assert feature["properties"]["unemployment_rate"] == pytest.approx(expected)
    assert feature["properties"]["parent_code"] == "IR-01-01"


def test_bbox_returns_exactly_what_postgis_says_intersects(client: TestClient, session: Session) -> None:
    bbox = (51.0, 35.0, 52.0, 36.0)
    expected = set(session.execute(text(
        """SELECT code FROM admin_unit WHERE level = 'county' AND valid_to IS NULL
           AND ST_Intersects(geom, ST_MakeEnvelope(51, 35, 52, 36, 4326))""")).scalars())
    body = client.get("/collections/counties/items", params={"bbox": ",".join(map(str, bbox)), "limit": 1000}).json()
    assert {f["id"] for f in body["features"]} == expected
    assert body["numberMatched"] == len(expected)


def test_properties_chooses_the_returned_properties(client: TestClient) -> None:
    feature = client.get("/collections/counties/items",
                         params={"limit": 1, "properties": "code,literacy_rate"}).json()["features"][0]
    assert set(feature["properties"]) == {"code", "literacy_rate"}


def test_property_equality_filters(client: TestClient) -> None:
    body = client.get("/collections/counties/items", params={"parent_code": "IR-07", "limit": 100}).json()
    assert body["numberMatched"] == 10
    assert {f["properties"]["parent_code"] for f in body["features"]} == {"IR-07"}


def test_indicator_values_filter_too(client: TestClient) -> None:
    value = client.get("/collections/provinces/items/IR-07").json()["properties"]["literacy_rate"]
    body = client.get("/collections/provinces/items", params={"literacy_rate": str(value)}).json()
    assert "IR-07" in {f["id"] for f in body["features"]}
    assert {f["properties"]["literacy_rate"] for f in body["features"]} == {value}


def test_datetime_filters_a_temporal_layer(client: TestClient, wells: str) -> None:
    body = client.get("/collections/wells/items", params={"datetime": "2024-01-01/2024-01-05"}).json()
    assert body["numberMatched"] == 5
    assert sorted(f["properties"]["drilled"] for f in body["features"])[0] == "2024-01-01"


def test_layer_feature_by_id(client: TestClient, wells: str) -> None:
    feature = client.get("/collections/wells/items/3").json()
    assert feature["properties"]["name"] == "well 3"
    assert feature["geometry"]["type"] == "MultiPoint"


def test_unknown_feature_is_404(client: TestClient, wells: str) -> None:
    assert client.get("/collections/wells/items/999999").status_code == 404
    assert client.get("/collections/wells/items/not-a-number").status_code == 404


@pytest.mark.parametrize(("params", "field"), [
    ({"bbox": "51,35,52"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"),
    ({"bbox": "52,35,51,36"}, "bbox"),
    ({"bbox": "51,35,52,95"}, "bbox"),
    ({"limit": "0"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"offset": "-1"}, "offset"),
    ({"datetime": "yesterday"}, "datetime"),
    ({"properties": "code,nonsense"}, "properties"),
    ({"nonsense": "1"}, "nonsense"),
    ({"population": "many"}, "population"),
])
def test_bad_parameters_are_400_with_a_message(client: TestClient, params: dict, field: str) -> None:
    response = client.get("/collections/counties/items", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field and error["message"]


def test_datetime_on_a_collection_without_time_is_400(client: TestClient) -> None:
    response = client.get("/collections/counties/items", params={"datetime": "2024-01-01"})
    assert response.status_code == 400
    assert "no date" in response.json()["error"]["message"]


def test_items_carry_a_strong_etag_and_answer_304(client: TestClient) -> None:
    first = client.get("/collections/provinces/items", params={"limit": 2})
    etag = first.headers["etag"]
    assert not etag.startswith("W/") and "max-age" in first.headers["cache-control"]
    again = client.get("/collections/provinces/items", params={"limit": 2}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_html_views(client: TestClient) -> None:
    for url in ("/", "/collections", "/collections/provinces", "/collections/provinces/items",
                "/collections/provinces/items/IR-07"):
        response = client.get(url, params={"f": "html"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
    assert "Tehran" in client.get("/collections/provinces/items/IR-07", params={"f": "html"}).text


def test_the_api_definition_describes_the_ogc_paths(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/", "/conformance", "/collections", "/collections/{collectionId}/items",
            "/collections/{collectionId}/items/{featureId}"} <= set(paths)
    limit = next(p for p in paths["/collections/{collectionId}/items"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 10_000


def test_an_empty_level_is_an_empty_collection(client: TestClient) -> None:
    body = client.get("/collections/districts/items").json()
    assert body["numberMatched"] == 0 and body["features"] == []


def test_raster_layers_have_no_items(client: TestClient, elevation: str) -> None:
    response = client.get("/collections/elevation/items")
    assert response.status_code == 404
    assert "map tiles" in response.json()["error"]["message"]
