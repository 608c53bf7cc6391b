"""Every supported vector format survives the round trip into PostGIS: features, attributes, geometries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.ingest import LayerRequest, add_layer
from tests.layers import fixtures as fx


def stored(session: Session, table: str) -> list[dict]:
    rows = session.execute(text(f'SELECT *, ST_AsBinary(geom) AS wkb FROM layers."{table}" ORDER BY fid'))
    return [dict(r._mapping) for r in rows]


@pytest.mark.parametrize("fmt", sorted(fx.FORMAT_WRITERS))
def test_format_round_trip_keeps_count_attributes_and_coordinates(fmt: str, session: Session, tmp_path: Path) -> None:
    path = fx.FORMAT_WRITERS[fmt](tmp_path)
    layer = add_layer(session, path, LayerRequest(name=f"rt_{fmt}"), added_by="tester")

    assert layer.feature_count == 4
    assert layer.geometry_type == "MultiPoint"
    by_label = {c["label"]: c["name"] for c in layer.columns}
    # FlatGeobuf's spatial index reorders features: compare in the fixture's order (beds are unique).
    rows = sorted(stored(session, layer.table_name), key=lambda r: fx.BEDS.index(r[by_label["beds"]]))
    name_column = by_label.get("نام") or by_label["name"]
    assert [r[name_column] for r in rows] == fx.NAMES
    assert [r[by_label["beds"]] for r in rows] == fx.BEDS
    assert [r[by_label["area_m2"]] for r in rows] == pytest.approx(fx.AREAS, rel=1e-12)
    if "active" in by_label:
        assert [r[by_label["active"]] for r in rows] == fx.ACTIVE
    if "opened" in by_label:
        opened = [r[by_label["opened"]] for r in rows]
        assert [o.date() if isinstance(o, dt.datetime) else o for o in opened] == fx.OPENED

    geoms = shapely.from_wkb([r["wkb"] for r in rows])
    assert set(shapely.get_type_id(geoms)) == {4}
    xy = shapely.get_coordinates(geoms)
    lon, lat = fx.reference_lonlat()
    np.testing.assert_allclose(xy[:, 0], lon, atol=1e-7, rtol=0)
    np.testing.assert_allclose(xy[:, 1], lat, atol=1e-7, rtol=0)
    assert layer.bbox == pytest.approx([lon.min(), lat.min(), lon.max(), lat.max()], abs=1e-7)


def test_source_crs_is_kept_and_attribute_types_are_preserved(session: Session, tmp_path: Path) -> None:
    layer = add_layer(session, fx.write_gpkg(tmp_path), LayerRequest(name="typed"), added_by="tester")

    assert layer.source_crs == "EPSG:32640"
    assert {c["label"]: c["type"] for c in layer.columns} == {
        "نام": "text", "beds": "integer", "area_m2": "float", "opened": "date", "active": "boolean"}
    types = dict(session.execute(text(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'layers' AND table_name = :t"), {"t": layer.table_name}).all())
    assert types == {"fid": "bigint", "geom": "USER-DEFINED", "field_1": "text", "beds": "bigint",
                     "area_m2": "double precision", "opened": "date", "active": "boolean"}


def test_persian_column_name_gets_a_safe_name_and_keeps_its_label(session: Session, tmp_path: Path) -> None:
    layer = add_layer(session, fx.write_geojson(tmp_path), LayerRequest(name="labels"), added_by="tester")

    assert layer.columns[0] == {"name": "field_1", "label": "نام", "type": "text"}


def test_table_has_primary_key_gist_index_and_statistics(session: Session, tmp_path: Path) -> None:
    layer = add_layer(session, fx.write_geojson(tmp_path), LayerRequest(name="indexed"), added_by="tester")

    indexes = session.execute(text(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'layers' AND tablename = :t"), {"t": layer.table_name}
    ).scalars().all()
    assert any("USING gist (geom)" in d for d in indexes)
    assert any("(fid)" in d and "UNIQUE" in d for d in indexes)
    analysed = session.execute(text(
        "SELECT count(*) FROM pg_stats WHERE schemaname = 'layers' AND tablename = :t"), {"t": layer.table_name}
    ).scalar()
    assert analysed > 0


def test_catalogue_records_who_and_when(session: Session, tmp_path: Path) -> None:
    layer = add_layer(session, fx.write_geojson(tmp_path), LayerRequest(name="who", kind="capacity"),
                      added_by="analyst7")

    assert layer.created_by == "analyst7"
    assert layer.kind == "capacity"
    assert layer.version == 1
    assert layer.source_file == "health.geojson"
    assert abs(layer.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_geopackage_with_several_layers_lists_them_and_loads_the_named_one(session: Session, tmp_path: Path) -> None:
    from spatial.errors import InvalidInput

    path = fx.write_gpkg(tmp_path, layers=("clinics", "hospitals"))
    with pytest.raises(InvalidInput, match="clinics, hospitals.*--layer"):
        add_layer(session, path, LayerRequest(name="many"), added_by="tester")

    layer = add_layer(session, path, LayerRequest(name="many", layer="hospitals"), added_by="tester")
    assert layer.details["source_layer"] == "hospitals"
    assert layer.feature_count == 4


def test_invalid_polygons_are_repaired_and_empty_ones_dropped_and_reported(session: Session, tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[56, 30], [57, 31], [57, 30], [56, 31], [56, 30]]]}
    square = {"type": "Polygon", "coordinates": [[[55, 29], [55.5, 29], [55.5, 29.5], [55, 29.5], [55, 29]]]}
    features = [{"type": "Feature", "properties": {"n": i}, "geometry": g}
                for i, g in enumerate([bowtie, square, None, {"type": "Polygon", "coordinates": []}])]
    path = tmp_path / "farms.geojson"
    path.write_bytes(fx.feature_collection(features))

    layer = add_layer(session, path, LayerRequest(name="farms"), added_by="tester")

    assert layer.geometry_type == "MultiPolygon"
    assert layer.feature_count == 2
    assert layer.details["repaired_geometries"] == 1
    assert layer.details["dropped_empty_geometries"] == 2
    valid = session.execute(text(f'SELECT bool_and(ST_IsValid(geom)), array_agg(n ORDER BY fid) FROM layers."{layer.table_name}"')).one()
    assert valid == (True, [0, 1])
    area = session.execute(text(f'SELECT ST_Area(geom) FROM layers."{layer.table_name}" WHERE n = 0')).scalar()
    assert area == pytest.approx(0.5)  # the bowtie's two triangles, not zero


def test_lines_and_multilines_become_multilinestrings(session: Session, tmp_path: Path) -> None:
    features = [
        {"type": "Feature", "properties": {"road": "a"}, "geometry": {"type": "LineString", "coordinates": [[55, 30], [56, 31]]}},
        {"type": "Feature", "properties": {"road": "b"}, "geometry": {
            "type": "MultiLineString", "coordinates": [[[55, 29], [56, 29]], [[57, 29], [58, 29]]]}},
    ]
    path = tmp_path / "roads.geojson"
    path.write_bytes(fx.feature_collection(features))

    layer = add_layer(session, path, LayerRequest(name="roads"), added_by="tester")

    assert layer.geometry_type == "MultiLineString"
    parts = session.execute(text(f'SELECT array_agg(ST_NumGeometries(geom) ORDER BY fid) FROM layers."{layer.table_name}"')).scalar()
    assert parts == [1, 2]


def test_unzipped_shapefile_path_is_read_with_its_companions(session: Session, tmp_path: Path) -> None:
    for name, data in fx.shapefile_parts(tmp_path).items():
        (tmp_path / name).write_bytes(data)

    layer = add_layer(session, tmp_path / "health.shp", LayerRequest(name="plain_shp"), added_by="tester")

    assert layer.feature_count == 4
    assert layer.details["encoding"] == "cp1256"
    assert layer.details["encoding_source"] == ".cpg"


def test_shapefile_without_cpg_is_detected_as_windows_1256(session: Session, tmp_path: Path) -> None:
    path = fx.write_shapefile_zip(tmp_path, cpg=False)

    layer = add_layer(session, path, LayerRequest(name="nocpg"), added_by="tester")

    rows = stored(session, layer.table_name)
    assert [r["field_1"] for r in rows] == fx.NAMES
    assert layer.details["encoding_source"] == "detected"


def test_shapefile_encoding_can_be_given(session: Session, tmp_path: Path) -> None:
    path = fx.write_shapefile_zip(tmp_path, cpg=False)

    layer = add_layer(session, path, LayerRequest(name="given_enc", encoding="windows-1256"), added_by="tester")

    assert [r["field_1"] for r in stored(session, layer.table_name)] == fx.NAMES


def test_s_srs_declares_the_crs_of_a_shapefile_without_prj(session: Session, tmp_path: Path) -> None:
    path = fx.write_shapefile_zip(tmp_path, prj=False)

    layer = add_layer(session, path, LayerRequest(name="declared", s_srs="EPSG:32640"), added_by="tester")

    xy = shapely.get_coordinates(shapely.from_wkb([r["wkb"] for r in stored(session, layer.table_name)]))
    lon, lat = fx.reference_lonlat()
    np.testing.assert_allclose(xy, np.column_stack([lon, lat]), atol=1e-7, rtol=0)
    assert layer.source_crs == "EPSG:32640"


def test_csv_in_a_declared_encoding_is_decoded(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "wells.csv"
    path.write_bytes(b"name,lon,lat\n" + "چاه عميق,56.1,30.2\n".encode("cp1256"))

    layer = add_layer(session, path, LayerRequest(name="wells", encoding="windows-1256"), added_by="tester")

    assert [r["name"] for r in stored(session, layer.table_name)] == ["چاه عميق"]


def test_text_with_tabs_newlines_backslashes_and_quotes_survives_copy(session: Session, tmp_path: Path) -> None:
    awkward = 'a\tb\nc\\d "e" \\N \r f'
    path = tmp_path / "awkward.geojson"
    path.write_bytes(fx.feature_collection([
        {"type": "Feature", "properties": {"t": awkward, "empty": "", "none": None},
         "geometry": {"type": "Point", "coordinates": [56, 30]}}]))

    layer = add_layer(session, path, LayerRequest(name="awkward"), added_by="tester")

    [row] = stored(session, layer.table_name)
    assert (row["t"], row["empty"]) == (awkward, "")


def test_zip_with_several_shapefiles_asks_for_layer_then_loads_the_named_one(session: Session, tmp_path: Path) -> None:
    from spatial.errors import InvalidInput

    parts = fx.shapefile_parts(tmp_path)
    members = {f"clinics/{n}": d for n, d in parts.items()} | {n.replace("health", "posts"): d for n, d in parts.items()}
    path = fx.write_zip(tmp_path / "two.zip", members)
    with pytest.raises(InvalidInput, match=r"clinics/health.shp, posts.shp.*--layer"):
        add_layer(session, path, LayerRequest(name="two"), added_by="tester")

    layer = add_layer(session, path, LayerRequest(name="two", layer="posts"), added_by="tester")
    assert layer.feature_count == 4 and layer.source_file == "two.zip"


def test_repeated_column_names_get_distinct_safe_names(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "repeated.csv"
    path.write_text("name,name,lon,lat\na,b,56,30\n", encoding="utf-8")

    layer = add_layer(session, path, LayerRequest(name="repeated"), added_by="tester")

    [row] = stored(session, layer.table_name)
    names = [c["name"] for c in layer.columns]
    assert len(set(names)) == 2
    assert sorted(row[n] for n in names) == ["a", "b"]


def test_csv_in_a_declared_encoding_leaves_nothing_beside_it(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "wells.csv"
    path.write_bytes(b"name,lon,lat\n" + "چاه عميق,56.1,30.2\n".encode("cp1256"))
    neighbour = tmp_path / "wells.utf8.csv"  # a file of the name the converted copy once took
    neighbour.write_bytes(b"keep me")

    add_layer(session, path, LayerRequest(name="wells_beside", encoding="windows-1256"), added_by="tester")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["wells.csv", "wells.utf8.csv"]
    assert neighbour.read_bytes() == b"keep me"


def test_coordinates_and_numbers_in_persian_digits_are_read_as_numbers(session: Session, tmp_path: Path) -> None:
    layer = add_layer(session, fx.write_persian_digit_csv(tmp_path), LayerRequest(name="persian_digits"),
                      added_by="tester")

    rows = stored(session, layer.table_name)
    xy = shapely.get_coordinates(shapely.from_wkb([r["wkb"] for r in rows]))
    np.testing.assert_array_equal(xy, np.array(fx.WELLS_LONLAT))
    assert [r["depth_m"] for r in rows] == fx.WELLS_DEPTH
    assert {c["label"]: c["type"] for c in layer.columns}["depth_m"] == "integer"
    assert [r["name"] for r in rows] == ["چاه ۱", "چاه ۲", "چاه ۳"]  # text keeps its digits
    assert layer.details["persian_digit_cells"] == 9


def test_arabic_indic_digits_and_semicolons_are_read_too(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "arabic.csv"
    path.write_text("name;lon;lat\nبئر;٥٦٫١;٣٠٫٢٥\n", encoding="utf-8")

    layer = add_layer(session, path, LayerRequest(name="arabic_digits"), added_by="tester")

    [row] = stored(session, layer.table_name)
    assert shapely.get_coordinates(shapely.from_wkb(row["wkb"])).tolist() == [[56.1, 30.25]]


def test_kmz_folder_is_loaded_as_a_layer(session: Session, tmp_path: Path) -> None:
    layer = add_layer(session, fx.write_kmz(tmp_path), LayerRequest(name="kmz_wells", layer=fx.KML_WELLS_FOLDER),
                      added_by="tester")

    assert layer.geometry_type == "MultiPoint"
    assert layer.details["source_layer"] == fx.KML_WELLS_FOLDER
    rows = stored(session, layer.table_name)
    np.testing.assert_allclose(shapely.get_coordinates(shapely.from_wkb([r["wkb"] for r in rows])),
                               np.array(fx.KML_WELLS), atol=1e-12, rtol=0)
    by_label = {c["label"]: c["name"] for c in layer.columns}
    assert [r[by_label["Name"]] for r in rows] == ["چاه 1", "چاه 2", "چاه 3"]


def test_kml_with_one_folder_needs_no_layer_name(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "roads.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        "<Folder><name>roads</name><Placemark><name>r1</name><LineString><coordinates>56.0,30.0,0 56.5,30.5,0"
        "</coordinates></LineString></Placemark></Folder></Document></kml>", encoding="utf-8")

    layer = add_layer(session, path, LayerRequest(name="kml_roads"), added_by="tester")

    assert (layer.geometry_type, layer.feature_count, layer.details["source_layer"]) == ("MultiLineString", 1, "roads")


def test_layer_reaching_beyond_the_territory_loads_with_a_warning(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "stray.geojson"
    path.write_bytes(fx.feature_collection([
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": xy}}
        for xy in ([56.1, 30.2], [57.0, 29.5], [0, 0])]))

    layer = add_layer(session, path, LayerRequest(name="stray"), added_by="tester")

    assert layer.feature_count == 3
    [warning] = layer.details["warnings"]
    assert "stray.geojson reaches beyond the territory" in warning and "0, 0" in warning


def test_territory_can_be_configured(session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spatial.errors import InvalidInput
    from spatial.settings import get_settings

    vienna = tmp_path / "vienna.geojson"
    vienna.write_bytes(fx.feature_collection([
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [16.37, 48.21]}}]))
    monkeypatch.setenv("PISHRAFT_TERRITORY_BBOX", "[9.5, 46.4, 17.2, 49.0]")
    get_settings.cache_clear()
    try:
        layer = add_layer(session, vienna, LayerRequest(name="vienna"), added_by="tester")
        with pytest.raises(InvalidInput, match="far outside the territory"):
            add_layer(session, fx.write_geojson(tmp_path), LayerRequest(name="kerman"), added_by="tester")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert layer.details["warnings"] == []
