"""A large level's simplified coverage is stored with the units: its national map simplifies
nothing, and a change to its boundaries makes the stored coverage go (never stale)."""

from __future__ import annotations

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from maps.choropleth import SIMPLIFIED_FOR
from maps.pages import whole_level
from spatial.units.coverage import STORED_FROM, refresh_coverage, simplify_for_zoom, stored_coverage
from spatial.units.frames import units_frame


def stored_zoom(session: Session, level: str) -> int | None:
    stored = stored_coverage(session, level)
    return None if stored is None else stored.zoom


def test_the_demo_stores_the_neighbourhoods_simplified_and_their_national_map_draws_them(session: Session) -> None:
    zoom = stored_zoom(session, "neighbourhood")
    assert zoom is not None
    assert stored_zoom(session, "province") is None  # 31 provinces are drawn fast enough as they are
    frame = whole_level(session, "neighbourhood")
    assert len(frame) > STORED_FROM and frame.attrs[SIMPLIFIED_FOR] == zoom
    exact = units_frame(session, level="neighbourhood")
    assert frame["code"].tolist() == exact["code"].tolist()
    expected = simplify_for_zoom(exact.geometry.values, zoom)
    assert shapely.equals_exact(frame.geometry.values, expected, tolerance=1e-9).all()
    assert shapely.get_num_coordinates(frame.geometry.values).sum() < shapely.get_num_coordinates(exact.geometry.values).sum()


def test_a_reshaped_unit_forgets_the_stored_coverage_and_a_new_name_keeps_it(session: Session) -> None:
    code = session.execute(text("SELECT min(code) FROM admin_unit WHERE level = 'neighbourhood'")).scalar_one()
    session.execute(text("UPDATE admin_unit SET name_en = name_en || ' (renamed)' WHERE code = :c"), {"c": code})
    assert stored_zoom(session, "neighbourhood") is not None
    session.execute(text("UPDATE admin_unit SET geom = ST_Multi(ST_Buffer(geom, -0.0001)) WHERE code = :c"),
                    {"c": code})
    assert stored_zoom(session, "neighbourhood") is None
    assert session.execute(text("SELECT count(*) FROM map_coverage_geom WHERE level = 'neighbourhood'")).scalar() == 0
    zoom = refresh_coverage(session, "neighbourhood")
    assert zoom is not None and stored_zoom(session, "neighbourhood") == zoom
    assert whole_level(session, "neighbourhood").attrs[SIMPLIFIED_FOR] == zoom


def test_a_level_without_its_coverage_is_drawn_exact_and_gets_it_back_in_the_background(database_url: str) -> None:
    import time

    from spatial.db.engine import session_scope

    with session_scope() as session:
        zoom = stored_zoom(session, "neighbourhood")
        session.execute(text("DELETE FROM map_coverage WHERE level = 'neighbourhood'"))
    with session_scope() as session:
        frame = whole_level(session, "neighbourhood")  # drawn from the exact boundaries meanwhile
    assert SIMPLIFIED_FOR not in frame.attrs
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with session_scope() as session:
            if stored_zoom(session, "neighbourhood") is not None:
                break
        time.sleep(0.2)
    with session_scope() as session:
        assert stored_zoom(session, "neighbourhood") == zoom
        stored = session.execute(text("SELECT count(*) FROM map_coverage_geom WHERE level = 'neighbourhood'")).scalar()
        assert stored == len(units_frame(session, level="neighbourhood"))


def test_the_encoding_of_a_stored_coverage_is_kept_for_the_next_process(database_url: str) -> None:
    import time

    from maps.choropleth import ENCODED
    from spatial.db.engine import session_scope

    with session_scope() as session:
        session.execute(text("UPDATE map_coverage SET encoded = NULL WHERE level = 'neighbourhood'"))
    with session_scope() as session:
        made = whole_level(session, "neighbourhood").attrs[ENCODED]
    deadline = time.monotonic() + 60
    while True:
        with session_scope() as session:
            stored = stored_coverage(session, "neighbourhood")
        if stored is not None and stored.encoded is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert stored is not None and stored.encoded == made
    with session_scope() as session:
        assert whole_level(session, "neighbourhood").attrs[ENCODED] == made
