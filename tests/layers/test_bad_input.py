"""Each bad input gets a clear 4xx naming the file and what to do, and changes nothing:
the catalogue, the database's list of tables and the data directory stay exactly as before."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

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


CASES: list[tuple[str, Callable[[Path], Path], dict[str, str], int, str]] = [
    # id, file builder, extra form fields, status, words the message must hold
    ("empty file", _empty, {}, 422, "empty.geojson is empty"),
    ("no geometry", _no_geometry, {}, 422, "nogeom.geojson has no geometr"),
    ("shapefile without prj", _shapefile_without_prj, {}, 422, "--s-srs"),
    ("unknown EPSG", fx.write_geojson, {"s_srs": "EPSG:999999"}, 422, "EPSG:999999"),
    ("corrupt zip", _corrupt_zip, {}, 422, "broken.zip is not a readable zip"),
    ("zip path traversal", _traversal_zip, {}, 422, "'..' are not allowed"),
    ("zip absolute path", _absolute_zip, {}, 422, "absolute paths"),
    ("zip bomb", _zip_bomb, {}, 413, "bomb.zip expands more than"),
    ("csv without coordinates", _csv_without_coordinates, {}, 422, "lon/lat"),
    ("undecodable text", lambda f: fx.write_shapefile_zip(f, cpg=False), {"encoding": "UTF-8"}, 422, "--encoding"),
    ("csv not utf-8", _csv_in_windows_1256, {}, 422, "wells.csv: the text in column 'name' is not valid UTF-8"),
    ("mixed geometry types", _mixed_types, {}, 422, "1 points and 1 polygons"),
    ("geotiff without georeferencing", _raster_without_georeferencing, {}, 422, "scan.tif has no georeferencing"),
    ("unknown file type", _unknown_extension, {}, 422, ".docx"),
    ("truncated geojson", _truncated_geojson, {}, 422, "cut.geojson could not be read"),
    ("unsafe slug", fx.write_geojson, {"name": "Robert'); DROP TABLE layer;--"}, 422, "not a valid layer name"),
    ("unknown encoding", fx.write_geojson, {"encoding": "klingon"}, 422, "unknown text encoding"),
]


@pytest.mark.parametrize(("case", "build", "form", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_upload_is_refused_clearly_and_changes_nothing(
    case: str, build: Callable[[Path], Path], form: dict[str, str], status: int, words: str,
    client: TestClient, tmp_path: Path, unchanged: None,
) -> None:
    fields = {"name": "bad_upload"} | form
    response = fx.upload(client, build(tmp_path), **fields)

    assert response.status_code == status, response.text
    assert words in error_of(response)["message"]


def test_duplicate_slug_without_replace_is_a_conflict_and_changes_nothing(
    existing: str, client: TestClient, tmp_path: Path
) -> None:
    from tests.layers.conftest import database_state

    before = database_state()
    response = fx.upload(client, fx.write_gpkg(tmp_path), existing)

    assert response.status_code == 409
    assert "--replace" in error_of(response)["message"]
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
