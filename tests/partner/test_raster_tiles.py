"""Map tiles (PNG) of raster layers, rendered from the COG with rescale and colour map."""

from __future__ import annotations

import warnings
from pathlib import Path

import morecantile
import numpy as np
import pytest
from fastapi.testclient import TestClient
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")


def _url(z: int, lon: float, lat: float, collection: str = "elevation") -> str:
    t = WEB_MERCATOR.tile(lon, lat, z)
    return f"/collections/{collection}/map/tiles/WebMercatorQuad/{z}/{t.y}/{t.x}.png"


def _pixels(response) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The PNG as a (rows, cols, bands) array, decoded by GDAL's PNG driver."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a PNG tile has no georeference
        with MemoryFile(response.content) as memory, memory.open() as png:
            return np.moveaxis(png.read(), 0, -1)


def test_a_map_tile_is_a_png_of_the_raster(client: TestClient, elevation: str) -> None:
    response = client.get(_url(9, 51.5, 35.5), params={"rescale": "0,2000"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    pixels = _pixels(response)
    assert pixels.shape[:2] == (256, 256)
    # Values grow west to east, so does the grey level.
    inside = pixels[128, :, -1] > 0  # alpha: the raster ends east of 52°E
    grey = pixels[128, inside, 0].astype(int)
    assert inside.sum() > 100 and grey[-1] > grey[0]


def test_colormap_colours_the_tile(client: TestClient, elevation: str) -> None:
    grey = _pixels(client.get(_url(9, 51.5, 35.5), params={"rescale": "0,2000"}))
    coloured = _pixels(client.get(_url(9, 51.5, 35.5), params={"rescale": "0,2000", "colormap": "viridis"}))
    assert grey.shape[2] == 2  # grey + alpha
    assert coloured.shape[2] == 4 and not (coloured[..., 0] == coloured[..., 1]).all()


def test_a_tile_outside_the_raster_is_204(client: TestClient, elevation: str) -> None:
    assert client.get(_url(9, 60.0, 30.0)).status_code == 204


@pytest.mark.parametrize(("params", "field"), [
    ({"rescale": "10"}, "rescale"), ({"rescale": "5,1"}, "rescale"), ({"colormap": "rainbowish"}, "colormap"),
])
def test_bad_rendering_parameters_are_400(client: TestClient, elevation: str, params: dict, field: str) -> None:
    response = client.get(_url(9, 51.5, 35.5), params=params)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_raster_tilejson_carries_the_rendering_parameters(client: TestClient, elevation: str) -> None:
    document = client.get("/collections/elevation/map/tiles/WebMercatorQuad/tilejson.json",
                          params={"rescale": "0,2000", "colormap": "viridis"}).json()
    assert document["tilejson"] == "3.0.0"
    assert document["tiles"][0].endswith("/elevation/map/tiles/WebMercatorQuad/{z}/{y}/{x}.png"
                                         "?rescale=0,2000&colormap=viridis")
    assert document["bounds"] == [51.0, 35.0, 52.0, 36.0]


def test_vector_collections_have_no_map_tiles(client: TestClient) -> None:
    assert client.get(_url(5, 51.5, 35.5, "provinces")).status_code == 404


def _grey(response) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Grey levels of a tile as floats, NaN where the tile is transparent."""
    pixels = _pixels(response).astype(float)
    return np.where(pixels[..., -1] > 0, pixels[..., 0], np.nan)


def test_adjacent_tiles_without_rescale_meet_at_the_same_grey(client: TestClient, elevation: str) -> None:
    """Values grow smoothly west to east: the last column of a tile and the first of its
    eastern neighbour must be within a few grey levels, as they would be on one image."""
    z, lon, lat = 10, 51.45, 35.5
    t = WEB_MERCATOR.tile(lon, lat, z)
    west = client.get(f"/collections/elevation/map/tiles/WebMercatorQuad/{z}/{t.y}/{t.x}.png")
    east = client.get(f"/collections/elevation/map/tiles/WebMercatorQuad/{z}/{t.y}/{t.x + 1}.png")
    assert west.status_code == east.status_code == 200
    edge_west, edge_east = np.nanmean(_grey(west)[:, -1]), np.nanmean(_grey(east)[:, 0])
    assert abs(edge_west - edge_east) <= 3, (edge_west, edge_east)
    # Neither tile is stretched to the full range on its own.
    assert np.nanmax(_grey(west)) < 250 and np.nanmin(_grey(east)) > 5


def test_the_same_place_has_the_same_grey_at_two_zooms(client: TestClient, elevation: str) -> None:
    z, lon, lat = 10, 51.45, 35.5
    child = WEB_MERCATOR.tile(lon, lat, z)
    parent = WEB_MERCATOR.tile(lon, lat, z - 1)
    fine = _grey(client.get(f"/collections/elevation/map/tiles/WebMercatorQuad/{z}/{child.y}/{child.x}.png"))
    coarse = _grey(client.get(f"/collections/elevation/map/tiles/WebMercatorQuad/{z - 1}/{parent.y}/{parent.x}.png"))
    # The child is one quadrant of its parent.
    row, col = (child.y - parent.y * 2) * 128, (child.x - parent.x * 2) * 128
    quadrant = coarse[row:row + 128, col:col + 128]
    shrunk = np.nanmean(fine.reshape(128, 2, 128, 2), axis=(1, 3))
    difference = np.abs(shrunk - quadrant)
    assert np.nanmedian(difference) <= 3, np.nanmedian(difference)


def test_tilejson_says_which_scale_the_tiles_use(client: TestClient, elevation: str) -> None:
    document = client.get("/collections/elevation/map/tiles/WebMercatorQuad/tilejson.json").json()
    scale = document["scale"]
    # The values run 0–1990 evenly: their 2nd and 98th percentiles.
    assert scale["min"] == pytest.approx(40, abs=15) and scale["max"] == pytest.approx(1950, abs=15)
    assert "percentile" in scale["source"]
    asked = client.get("/collections/elevation/map/tiles/WebMercatorQuad/tilejson.json",
                       params={"rescale": "0,3000"}).json()["scale"]
    assert (asked["min"], asked["max"], asked["source"]) == (0, 3000, "rescale parameter")


def test_ingest_stores_the_scale_and_tiles_use_it(client: TestClient, tmp_path: Path, database_url: str) -> None:
    from layers.catalogue import remove_layer
    from layers.ingest import LayerRequest, add_layer
    from spatial.db.engine import session_scope
    from tests.layers import fixtures as fx

    source = tmp_path / "population.tif"
    pixels = fx.write_geotiff(source)
    with session_scope() as session:
        add_layer(session, source, LayerRequest(name="scaled", kind="context"), added_by="tester")
    try:
        valid = pixels[pixels != -1.0].astype("float64")
        document = client.get("/collections/scaled/map/tiles/WebMercatorQuad/tilejson.json").json()
        assert document["scale"]["source"].startswith("catalogue")
        assert document["scale"]["min"] == pytest.approx(np.percentile(valid, 2))
        assert document["scale"]["max"] == pytest.approx(np.percentile(valid, 98))
    finally:
        with session_scope() as session:
            remove_layer(session, "scaled")
