"""Each bad input gets a clear 4xx naming the file and what to do, and changes nothing:
the catalogue, the database's list of tables and the data directory stay exactly as before."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from layers.options import CLI, FORM, OptionNames
from tests.layers import fixtures as fx


@pytest.fixture
def existing(client: TestClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A committed layer named ``existing_layer``, removed afterwards."""
    folder = tmp_path_factory.mktemp("existing")
    response = fx.upload(client, fx.write_geojson(folder), "existing_layer")
    assert response.status_code == 201, response.text
    yield "existing_layer"
    client.delete("/api/layers/existing_layer")


def error_of(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


def _empty(folder: Path) -> Path:
    path = folder / "empty.geojson"
    path.write_bytes(b"")
    return path


def _no_geometry(folder: Path) -> Path:
    path = folder / "nogeom.geojson"
    path.write_bytes(fx.feature_collection([{"type": "Feature", "properties": {"a": 1}, "geometry": None}]))
    return path


def _shapefile_without_prj(folder: Path) -> Path:
    return fx.write_shapefile_zip(folder, prj=False)


def _corrupt_zip(folder: Path) -> Path:
    path = folder / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x13\x37" * 500)
    return path


def _traversal_zip(folder: Path) -> Path:
    return fx.write_zip(folder / "evil.zip", {"../../evil.geojson": fx.feature_collection([])})


def _absolute_zip(folder: Path) -> Path:
    return fx.write_zip(folder / "absolute.zip", {"/tmp/evil.geojson": fx.feature_collection([])})


def _zip_bomb(folder: Path) -> Path:
    return fx.zip_bomb(folder / "bomb.zip")


def _csv_without_coordinates(folder: Path) -> Path:
    path = folder / "table.csv"
    path.write_text("name,beds\nclinic,3\n", encoding="utf-8")
    return path


def _mixed_types(folder: Path) -> Path:
    path = folder / "mixed.geojson"
    path.write_bytes(fx.feature_collection([
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [56, 30]}},
        {"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [[[55, 29], [56, 29], [56, 30], [55, 29]]]}},
    ]))
    return path


def _raster_without_georeferencing(folder: Path) -> Path:
    path = folder / "scan.tif"
    fx.write_geotiff(path, georeferenced=False)
    return path


def _csv_in_windows_1256(folder: Path) -> Path:
    path = folder / "wells.csv"
    path.write_bytes(b"name,lon,lat\n" + "چاه عميق,56.1,30.2\n".encode("cp1256"))
    return path


def _unknown_extension(folder: Path) -> Path:
    path = folder / "notes.docx"
    path.write_bytes(b"not a map")
    return path


def _truncated_geojson(folder: Path) -> Path:
    path = folder / "cut.geojson"
    path.write_bytes(fx.feature_collection([{"type": "Feature", "properties": {}, "geometry": {
        "type": "Point", "coordinates": [56, 30]}}])[:40])
    return path


def _damaged_gpkg(folder: Path) -> Path:
    path = folder / "damaged.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 2000)
    return path


def _shapefile_with_unreadable_prj(folder: Path) -> Path:
    return fx.write_shapefile_zip(folder, prj=b"PROJCS[\"UTM 40N, cut off")


def _shapefile_with_binary_prj(folder: Path) -> Path:
    return fx.write_shapefile_zip(folder, prj=b"\xff\xfe\x00\x01\x9c")


def _lone_shp(folder: Path) -> Path:
    """A .shp sent alone, without its .shx and .dbf."""
    path = folder / "roads.shp"
    path.write_bytes(fx.shapefile_parts(folder)["health.shp"])
    return path


def _raster_in_the_wrong_zone(folder: Path) -> Path:
    """The population raster declared in UTM zone 33N instead of 40N: it lands in Libya."""
    path = folder / "pop.tif"
    fx.write_geotiff(path, crs=32633)
    return path


def _far_away_geojson(folder: Path) -> Path:
    """Points near Vienna: nothing to do with Iran (or a CRS declared wrongly)."""
    path = folder / "vienna.geojson"
    path.write_bytes(fx.feature_collection([
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [16.37, 48.21]}},
    ]))
    return path


