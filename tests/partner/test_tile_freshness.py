"""One hook for "boundaries or data changed": the coalesced tiles and the stored map coverage
of a level are marked stale in the transaction that changes it, its tiles are drawn from the
exact boundaries meanwhile, and the server's background refresher rebuilds both
(spatial.serving.freshness, migration 0026_refresh_queue)."""

from __future__ import annotations

from collections.abc import Iterator

import mapbox_vector_tile
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.refresh_queue import clear_marks, stale_marks
from spatial.serving.generation import forget_generation
from spatial.serving.tiles import BUFFER, EXTENT

Z = 7


def _marks(session: Session) -> dict[tuple[str, str], int]:
    return {(product, level): mark for product in ("tiles", "coverage")
            for level, mark in stale_marks(session, product).items()}  # type: ignore[arg-type]


def _renewed(before: dict[tuple[str, str], int], after: dict[tuple[str, str], int]) -> set[tuple[str, str]]:
    return {key for key, mark in after.items() if before.get(key) != mark}


def _feature_bounds(client: TestClient, x: int, y: int, unit_id: int) -> tuple[float, ...] | None:
    """Bounds (tile units) of the province ``unit_id`` drawn alone in tile (Z, x, y), if it is."""
    response = client.get(f"/collections/provinces/tiles/WebMercatorQuad/{Z}/{y}/{x}")
    assert response.status_code == 200, response.text
    features = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})["provinces"]["features"]
    drawn = [f for f in features if f.get("id") == unit_id]
    return tuple(shapely.geometry.shape(drawn[0]["geometry"]).bounds) if drawn else None


@pytest.fixture
def reshaped_province(client: TestClient) -> Iterator[tuple[int, int, int, tuple[float, ...], tuple[float, ...]]]:
    """A province (the quickest level to refresh) reshaped to a box around its centre, committed; restored and refreshed after.
    Yields (unit id, tile x, tile y, its tile bounds before, its tile bounds after)."""
    from spatial.db.engine import session_scope
    from spatial.serving.freshness import refresh_stale

    bounds_sql = """SELECT ST_XMin(t), ST_YMin(t), ST_XMax(t), ST_YMax(t) FROM ST_AsMVTGeom(ST_Transform(
                        CAST(:geom AS geometry), 3857), ST_TileEnvelope(:z, :x, :y), :extent, :buffer, true) t"""
    with session_scope() as s:
        unit = s.execute(text(
            """SELECT id, ST_AsEWKT(geom) AS geom, ST_AsEWKT(ST_Multi(ST_Expand(ST_Centroid(geom),
                          (ST_XMax(geom) - ST_XMin(geom)) / 5, (ST_YMax(geom) - ST_YMin(geom)) / 5))) AS box,
                      ST_X(ST_Centroid(geom)) AS lon, ST_Y(ST_Centroid(geom)) AS lat
               FROM admin_unit WHERE level = 'province' AND valid_to IS NULL ORDER BY code LIMIT 1""")).one()
        x, y = s.execute(text(
            """SELECT floor((ST_X(p) + 20037508.342789244) / (40075016.68557849 / (1 << :z)))::int,
                      floor((20037508.342789244 - ST_Y(p)) / (40075016.68557849 / (1 << :z)))::int
               FROM ST_Transform(ST_SetSRID(ST_Point(:lon, :lat), 4326), 3857) p"""),
            {"z": Z, "lon": unit.lon, "lat": unit.lat}).one()
        tile = {"z": Z, "x": x, "y": y, "extent": EXTENT, "buffer": BUFFER}
        old = tuple(s.execute(text(bounds_sql), {"geom": unit.geom, **tile}).one())
        new = tuple(s.execute(text(bounds_sql), {"geom": unit.box, **tile}).one())
    assert _feature_bounds(client, x, y, unit.id) == pytest.approx(old, abs=2)  # cached before the edit
    with session_scope() as s:
        s.execute(text("UPDATE admin_unit SET geom = ST_GeomFromEWKT(:g) WHERE id = :id"), {"g": unit.box, "id": unit.id})
    forget_generation()
    try:
        yield unit.id, x, y, old, new
    finally:
        with session_scope() as s:
            s.execute(text("UPDATE admin_unit SET geom = ST_GeomFromEWKT(:g) WHERE id = :id"),
                      {"g": unit.geom, "id": unit.id})
        with session_scope() as s:
            refresh_stale(s)
        forget_generation()


