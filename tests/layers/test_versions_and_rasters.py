"""Atomic replacement, and GeoTIFFs converted to Cloud-Optimised GeoTIFFs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.warp import transform_bounds
from sqlalchemy import text

from layers.catalogue import remove_layer
from layers.ingest import LayerRequest, add_layer
from spatial.db.engine import get_engine, session_scope
from spatial.errors import InvalidInput
from spatial.settings import get_settings
from tests.layers import fixtures as fx


def committed_layer(slug: str, path: Path, **request: object):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return add_layer(session, path, LayerRequest(name=slug, **request), added_by="tester")  # type: ignore[arg-type]


def drop(slug: str) -> None:
    with session_scope() as session:
        remove_layer(session, slug)


def test_readers_see_the_old_version_until_the_replacement_commits(tmp_path: Path, database_url: str) -> None:
    committed_layer("swap", fx.write_geojson(tmp_path))
    try:
        with session_scope() as session:
            add_layer(session, fx.write_gpkg(tmp_path), LayerRequest(name="swap", replace=True), added_by="tester")
            with get_engine().connect() as reader:
                seen = reader.execute(text("SELECT version, table_name FROM layer WHERE slug = 'swap'")).one()
                new_table = reader.execute(text("SELECT to_regclass('layers.swap_v2')")).scalar()
            assert tuple(seen) == (1, "swap_v1")
            assert new_table is None
        with get_engine().connect() as reader:
            seen = reader.execute(text("SELECT version, table_name FROM layer WHERE slug = 'swap'")).one()
        assert tuple(seen) == (2, "swap_v2")
    finally:
        drop("swap")


def test_failed_replacement_keeps_the_current_version(tmp_path: Path, database_url: str) -> None:
    committed_layer("keep_me", fx.write_geojson(tmp_path))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    try:
        with pytest.raises(InvalidInput):
            committed_layer("keep_me", bad, replace=True)
        with session_scope() as session:
            row = session.execute(text("SELECT version, feature_count FROM layer WHERE slug = 'keep_me'")).one()
            assert tuple(row) == (1, 4)
            assert session.execute(text('SELECT count(*) FROM layers."keep_me_v1"')).scalar() == 4
    finally:
        drop("keep_me")


def test_geotiff_becomes_a_cog_with_bands_nodata_crs_bounds_and_statistics(tmp_path: Path, database_url: str) -> None:
    source = tmp_path / "population.tif"
    pixels = fx.write_geotiff(source)
    layer = committed_layer("pop_cog", source, kind="context")
    try:
        cog = get_settings().data_dir / layer.raster_path
        assert layer.raster_path == "rasters/pop_cog_v1.tif"
        with rasterio.open(cog) as ds:
            assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
            assert ds.crs.to_epsg() == fx.UTM40N
            np.testing.assert_array_equal(ds.read(1), pixels)
            expected_bbox = transform_bounds(ds.crs, "EPSG:4326", *ds.bounds, densify_pts=21)
        d = layer.details
        assert (d["bands"], d["nodata"], d["crs"], d["width"], d["height"]) == (1, -1.0, "EPSG:32640", 80, 60)
        assert d["bounds"] == [450_000.0, 3_300_000.0, 530_000.0, 3_360_000.0]
        assert layer.bbox == pytest.approx(list(expected_bbox))
        valid = pixels[pixels != -1.0].astype("float64")
        stats = d["statistics"][0]
        assert stats["min"] == pytest.approx(valid.min())
        assert stats["max"] == pytest.approx(valid.max())
        assert stats["mean"] == pytest.approx(valid.mean())
        assert stats["std"] == pytest.approx(valid.std())
        assert d["statistics_approximate"] is False
        assert layer.storage == "raster" and layer.source_crs == "EPSG:32640"
    finally:
        drop("pop_cog")
    assert not cog.exists()


def test_raster_replace_moves_the_new_file_in_and_deletes_the_old_one_on_commit(tmp_path: Path, database_url: str) -> None:
    source = tmp_path / "population.tif"
    fx.write_geotiff(source)
    data_dir = get_settings().data_dir
    committed_layer("pop_swap", source)
    try:
        layer = committed_layer("pop_swap", source, replace=True)
        assert layer.raster_path == "rasters/pop_swap_v2.tif"
        assert (data_dir / "rasters/pop_swap_v2.tif").is_file()
        assert not (data_dir / "rasters/pop_swap_v1.tif").exists()
        assert not list((data_dir / "rasters").glob(".tmp-*"))
    finally:
        drop("pop_swap")


def test_a_raster_layer_removed_and_made_again_in_one_transaction_keeps_its_new_file(
        tmp_path: Path, database_url: str) -> None:
    """As a demo reload does: the old layer's file is deleted on commit, but the new layer of
    the same slug writes a file of the same name in the same transaction, which stays."""
    source = tmp_path / "population.tif"
    fx.write_geotiff(source)
    committed_layer("pop_again", source)
    try:
        with session_scope() as session:
            remove_layer(session, "pop_again")
            layer = add_layer(session, source, LayerRequest(name="pop_again"), added_by="tester")
        assert layer.raster_path == "rasters/pop_again_v1.tif"
        assert (get_settings().data_dir / layer.raster_path).is_file()
    finally:
        drop("pop_again")


def test_s_srs_gives_a_crs_to_a_geotiff_without_one(tmp_path: Path, database_url: str) -> None:
    source = tmp_path / "nocrs.tif"
    fx.write_geotiff(source, crs=None)
    with pytest.raises(InvalidInput, match="--s-srs"):
        committed_layer("nocrs", source)
    layer = committed_layer("nocrs", source, s_srs="EPSG:32640")
    try:
        with rasterio.open(get_settings().data_dir / layer.raster_path) as ds:
            assert ds.crs.to_epsg() == 32640
            assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    finally:
        drop("nocrs")