#: id, file builder, extra form fields, status, words the message must hold, the option it must name (if any)
CASES: list[tuple[str, Callable[[Path], Path], dict[str, str], int, str, str | None]] = [
    ("empty file", _empty, {}, 422, "empty.geojson is empty", None),
    ("no geometry", _no_geometry, {}, 422, "nogeom.geojson has no geometr", None),
    ("shapefile without prj", _shapefile_without_prj, {}, 422, "health.shp has no .prj file", "s_srs"),
    ("unreadable prj", _shapefile_with_unreadable_prj, {}, 422,
     "health.prj is not a coordinate reference system this service can read", "s_srs"),
    ("binary prj", _shapefile_with_binary_prj, {}, 422, "health.prj is not text", "s_srs"),
    ("lone .shp", _lone_shp, {}, 422, "roads.shp: the Shapefile roads.shp has no .shx file beside it", None),
    ("unknown EPSG", fx.write_geojson, {"s_srs": "EPSG:999999"}, 422, "EPSG:999999", "s_srs"),
    ("corrupt zip", _corrupt_zip, {}, 422, "broken.zip is not a readable zip", None),
    ("zip path traversal", _traversal_zip, {}, 422, "'..' are not allowed", None),
    ("zip absolute path", _absolute_zip, {}, 422, "absolute paths", None),
    ("zip bomb", _zip_bomb, {}, 413, "bomb.zip expands more than", None),
    ("csv without coordinates", _csv_without_coordinates, {}, 422, "lon/lat", None),
    ("undecodable text", lambda f: fx.write_shapefile_zip(f, cpg=False), {"encoding": "UTF-8"}, 422,
     "is not valid utf-8", "encoding"),
    ("csv not utf-8", _csv_in_windows_1256, {}, 422, "wells.csv: the text in column 'name' is not valid UTF-8",
     "encoding"),
    ("mixed geometry types", _mixed_types, {}, 422, "1 points and 1 polygons", None),
    ("geotiff without georeferencing", _raster_without_georeferencing, {}, 422, "scan.tif has no georeferencing",
     None),
    ("truncated geotiff", fx.write_truncated_geotiff, {}, 422, "cut.tif is not a readable GeoTIFF", None),
    ("damaged geopackage", _damaged_gpkg, {}, 422,
     "damaged.gpkg cannot be opened as a GeoPackage file: the file is damaged or is not a GeoPackage", None),
    ("unknown file type", _unknown_extension, {}, 422, ".docx", None),
    ("truncated geojson", _truncated_geojson, {}, 422, "cut.geojson could not be read", None),
    ("swapped lon/lat", fx.write_swapped_csv, {}, 422, "its longitude and latitude look swapped", None),
    ("far away", _far_away_geojson, {}, 422, "vienna.geojson lies at longitude 16.37, latitude 48.21, far outside",
     "s_srs"),
    ("raster far away", _raster_in_the_wrong_zone, {}, 422, "pop.tif lies at longitude", "s_srs"),
    ("kmz with two folders", fx.write_kmz, {}, 422, f"survey.kmz holds 2 folders ({fx.KML_WELLS_FOLDER}, roads)",
     "layer"),
    ("kmz folder not there", fx.write_kmz, {"layer": "schools"}, 422, "survey.kmz has no folder 'schools'", None),
    ("unsafe slug", fx.write_geojson, {"name": "Robert'); DROP TABLE layer;--"}, 422, "not a valid layer name",
     "name"),
    ("unknown encoding", fx.write_geojson, {"encoding": "klingon"}, 422, "unknown text encoding", "encoding"),
]
ARGUMENTS = ("case", "build", "form", "status", "words", "option")