def test_a_boundary_edit_is_in_the_next_tile_and_the_background_refresh_coalesces_it(
        client: TestClient, reshaped_province: tuple[int, int, int, tuple[float, ...], tuple[float, ...]]) -> None:
    from spatial.db.engine import session_scope
    from spatial.serving.freshness import refresh_stale
    from spatial.serving.warming import Warmer

    unit_id, x, y, old, new = reshaped_province
    assert new != pytest.approx(old, abs=2)
    # No `pishraft tiles refresh`: the level is drawn from its exact boundaries meanwhile.
    assert _feature_bounds(client, x, y, unit_id) == pytest.approx(new, abs=2)
    with session_scope() as s:
        assert {("tiles", "province"), ("coverage", "province")} <= set(_marks(s))
    # What the server's refresher does after the change, in the background.
    assert Warmer(refresh_stale, every_s=60).warm_if_changed()
    forget_generation()
    with session_scope() as s:
        assert not {key for key in _marks(s) if key[1] == "province"}
        rows = s.execute(text("SELECT count(*) FROM admin_unit_coalesced_tile WHERE level = 'province' AND zoom = :z "
                              "AND x = :x AND y = :y AND unit_id = :id"), {"z": Z, "x": x, "y": y, "id": unit_id})
        assert rows.scalar() == 1  # drawn from the rebuilt coalesced features again
    assert _feature_bounds(client, x, y, unit_id) == pytest.approx(new, abs=2)


def test_one_hook_marks_the_tiles_and_the_map_coverage_of_a_reshaped_level(session: Session) -> None:
    code = session.execute(text("SELECT min(code) FROM admin_unit WHERE level = 'neighbourhood' "
                                "AND valid_to IS NULL")).scalar_one()
    assert session.execute(text("SELECT count(*) FROM map_coverage WHERE level = 'neighbourhood'")).scalar() == 1
    before = _marks(session)
    session.execute(text("UPDATE admin_unit SET geom = ST_Multi(ST_Buffer(geom, -0.0001)) WHERE code = :c"),
                    {"c": code})
    assert _renewed(before, _marks(session)) == {("tiles", "neighbourhood"), ("coverage", "neighbourhood")}
    # A stale coverage is never drawn: maps draw the exact boundaries until it is rebuilt.
    assert session.execute(text("SELECT count(*) FROM map_coverage WHERE level = 'neighbourhood'")).scalar() == 0


def test_a_new_name_marks_nothing_and_new_values_mark_only_the_tiles(session: Session) -> None:
    code = session.execute(text("SELECT min(code) FROM admin_unit WHERE level = 'county' AND valid_to IS NULL")
                           ).scalar_one()
    before = _marks(session)
    session.execute(text("UPDATE admin_unit SET name_en = name_en || ' (renamed)' WHERE code = :c"), {"c": code})
    assert _renewed(before, _marks(session)) == set()
    session.execute(text("UPDATE indicator_value SET value = value + 1 WHERE unit_id = "
                         "(SELECT id FROM admin_unit WHERE code = :c)"), {"c": code})
    assert _renewed(before, after := _marks(session)) == {("tiles", "county")}
    session.execute(text("UPDATE admin_unit SET population = population + 1 WHERE code = :c"), {"c": code})
    assert _renewed(after, _marks(session)) == {("tiles", "county")}  # merged features sum it


def test_a_change_made_while_a_rebuild_ran_stays_marked(session: Session) -> None:
    code = session.execute(text("SELECT min(code) FROM admin_unit WHERE level = 'county' AND valid_to IS NULL")
                           ).scalar_one()
    change = text("UPDATE admin_unit SET population = population + 1 WHERE code = :c")
    session.execute(change, {"c": code})
    read_by_the_rebuild = stale_marks(session, "tiles", ["county"])
    session.execute(change, {"c": code})  # committed while the rebuild ran
    clear_marks(session, "tiles", read_by_the_rebuild)
    assert "county" in stale_marks(session, "tiles")
    clear_marks(session, "tiles", stale_marks(session, "tiles", ["county"]))
    assert "county" not in stale_marks(session, "tiles")
