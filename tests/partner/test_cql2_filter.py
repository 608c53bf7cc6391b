"""OGC API – Features Part 3: CQL2 filters (text and JSON) on items and vector tiles,
queryables and sortby. Every answer is checked against what PostGIS says directly."""

from __future__ import annotations

import json
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

CONFORMANCE_FILTER = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter"


def _ids(client: TestClient, collection: str, **params: Any) -> list[str]:
    response = client.get(f"/collections/{collection}/items", params={"limit": 10_000, **params})
    assert response.status_code == 200, response.text
    return [str(f["id"]) for f in response.json()["features"]]


def _well_ids(session: Session, where: str, **params: Any) -> set[str]:
    return {str(i) for i in session.execute(text(f"SELECT fid FROM layers.test_wells WHERE {where}"), params)
            .scalars()}


def _unit_codes(session: Session, level: str, where: str) -> set[str]:
    return set(session.execute(text(
        f"""SELECT u.code FROM admin_unit u WHERE u.level = :level AND u.valid_to IS NULL AND {where}"""),
        {"level": level}).scalars())


def test_conformance_advertises_filtering_cql2_and_queryables(client: TestClient) -> None:
    classes = client.get("/conformance").json()["conformsTo"]
    for name in (CONFORMANCE_FILTER, "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
                 "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
                 "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
                 "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables"):
        assert name in classes


@pytest.mark.parametrize(("cql", "where"), [
    ("depth_m > 50", "depth_m > 50"),
    ("depth_m >= 20 AND depth_m < 30", "depth_m >= 20 AND depth_m < 30"),
    ("depth_m < 12 OR depth_m > 70", "depth_m < 12 OR depth_m > 70"),
    ("NOT (depth_m > 12)", "NOT (depth_m > 12)"),
    ("depth_m <> 10", "depth_m <> 10"),
    ("name LIKE 'well 1%'", "name LIKE 'well 1%'"),
    ("name NOT LIKE 'well 1%'", "name NOT LIKE 'well 1%'"),
    ("name IN ('well 3', 'well 5', 'nowhere')", "name IN ('well 3', 'well 5')"),
    ("depth_m BETWEEN 15 AND 18", "depth_m BETWEEN 15 AND 18"),
    ("depth_m NOT BETWEEN 15 AND 70", "depth_m NOT BETWEEN 15 AND 70"),
    ("name IS NULL", "name IS NULL"),
    ("name IS NOT NULL", "name IS NOT NULL"),
    ("CASEI(name) = casei('WELL 7')", "lower(name) = 'well 7'"),
    ("drilled > DATE('2024-02-01')", "drilled > DATE '2024-02-01'"),
    ("S_INTERSECTS(geometry, POLYGON((51 35, 51.5 35, 51.5 35.5, 51 35.5, 51 35)))",
     "ST_Intersects(geom, ST_GeomFromText('POLYGON((51 35, 51.5 35, 51.5 35.5, 51 35.5, 51 35))', 4326))"),
    ("S_WITHIN(geometry, BBOX(51.2, 35.2, 51.8, 35.8))",
     "ST_Within(geom, ST_MakeEnvelope(51.2, 35.2, 51.8, 35.8, 4326))"),
    ("S_DISJOINT(geom, POINT(51.05 35.05))", "ST_Disjoint(geom, ST_Point(51.05, 35.05, 4326))"),
])
def test_cql2_text_on_items_matches_postgis(client: TestClient, session: Session, wells: str, cql: str,
                                           where: str) -> None:
    expected = _well_ids(session, where)
    got = _ids(client, "wells", filter=cql)
    assert set(got) == expected and len(got) == len(expected)


@pytest.mark.parametrize(("document", "where"), [
    ({"op": ">", "args": [{"property": "depth_m"}, 50]}, "depth_m > 50"),
    ({"op": "and", "args": [{"op": ">=", "args": [{"property": "depth_m"}, 20]},
                            {"op": "like", "args": [{"property": "name"}, "well 2%"]}]},
     "depth_m >= 20 AND name LIKE 'well 2%'"),
    ({"op": "in", "args": [{"property": "name"}, ["well 1", "well 2"]]}, "name IN ('well 1', 'well 2')"),
    ({"op": "between", "args": [{"property": "depth_m"}, 30, 40]}, "depth_m BETWEEN 30 AND 40"),
    ({"op": "isNull", "args": [{"property": "name"}]}, "name IS NULL"),
    ({"op": "not", "args": [{"op": "<", "args": [{"property": "depth_m"}, 60]}]}, "NOT depth_m < 60"),
    ({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [51.0, 35.0, 51.5, 35.5]}]},
     "ST_Intersects(geom, ST_MakeEnvelope(51.0, 35.0, 51.5, 35.5, 4326))"),
    ({"op": "s_within", "args": [{"property": "geometry"},
                                 {"type": "Polygon", "coordinates": [[[51, 35], [52, 35], [52, 35.4], [51, 35]]]}]},
     "ST_Within(geom, ST_GeomFromText('POLYGON((51 35, 52 35, 52 35.4, 51 35))', 4326))"),
    ({"op": "t_after", "args": [{"property": "drilled"}, {"date": "2024-02-15"}]}, "drilled > DATE '2024-02-15'"),
    ({"op": "t_during", "args": [{"property": "drilled"}, {"interval": ["2024-01-10", "2024-01-20"]}]},
     "drilled > DATE '2024-01-10' AND drilled < DATE '2024-01-20'"),
    ({"op": "t_intersects", "args": [{"property": "drilled"}, {"interval": ["2024-02-20", ".."]}]},
     "drilled >= DATE '2024-02-20'"),
])
def test_cql2_json_on_items_matches_postgis(client: TestClient, session: Session, wells: str,
                                           document: dict, where: str) -> None:
    expected = _well_ids(session, where)
    got = _ids(client, "wells", **{"filter": json.dumps(document), "filter-lang": "cql2-json"})
    assert set(got) == expected


