"""The demo's synthetic resource layers: added through ingestion, marked synthetic, inside Iran."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.demo.layers import DEMO_LAYERS
from spatial.settings import get_settings


def test_every_demo_layer_is_in_the_catalogue_and_marked_synthetic(session: Session) -> None:
    rows = session.execute(text(
        "SELECT slug, title, details, storage, created_by FROM layer WHERE slug LIKE 'demo\\_%' ORDER BY slug")).all()

    assert [r.slug for r in rows] == sorted(DEMO_LAYERS)
    for r in rows:
        assert r.title.endswith("(نمونه)")  # "sample": the catalogue's title is Persian
        assert r.details["synthetic"] is True
        assert r.created_by == "demo"


def test_demo_vector_layers_lie_inside_the_provinces(session: Session) -> None:
    for slug, geometry_type in (("demo_health_centres", "MultiPoint"), ("demo_schools", "MultiPoint"),
                                ("demo_irrigated_land", "MultiPolygon"), ("demo_roads", "MultiLineString")):
        table, kind = session.execute(text("SELECT table_name, geometry_type FROM layer WHERE slug = :s"),
                                      {"s": slug}).one()
        assert kind == geometry_type
        outside = session.execute(text(f"""
            SELECT count(*) FROM layers."{table}" l
            WHERE NOT EXISTS (SELECT 1 FROM admin_unit p WHERE p.level = 'province'
                              AND ST_Intersects(p.geom, l.geom))""")).scalar()
        assert outside == 0, slug


def test_health_centres_carry_beds(session: Session) -> None:
    table, columns = session.execute(text(
        "SELECT table_name, columns FROM layer WHERE slug = 'demo_health_centres'")).one()

    assert {"name": "beds", "label": "beds", "type": "integer"} in columns
    assert session.execute(text(f'SELECT min(beds) >= 0 AND count(*) = 124 FROM layers."{table}"')).scalar()


def test_population_raster_is_a_cog_in_the_data_dir(session: Session) -> None:
    path, details = session.execute(text(
        "SELECT raster_path, details FROM layer WHERE slug = 'demo_population_density'")).one()

    assert (get_settings().data_dir / path).is_file()
    assert details["bands"] == 1 and details["nodata"] == -1.0 and details["synthetic"] is True
