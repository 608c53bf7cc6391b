"""The HTTP API for layers: upload, list, show, remove, replace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.layers import fixtures as fx


def test_persian_windows_1256_shapefile_in_utm40n_comes_back_as_persian_text(
    client: TestClient, tmp_path: Path, remove_after: Callable[[str], str]
) -> None:
    slug = remove_after("persian_health")
    response = fx.upload(client, fx.write_shapefile_zip(tmp_path), slug, kind="capacity",
                         title="مراکز بهداشت")
    assert response.status_code == 201, response.text

    shown = client.get(f"/api/layers/{slug}").json()
    assert shown["title"] == "مراکز بهداشت"
    assert shown["source_crs"] == "EPSG:32640"
    assert shown["columns"][0] == {"name": "field_1", "label": "نام", "type": "text"}
    assert [row["field_1"] for row in shown["sample"]] == fx.NAMES
    lon, lat = fx.reference_lonlat()
    coords = np.array([row["geometry"]["coordinates"][0] for row in shown["sample"]])
    np.testing.assert_allclose(coords, np.column_stack([lon, lat]), atol=1e-7, rtol=0)

    from spatial.db.engine import session_scope

    with session_scope() as session:
        names = session.execute(text(f'SELECT field_1 FROM layers."{shown["table_name"]}" ORDER BY fid')).scalars().all()
    assert names == fx.NAMES


def test_list_show_and_delete(client: TestClient, tmp_path: Path, remove_after: Callable[[str], str]) -> None:
    slug = remove_after("listed_layer")
    assert fx.upload(client, fx.write_geojson(tmp_path), slug, kind="deprivation").status_code == 201

    listed = {layer["slug"]: layer for layer in client.get("/api/layers").json()}
    assert listed[slug]["feature_count"] == 4
    assert listed[slug]["kind"] == "deprivation"
    assert listed[slug]["created_by"] == "local"
    only_capacity = client.get("/api/layers", params={"kind": "capacity"}).json()
    assert slug not in {layer["slug"] for layer in only_capacity}

    assert client.delete(f"/api/layers/{slug}").status_code == 204
    assert client.get(f"/api/layers/{slug}").status_code == 404
    from spatial.db.engine import session_scope

    with session_scope() as session:
        assert session.execute(text("SELECT to_regclass('layers.listed_layer_v1')")).scalar() is None


def test_unknown_layer_is_404_with_a_hint(client: TestClient) -> None:
    response = client.get("/api/layers/no_such_layer")

    assert response.status_code == 404
    assert "GET /api/layers" in response.json()["error"]["message"]
    assert client.delete("/api/layers/no_such_layer").status_code == 404


def test_replace_swaps_in_a_new_version_and_keeps_the_old_metadata(
    client: TestClient, tmp_path: Path, remove_after: Callable[[str], str]
) -> None:
    slug = remove_after("versioned")
    first = fx.upload(client, fx.write_geojson(tmp_path), slug, title="First").json()
    polygons = tmp_path / "zones.geojson"
    polygons.write_bytes(fx.feature_collection([{"type": "Feature", "properties": {"z": 1}, "geometry": {
        "type": "Polygon", "coordinates": [[[55, 29], [56, 29], [56, 30], [55, 29]]]}}]))

    second = fx.upload(client, polygons, slug, replace="true")

    assert second.status_code == 201, second.text
    now = client.get(f"/api/layers/{slug}").json()
    assert (now["version"], now["table_name"], now["feature_count"]) == (2, f"{slug}_v2", 1)
    assert now["title"] == "First"  # kept unless a new one is given
    [old] = now["previous_versions"]
    assert (old["version"], old["table_name"], old["feature_count"]) == (1, first["table_name"], 4)
    assert old["columns"] == first["columns"]
    from spatial.db.engine import session_scope

    with session_scope() as session:
        assert session.execute(text(f"SELECT to_regclass('layers.{slug}_v1')")).scalar() is None
        assert session.execute(text(f'SELECT count(*) FROM layers."{slug}_v2"')).scalar() == 1


def test_raster_upload_is_a_cog_in_the_data_dir_and_delete_removes_it(
    client: TestClient, tmp_path: Path, remove_after: Callable[[str], str]
) -> None:
    from spatial.settings import get_settings

    slug = remove_after("pop_density_api")
    raster = tmp_path / "population.tif"
    fx.write_geotiff(raster)

    response = fx.upload(client, raster, slug, kind="context")

    assert response.status_code == 201, response.text
    body = response.json()
    cog = get_settings().data_dir / body["raster_path"]
    assert body["storage"] == "raster" and cog.is_file()
    assert client.delete(f"/api/layers/{slug}").status_code == 204
    assert not cog.exists()


def test_kmz_folder_and_persian_digit_csv_upload(
    client: TestClient, tmp_path: Path, remove_after: Callable[[str], str]
) -> None:
    kmz = fx.upload(client, fx.write_kmz(tmp_path), remove_after("api_kmz"), layer=fx.KML_WELLS_FOLDER)
    csv = fx.upload(client, fx.write_persian_digit_csv(tmp_path), remove_after("api_digits"))

    assert kmz.status_code == 201, kmz.text
    assert (kmz.json()["feature_count"], kmz.json()["source_file"]) == (3, "survey.kmz")
    assert csv.status_code == 201, csv.text
    sample = client.get("/api/layers/api_digits").json()["sample"]
    assert [row["geometry"]["coordinates"][0] for row in sample] == [list(xy) for xy in fx.WELLS_LONLAT]
