"""Map tiles (PNG) of raster layers, rendered from the COG with rescale and colour map."""

from __future__ import annotations

import warnings

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
