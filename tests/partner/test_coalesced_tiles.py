"""Administrative tiles are whole at every zoom: small units are merged with their small
neighbours of the same parent, never left out (spatial.serving.coalesce)."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.serving.tiles import BUFFER, EXTENT, SCREEN_PIXEL, TILE_BUDGET_BYTES

LEVELS = {"provinces": "province", "counties": "county", "neighbourhoods": "neighbourhood"}


def _iran_tiles(session: Session, z: int) -> list[tuple[int, int]]:
    """(x, y) of every tile of zoom ``z`` that meets a province."""
    return [tuple(r) for r in session.execute(text(
        """WITH e AS (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom), 4326), 3857) AS g FROM admin_unit
                      WHERE level = 'province' AND valid_to IS NULL)
           SELECT x, y FROM e, generate_series(0, (1 << :z) - 1) x, generate_series(0, (1 << :z) - 1) y
           WHERE ST_Intersects(ST_TileEnvelope(:z, x, y), e.g) ORDER BY x, y"""), {"z": z}).all()]


def _features(client: TestClient, collection: str, z: int, x: int, y: int) -> list[dict]:
    response = client.get(f"/collections/{collection}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert response.status_code in (200, 204), response.text
    assert len(response.content) <= TILE_BUDGET_BYTES
    if response.status_code == 204:
        return []
    return mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})[collection]["features"]


def _units_meeting(session: Session, level: str, z: int, x: int, y: int) -> int:
    """Units whose interior meets the tile's buffered bounds, as the database sees it."""
    return int(session.execute(text(
        """SELECT count(*) FROM admin_unit WHERE level = :level AND valid_to IS NULL
           AND ST_Relate(ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y, margin => :margin), 'T********')"""),
        {"level": level, "z": z, "x": x, "y": y, "margin": BUFFER / EXTENT}).scalar_one())


@pytest.mark.parametrize("collection", ["neighbourhoods", "counties"])
def test_every_zoom_5_tile_counts_every_unit_it_meets(client: TestClient, session: Session, collection: str) -> None:
    checked = 0
    for x, y in _iran_tiles(session, 5):
        features = _features(client, collection, 5, x, y)
        assert sum(f["properties"]["units"] for f in features) == _units_meeting(session, LEVELS[collection], 5, x, y)
        checked += bool(features)
    assert checked >= 4


def test_a_national_tile_merges_small_neighbourhoods_of_one_parent(client: TestClient, session: Session) -> None:
    x, y = max(_iran_tiles(session, 5), key=lambda t: _units_meeting(session, "neighbourhood", 5, *t))
    features = _features(client, "neighbourhoods", 5, x, y)
    merged = [f for f in features if f["properties"]["units"] > 1]
    assert merged and len(features) < _units_meeting(session, "neighbourhood", 5, x, y)
    for feature in merged:
        props = feature["properties"]
        assert "code" not in props and props["parent"]
        assert {"population", "unemployment_rate"} <= set(props)
    row = session.execute(text(
        """SELECT c.codes, c.rollup FROM admin_unit_coalesced_tile c WHERE c.level = 'neighbourhood'
           AND c.zoom = 5 AND c.x = :x AND c.y = :y AND c.units > 1 ORDER BY c.seq LIMIT 1"""), {"x": x, "y": y}).one()
    # The merged feature's population is its members' sum, its rate their population-weighted mean.
    members = session.execute(text(
        """SELECT DISTINCT ON (u.id) u.population, v.value FROM admin_unit u
           JOIN indicator_value v ON v.unit_id = u.id
           JOIN indicator i ON i.id = v.indicator_id AND i.code = 'unemployment_rate'
           WHERE u.code = ANY(:codes) ORDER BY u.id, v.period DESC"""), {"codes": row.codes}).all()
    population = np.array([m.population for m in members], dtype=float)
    rate = np.array([m.value for m in members], dtype=float)
    assert row.rollup["population"] == pytest.approx(population.sum())
    assert row.rollup["unemployment_rate"] == pytest.approx(np.average(rate, weights=population))
    # Asked for plain columns, a merged feature carries its population rolled up too.
    response = client.get(f"/collections/neighbourhoods/tiles/WebMercatorQuad/5/{y}/{x}",
                          params={"properties": "code,population"})
    plain = mapbox_vector_tile.decode(response.content)["neighbourhoods"]["features"]
    assert sum(f["properties"]["population"] for f in plain if f["properties"]["units"] > 1) > 0
    # Units drawn alone say so.
    alone = [f for f in _features(client, "provinces", 5, x, y)]
    assert alone and all(f["properties"]["units"] == 1 and f["properties"]["code"] for f in alone)


@pytest.mark.parametrize("level", ["province", "county", "neighbourhood"])
def test_every_unit_is_reachable_at_every_zoom_up_to_10(session: Session, level: str) -> None:
    total = session.execute(text("SELECT count(*) FROM admin_unit WHERE level = :level AND valid_to IS NULL"),
                            {"level": level}).scalar_one()
    reached = session.execute(text(
        """SELECT c.zoom, count(DISTINCT m.code) FILTER (WHERE u.id IS NOT NULL) AS known,
                  count(*) FILTER (WHERE u.id IS NULL) AS unknown
           FROM admin_unit_coalesced_tile c CROSS JOIN unnest(c.codes) AS m(code)
           LEFT JOIN admin_unit u ON u.code = m.code AND u.level = :level AND u.valid_to IS NULL
           WHERE c.level = :level GROUP BY c.zoom ORDER BY c.zoom"""), {"level": level}).all()
    assert [tuple(r) for r in reached] == [(z, total, 0) for z in range(11)]


@pytest.mark.parametrize("z", [5, 7])
def test_no_two_features_of_a_tile_overlap_by_more_than_a_pixel(client: TestClient, session: Session, z: int) -> None:
    for x, y in _iran_tiles(session, z)[:: max(1, len(_iran_tiles(session, z)) // 12)]:
        features = _features(client, "neighbourhoods", z, x, y)
        shapes = shapely.make_valid(np.array([shapely.geometry.shape(f["geometry"]) for f in features], dtype=object))
        if len(shapes) < 2:
            continue
        left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
        pairs = left < right
        overlaps = shapely.area(shapely.intersection(shapes[left[pairs]], shapes[right[pairs]]))
        assert overlaps.max(initial=0) <= SCREEN_PIXEL ** 2, (z, x, y)


def test_tilejson_says_what_units_and_parent_mean(client: TestClient) -> None:
    document = client.get("/collections/neighbourhoods/tiles/WebMercatorQuad/tilejson.json").json()
    fields = document["vector_layers"][0]["fields"]
    assert "merged" in fields["units"] and "parent" in fields["parent"]


def test_a_refresh_starts_a_new_generation_and_keeps_the_table_whole(session: Session) -> None:
    from spatial.serving.coalesce import refresh_coalesced_tiles

    before = session.execute(text("SELECT count(*), sum(units) FROM admin_unit_coalesced_tile")).one()
    generation = session.execute(text("SELECT value::bigint FROM pishraft_meta WHERE key = 'data_generation'")).scalar()
    refresh_coalesced_tiles(session, ["county"])
    after = session.execute(text("SELECT count(*), sum(units) FROM admin_unit_coalesced_tile")).one()
    assert tuple(after) == tuple(before)
    assert session.execute(text("SELECT value::bigint FROM pishraft_meta WHERE key = 'data_generation'")
                           ).scalar() > generation
