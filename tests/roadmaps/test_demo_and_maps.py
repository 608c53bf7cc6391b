"""The demo roadmaps (three levels, every progress status, all synthetic, removable) and
the data the maps engineer draws from (roadmap_map_data, progress_geojson)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.demo import roadmaps as demo
from spatial.planning.progress import progress_for_unit, progress_geojson
from spatial.planning.roadmaps import roadmap_map_data

SYNTHETIC_TABLES = ("organisation", "person", "progress_core", "roadmap", "action", "measurement", "past_plan",
                    "handover")


def _demo_roadmaps(session: Session) -> dict[str, int]:
    return dict(session.execute(text("""SELECT u.level, r.id FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id
                                        WHERE r.synthetic""")).all())


def test_demo_has_roadmaps_at_three_levels_showing_every_status(session: Session) -> None:
    assert set(_demo_roadmaps(session)) == {"province", "county", "neighbourhood"}
    counts = progress_for_unit(session, "IR-15")["counts"]
    assert all(counts[s] >= 1 for s in ("achieved", "on_track", "behind", "overdue", "no_data"))
    assert session.execute(text("SELECT count(*) FROM organisation WHERE synthetic AND kind = 'economic_sponsor'"
                                )).scalar_one() == 1
    assert session.execute(text("SELECT count(*) FROM handover WHERE synthetic")).scalar_one() == 1


def test_demo_actions_lie_inside_their_units(session: Session) -> None:
    outside = session.execute(text("""SELECT count(*) FROM action a JOIN roadmap r ON r.id = a.roadmap_id
                                      JOIN admin_unit u ON u.id = r.unit_id
                                      WHERE a.synthetic AND NOT ST_CoveredBy(a.geom, u.geom)""")).scalar_one()
    assert outside == 0


def test_demo_remove_deletes_everything_and_reload_works(session: Session) -> None:
    demo.remove(session)
    for table in SYNTHETIC_TABLES:
        assert session.execute(text(f"SELECT count(*) FROM {table} WHERE synthetic")).scalar_one() == 0  # noqa: S608
    assert session.execute(text("SELECT count(*) FROM history WHERE author = 'demo'")).scalar_one() == 0
    demo.load(session, lambda _: None)
    assert len(_demo_roadmaps(session)) == 3


def test_roadmap_map_data_has_the_promised_shape(session: Session) -> None:
    data = roadmap_map_data(session, _demo_roadmaps(session)["county"])
    assert set(data) == {"roadmap", "unit", "actions"}
    assert {"title", "status", "period", "responsible", "sponsor", "unit_code", "unit_name_fa",
            "unit_name_en"} <= set(data["roadmap"])
    assert data["unit"]["type"] == "Feature" and data["unit"]["properties"]["code"] == "IR-15-01"
    feature = data["actions"]["features"][0]
    assert {"id", "title", "sector", "status", "progress_status", "responsible", "sponsor", "financing",
            "start_date", "end_date", "key_results"} <= set(feature["properties"])
    assert set(feature["properties"]["financing"][0]) == {"source", "amount_rials"}
    assert {"indicator", "baseline", "target", "target_date", "latest_value", "status",
            "progress"} <= set(feature["properties"]["key_results"][0])


def test_progress_geojson_of_a_province_holds_its_placed_actions(session: Session) -> None:
    fc = progress_geojson(session, "IR-15")
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) >= 7
    assert {f["properties"]["level"] for f in fc["features"]} >= {"province", "county", "neighbourhood"}
    only_county = progress_geojson(session, "IR-15", level="county")
    assert {f["properties"]["level"] for f in only_county["features"]} == {"county"}
