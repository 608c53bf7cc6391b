"""OGC API – Tiles: Mapbox Vector Tiles from PostGIS, tileset metadata, TileJSON, caching."""

from __future__ import annotations

import mapbox_vector_tile
import morecantile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.engine import session_scope

TEHRAN = (51.39, 35.69)
WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")


def _tile_at(z: int, lon: float = TEHRAN[0], lat: float = TEHRAN[1]) -> tuple[int, int, int]:
    t = WEB_MERCATOR.tile(lon, lat, z)
    return z, t.y, t.x


def _decode(client: TestClient, collection: str, z: int, y: int, x: int, **params: str) -> dict:
    response = client.get(f"/collections/{collection}/tiles/WebMercatorQuad/{z}/{y}/{x}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content)


def _codes_in_tile(session: Session, level: str, z: int, y: int, x: int) -> set[str]:
    return set(session.execute(text(
        """SELECT code FROM admin_unit WHERE level = :level AND valid_to IS NULL
           AND ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y))"""),
        {"level": level, "z": z, "x": x, "y": y}).scalars())


@pytest.mark.parametrize(("collection", "level", "z"), [
    ("provinces", "province", 3), ("counties", "county", 5),
    ("neighbourhoods", "neighbourhood", 8), ("neighbourhoods", "neighbourhood", 11),
])
def test_tiles_hold_the_units_of_their_area_with_attributes(client: TestClient, session: Session, collection: str,
                                                            level: str, z: int) -> None:
    tile = _decode(client, collection, *_tile_at(z))
    features = tile[collection]["features"]
    codes = {f["properties"]["code"] for f in features if f["properties"]["units"] == 1}
    # Small units may be merged at low zooms: their codes are the merged features' members.
    z, y, x = _tile_at(z)
    codes |= set(session.execute(text(
        """SELECT unnest(codes) FROM admin_unit_coalesced_tile WHERE level = :level AND zoom = :z AND x = :x
           AND y = :y AND units > 1"""), {"level": level, "z": z, "x": x, "y": y}).scalars())
    # Features touching the tile only within the buffer may be in it too, never one missing.
    assert _codes_in_tile(session, level, z, y, x) <= codes
    sample = next(f["properties"] for f in features if f["properties"]["units"] == 1)
    assert {"name_en", "population", "unemployment_rate"} <= set(sample)
    assert isinstance(sample["unemployment_rate"], float)


def test_low_zoom_tiles_of_small_units_carry_code_and_headline_indicators_only(client: TestClient, session: Session) -> None:
    features = [f for f in _decode(client, "neighbourhoods", *_tile_at(5))["neighbourhoods"]["features"]
                if f["properties"]["units"] == 1] or _decode(client, "neighbourhoods", *_tile_at(7))["neighbourhoods"]["features"]
    indicators = set(session.execute(text(
        """SELECT DISTINCT i.code FROM indicator i JOIN indicator_value v ON v.indicator_id = i.id
           JOIN admin_unit u ON u.id = v.unit_id
           WHERE u.code = :code AND i.domain IN ('capacity', 'deprivation')"""), {"code": features[0]["properties"]["code"]}
    ).scalars())
    assert {"unemployment_rate", "literacy_rate"} <= indicators
    assert set(features[0]["properties"]) == {"code", "population", "units", "parent"} | indicators
    named = _decode(client, "neighbourhoods", *_tile_at(8), properties="code,name_en")["neighbourhoods"]
    assert {"code", "name_en", "units", "parent"} == set(next(
        f["properties"] for f in named["features"] if f["properties"]["units"] == 1))


def test_z5_tiles_stay_under_500_kb(client: TestClient) -> None:
    for z, y, x in (_tile_at(5), _tile_at(5, 59.6, 36.3), _tile_at(5, 56.0, 27.2)):
        response = client.get(f"/collections/neighbourhoods/tiles/WebMercatorQuad/{z}/{y}/{x}")
        assert response.status_code == 200
        assert len(response.content) < 500_000


def test_properties_choose_the_tile_attributes(client: TestClient) -> None:
    tile = _decode(client, "counties", *_tile_at(6), properties="code,literacy_rate")
    # Beside the chosen ones, every administrative feature says how many units it holds and their parent.
    assert set(tile["counties"]["features"][0]["properties"]) == {"code", "literacy_rate", "units", "parent"}


def test_layer_tiles_hold_the_layer_attributes(client: TestClient, wells: str) -> None:
    tile = _decode(client, "wells", *_tile_at(6, 51.5, 35.5))  # one tile holds the whole grid
    features = tile["wells"]["features"]
    assert len(features) == 64
    assert {"name", "depth_m", "drilled"} == set(features[0]["properties"])


def test_empty_tile_is_204(client: TestClient) -> None:
    z, y, x = _tile_at(6, -40.0, 0.0)  # the Atlantic
    response = client.get(f"/collections/provinces/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert response.status_code == 204 and response.content == b""


@pytest.mark.parametrize(("path", "status", "field"), [
    ("WebMercatorQuad/23/0/0", 404, "tileMatrix"),
    ("WebMercatorQuad/3/8/0", 404, "tileRow"),
    ("WebMercatorQuad/3/0/8", 404, "tileCol"),
    ("WebMercatorQuad/3/-1/0", 404, "tileRow"),
    ("WebMercatorQuad/x/0/0", 400, "tileMatrix"),
    ("WorldCRS84Quad/3/0/0", 404, "tileMatrixSetId"),
])
def test_tiles_outside_the_matrix_are_rejected_clearly(client: TestClient, path: str, status: int,
                                                       field: str) -> None:
    response = client.get(f"/collections/provinces/tiles/{path}")
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_tiles_of_an_unknown_collection_are_404(client: TestClient) -> None:
    assert client.get("/collections/nowhere/tiles/WebMercatorQuad/3/3/5").status_code == 404


def test_tiles_carry_a_strong_etag_and_answer_304(client: TestClient) -> None:
    url = "/collections/provinces/tiles/WebMercatorQuad/{}/{}/{}".format(*_tile_at(5))
    first = client.get(url)
    assert first.headers["etag"].startswith('"') and "max-age" in first.headers["cache-control"]
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_changed_indicator_values_invalidate_cached_tiles(client: TestClient) -> None:
    url = "/collections/provinces/tiles/WebMercatorQuad/{}/{}/{}".format(*_tile_at(4))
    before = client.get(url)
    with session_scope() as s:
        s.execute(text("""UPDATE indicator_value SET value = value + 1 WHERE period = '2024' AND unit_id =
                          (SELECT id FROM admin_unit WHERE code = 'IR-07')"""))
    try:
        from spatial.serving.generation import forget_generation

        forget_generation()
        after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        assert after.headers["etag"] != before.headers["etag"]
    finally:
        with session_scope() as s:
            s.execute(text("""UPDATE indicator_value SET value = value - 1 WHERE period = '2024' AND unit_id =
                              (SELECT id FROM admin_unit WHERE code = 'IR-07')"""))


def test_tileset_metadata_links_the_tile_template(client: TestClient) -> None:
    listing = client.get("/collections/counties/tiles").json()
    assert listing["tilesets"][0]["dataType"] == "vector"
    tileset = client.get("/collections/counties/tiles/WebMercatorQuad").json()
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert item["href"].endswith("/collections/counties/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    assert "population" in tileset["layers"][0]["propertiesSchema"]["properties"]
    assert client.get("/tileMatrixSets").json()["tileMatrixSets"][0]["id"] == "WebMercatorQuad"
    assert client.get("/tileMatrixSets/WebMercatorQuad").json()["id"] == "WebMercatorQuad"


def test_tilejson_describes_the_vector_layer(client: TestClient) -> None:
    document = client.get("/collections/counties/tiles/WebMercatorQuad/tilejson.json",
                          params={"properties": "code,population"}).json()
    assert document["tilejson"] == "3.0.0"
    assert document["tiles"][0].endswith("/collections/counties/tiles/WebMercatorQuad/{z}/{y}/{x}"
                                         "?properties=code,population")
    assert document["vector_layers"][0]["id"] == "counties"
    assert 43 < document["bounds"][0] < document["bounds"][2] < 64


def test_raster_collections_have_no_vector_tiles(client: TestClient, elevation: str) -> None:
    response = client.get("/collections/elevation/tiles/WebMercatorQuad/8/101/164")
    assert response.status_code == 404
    assert "map/tiles" in response.json()["error"]["message"]