def test_the_partners_question_on_neighbourhoods(client: TestClient, session: Session) -> None:
    """"Neighbourhoods where unemployment_rate > 12 and population > 5000", in CQL2."""
    got = _ids(client, "neighbourhoods", filter="unemployment_rate > 12 AND population > 5000", properties="code")
    expected = _unit_codes(session, "neighbourhood", "u.population > 5000 AND "
                           "(pishraft_unit_properties(u.id) ->> 'unemployment_rate')::float > 12")
    assert expected and set(got) == expected


def test_filter_and_bbox_and_equality_combine(client: TestClient, session: Session) -> None:
    got = _ids(client, "counties", filter="population > 100000", bbox="51,35,52,36", properties="code")
    expected = _unit_codes(session, "county", "u.population > 100000 AND "
                           "ST_Intersects(u.geom, ST_MakeEnvelope(51, 35, 52, 36, 4326))")
    assert set(got) == expected


def test_filter_crs_epsg_4326_reads_latitude_first(client: TestClient, session: Session, wells: str) -> None:
    got = _ids(client, "wells", **{"filter": "S_INTERSECTS(geometry, POLYGON((35 51, 35 51.5, 35.5 51.5, 35.5 51, "
                                             "35 51)))",
                                   "filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"})
    assert set(got) == _well_ids(session, "ST_Intersects(geom, ST_MakeEnvelope(51, 35, 51.5, 35.5, 4326))")


@pytest.mark.parametrize(("params", "said"), [
    ({"filter": "depth_m >"}, "column"),
    ({"filter": "depth_m > 'deep'"}, "not a number"),
    ({"filter": "nonsense = 1"}, "no queryable 'nonsense'"),
    ({"filter": "name > 5"}, "text"),
    ({"filter": "geom = 5"}, "geometry"),
    ({"filter": "S_INTERSECTS(geometry, POINT(500 500))"}, "outside"),
    ({"filter": "{not json", "filter-lang": "cql2-json"}, "character"),
    ({"filter": '{"op": "zz"}', "filter-lang": "cql2-json"}, "cql2-json"),
    ({"filter": "depth_m > 1", "filter-lang": "ecql"}, "filter-lang"),
    ({"filter": "depth_m > 1", "filter-crs": "EPSG:2000"}, "filter-crs"),
])
def test_bad_filters_are_400_saying_what_and_where(client: TestClient, wells: str, params: dict,
                                                   said: str) -> None:
    response = client.get("/collections/wells/items", params=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] in ("filter", "filter-lang", "filter-crs")
    assert said in error["message"], error["message"]


def test_a_syntax_error_names_its_position(client: TestClient, wells: str) -> None:
    message = client.get("/collections/wells/items", params={"filter": "depth_m > 5 AND AND"}).json()["error"]
    assert "line 1, column" in message["message"]


_WORDS = st.sampled_from(["depth_m", "name", "drilled", "geometry", "nonsense", "AND", "OR", "NOT", "LIKE", "IN",
                          "BETWEEN", "IS", "NULL", "(", ")", ",", "'", "''", "=", "<>", ">", "<=", "5", "-1e999",
                          "'well 1%'", "DATE('2024-01-01')", "S_INTERSECTS", "POINT(51 35)", "BBOX(1,2,3,4)",
                          "CASEI", "TRUE", "\x00", "%", "ü", "99999999999999999999999"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.lists(_WORDS, min_size=1, max_size=8).map(" ".join), st.text(max_size=40)))
def test_fuzzed_text_filters_never_give_500(client: TestClient, wells: str, cql: str) -> None:
    response = client.get("/collections/wells/items", params={"filter": cql, "limit": 1})
    assert response.status_code in (200, 400), (cql, response.status_code, response.text)


_JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
              st.sampled_from([{"property": "depth_m"}, {"property": "name"}, {"property": "geometry"},
                               {"date": "2024-01-01"}, {"bbox": [51, 35, 52, 36]}])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.fixed_dictionaries({"op": st.sampled_from(["=", "<", "and", "or", "not", "like", "in",
                                                                          "between", "isNull", "s_intersects",
                                                                          "t_after", "casei", "zz"]),
                                                   "args": st.lists(inner, max_size=3)})),
    max_leaves=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_JSON_VALUES)
def test_fuzzed_json_filters_never_give_500(client: TestClient, wells: str, document: Any) -> None:
    response = client.get("/collections/wells/items", params={"filter": json.dumps(document),
                                                               "filter-lang": "cql2-json", "limit": 1})
    assert response.status_code in (200, 400), (document, response.status_code, response.text)


def test_queryables_are_a_json_schema_with_english_and_persian_titles(client: TestClient, session: Session) -> None:
    response = client.get("/collections/neighbourhoods/queryables")
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["type"] == "object" and schema["$id"].endswith("/collections/neighbourhoods/queryables")
    name_en, name_fa = session.execute(text(
        "SELECT name_en, name_fa FROM indicator WHERE code = 'unemployment_rate'")).one()
    rate = schema["properties"]["unemployment_rate"]
    assert rate["type"] == "number" and rate["title"] == name_en and rate["description"] == name_fa
    assert schema["properties"]["population"]["type"] == "integer"
    assert schema["properties"]["geometry"]["format"] == "geometry-multipolygon"


def test_collections_link_their_queryables(client: TestClient) -> None:
    links = client.get("/collections/counties").json()["links"]
    assert any(link["rel"].endswith("/queryables") for link in links)


def test_sortby_orders_by_several_keys(client: TestClient, session: Session) -> None:
    got = _ids(client, "counties", sortby="-population,+code", properties="code")
    expected = session.execute(text(
        """SELECT code FROM admin_unit WHERE level = 'county' AND valid_to IS NULL
           ORDER BY population DESC NULLS LAST, code""")).scalars().all()
    assert got == expected


def test_sortby_an_indicator_with_an_unencoded_plus(client: TestClient, session: Session) -> None:
    response = client.get("/collections/provinces/items?sortby=+unemployment_rate&limit=100&properties=code")
    got = [f["id"] for f in response.json()["features"]]
    expected = session.execute(text(
        """SELECT code FROM admin_unit u WHERE level = 'province' AND valid_to IS NULL
           ORDER BY (pishraft_unit_properties(u.id) ->> 'unemployment_rate')::float NULLS LAST, u.id""")
    ).scalars().all()
    assert got == expected


def test_sorted_pages_follow_on_by_offset(client: TestClient, session: Session) -> None:
    first = client.get("/collections/counties/items", params={"sortby": "-population", "limit": 7}).json()
    next_link = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert "cursor" not in next_link and "offset=7" in next_link
    second = client.get(next_link.replace("http://testserver", "")).json()
    whole = _ids(client, "counties", sortby="-population")
    assert [f["id"] for f in first["features"] + second["features"]] == whole[:14]


def test_sortby_an_unknown_property_is_400(client: TestClient) -> None:
    response = client.get("/collections/counties/items", params={"sortby": "-nonsense"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "sortby"


def _tile_codes(client: TestClient, params: dict) -> set[str]:
    response = client.get("/collections/counties/tiles/WebMercatorQuad/6/25/41", params=params)
    assert response.status_code in (200, 204), response.text
    if response.status_code == 204:
        return set()
    layers = mapbox_vector_tile.decode(response.content)
    return {f["properties"]["code"] for f in layers["counties"]["features"]}


def test_vector_tiles_carry_only_the_features_the_filter_admits(client: TestClient, session: Session) -> None:
    everything = _tile_codes(client, {"properties": "code,population"})
    populous = _tile_codes(client, {"properties": "code,population", "filter": "population > 300000"})
    expected = _unit_codes(session, "county", "u.population > 300000")
    assert populous and populous < everything
    assert populous == everything & expected
    # The unfiltered tile, cached first, is not what the filtered request gets, nor the reverse.
    assert _tile_codes(client, {"properties": "code,population"}) == everything


def test_vector_tile_filters_in_cql2_json_with_a_spatial_predicate(client: TestClient, session: Session) -> None:
    document = {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [51.0, 35.0, 52.0, 36.0]}]}
    got = _tile_codes(client, {"properties": "code", "filter": json.dumps(document), "filter-lang": "cql2-json"})
    expected = _unit_codes(session, "county", "ST_Intersects(u.geom, ST_MakeEnvelope(51, 35, 52, 36, 4326))")
    assert got and got <= expected


def test_a_bad_tile_filter_is_400(client: TestClient) -> None:
    response = client.get("/collections/counties/tiles/WebMercatorQuad/6/25/41", params={"filter": "population >"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "filter"


def test_tilejson_hands_the_filter_on_to_the_tile_urls(client: TestClient) -> None:
    document = client.get("/collections/counties/tiles/WebMercatorQuad/tilejson.json",
                          params={"filter": "population > 300000"}).json()
    assert "filter=population" in document["tiles"][0]