@pytest.fixture
def private_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The system temporary folder, made private to the test; asserts that nothing is left in it."""
    folder = tmp_path_factory.mktemp("system_tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert sorted(folder.iterdir()) == []


def assert_told_as(message: str, option: str | None, say: OptionNames, other: OptionNames, server_tmp: Path) -> None:
    """The message names ``option`` as this caller types it, and no server path or internal name."""
    if option is not None:
        assert say.name(option) in message
        assert other.name(option) not in message
    for internal in (str(server_tmp), "pishraft-", "upload.", "sqlite3_", "Traceback"):
        assert internal not in message


@pytest.mark.parametrize(ARGUMENTS, CASES, ids=[c[0] for c in CASES])
def test_bad_upload_is_refused_clearly_and_changes_nothing(
    case: str, build: Callable[[Path], Path], form: dict[str, str], status: int, words: str, option: str | None,
    client: TestClient, tmp_path: Path, unchanged: None, private_tmp: Path,
) -> None:
    path = build(tmp_path)
    beside = sorted(tmp_path.rglob("*"))
    response = fx.upload(client, path, **({"name": "bad_upload"} | form))

    assert response.status_code == status, response.text
    assert words in error_of(response)["message"]
    assert_told_as(error_of(response)["message"], option, FORM, CLI, private_tmp)
    assert sorted(tmp_path.rglob("*")) == beside


@pytest.mark.parametrize(ARGUMENTS, CASES, ids=[c[0] for c in CASES])
def test_bad_file_on_the_cli_is_refused_clearly_and_changes_nothing(
    case: str, build: Callable[[Path], Path], form: dict[str, str], status: int, words: str, option: str | None,
    tmp_path: Path, unchanged: None, private_tmp: Path,
) -> None:
    from api.cli import app

    path = build(tmp_path)
    beside = sorted(tmp_path.rglob("*"))
    options = [item for key, value in ({"name": "bad_file"} | form).items() for item in (CLI.name(key), value)]
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["layers", "add", str(path), *options])

    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())  # Rich wraps long lines
    assert " ".join(words.split()) in output
    assert_told_as(output, option, CLI, FORM, private_tmp)
    assert sorted(tmp_path.rglob("*")) == beside


def test_duplicate_slug_without_replace_is_a_conflict_and_changes_nothing(
    existing: str, client: TestClient, tmp_path: Path
) -> None:
    from tests.layers.conftest import database_state

    before = database_state()
    response = fx.upload(client, fx.write_gpkg(tmp_path), existing)

    assert response.status_code == 409
    assert "replace=true" in error_of(response)["message"]
    assert "--replace" not in error_of(response)["message"]
    assert database_state() == before


def test_too_large_upload_is_refused_and_changes_nothing(
    client: TestClient, tmp_path: Path, unchanged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spatial.settings import get_settings

    path = tmp_path / "big.geojson"
    features = [{"type": "Feature", "properties": {"pad": "x" * 1000}, "geometry": {
        "type": "Point", "coordinates": [56, 30]}}] * 1500
    path.write_bytes(fx.feature_collection(features))
    monkeypatch.setenv("PISHRAFT_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    try:
        response = fx.upload(client, path, "too_big")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    assert response.status_code == 413
    assert "1 MB" in error_of(response)["message"]


def test_failure_after_the_table_was_written_leaves_nothing(tmp_path: Path, unchanged: None) -> None:
    from layers.ingest import LayerRequest, add_layer
    from spatial.db.engine import session_scope

    with pytest.raises(RuntimeError, match="crash after load"), session_scope() as session:
        add_layer(session, fx.write_gpkg(tmp_path), LayerRequest(name="half_done"), added_by="tester")
        raster = tmp_path / "pop.tif"
        fx.write_geotiff(raster)
        add_layer(session, raster, LayerRequest(name="half_done_raster"), added_by="tester")
        raise RuntimeError("crash after load")


def test_cli_prints_the_message_and_exits_1_on_bad_input(tmp_path: Path, unchanged: None) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(app, ["layers", "add", str(_mixed_types(tmp_path)), "--name", "mixed"])

    assert result.exit_code == 1
    assert "mixed.geojson mixes geometry types" in result.output
    assert "Traceback" not in result.output


def test_error_body_names_the_field(client: TestClient, tmp_path: Path) -> None:
    response = fx.upload(client, fx.write_shapefile_zip(tmp_path, prj=False), "no_prj")

    assert error_of(response)["field"] == "s_srs"
    assert json.dumps(error_of(response), ensure_ascii=False).count("health.shp") == 1
