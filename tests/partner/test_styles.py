"""Default MapLibre styles: an indicator choropleth for administrative levels, a drawing
by geometry type for vector layers, the PNG tiles for rasters."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session


def test_a_collection_links_its_default_style(client: TestClient) -> None:
    links = client.get("/collections/counties").json()["links"]
    style = next(link for link in links if link["rel"] == "stylesheet")
    assert style["href"].endswith("/collections/counties/styles/default")
    listed = client.get("/collections/counties/styles").json()["styles"]
    assert [s["id"] for s in listed] == ["default"]


def test_an_admin_level_is_a_quantile_choropleth_of_unemployment(client: TestClient, session: Session) -> None:
    response = client.get("/collections/counties/styles/default")
    assert response.headers["content-type"] == "application/vnd.mapbox.style+json"
    style = response.json()
    assert style["version"] == 8
    source = style["sources"]["counties"]
    assert source["type"] == "vector" and source["url"].endswith("/collections/counties/tiles/WebMercatorQuad/"
                                                                  "tilejson.json")
    assert client.get(source["url"].replace("http://testserver", "")).status_code == 200
    values = session.execute(text(
        """SELECT (pishraft_unit_properties(id) ->> 'unemployment_rate')::float FROM admin_unit
           WHERE level = 'county' AND valid_to IS NULL""")).scalars().all()
    expected = np.quantile([v for v in values if v is not None], [0.2, 0.4, 0.6, 0.8])
    assert style["metadata"]["pishraft:property"] == "unemployment_rate"
    assert style["metadata"]["pishraft:breaks"] == pytest.approx(list(expected))
    fill = next(layer for layer in style["layers"] if layer["type"] == "fill")
    assert fill["source-layer"] == "counties"
    steps = fill["paint"]["fill-color"][2]
    assert steps[0] == "step" and steps[3::2] == pytest.approx(list(expected))


def test_another_indicator_is_put_in_the_tiles_it_colours(client: TestClient) -> None:
    style = client.get("/collections/neighbourhoods/styles/default", params={"property": "jobs_tourism"}).json()
    assert style["metadata"]["pishraft:property"] == "jobs_tourism"
    assert "properties=code%2Cjobs_tourism" in style["sources"]["neighbourhoods"]["url"] \
        or "properties=code,jobs_tourism" in style["sources"]["neighbourhoods"]["url"]


def test_vector_and_raster_layers_have_a_plain_style(client: TestClient, wells: str, elevation: str) -> None:
    wells_style = client.get("/collections/wells/styles/default").json()
    assert [layer["type"] for layer in wells_style["layers"]] == ["background", "circle"]
    raster = client.get("/collections/elevation/styles/default").json()
    assert raster["sources"]["elevation"]["type"] == "raster"
    assert raster["sources"]["elevation"]["url"].endswith("/map/tiles/WebMercatorQuad/tilejson.json")


@pytest.mark.parametrize(("url", "status"), [
    ("/collections/counties/styles/fancy", 404),
    ("/collections/counties/styles/default?property=name_en", 400),
    ("/collections/counties/styles/default?property=nonsense", 400),
])
def test_unknown_styles_and_properties_are_refused(client: TestClient, url: str, status: int) -> None:
    assert client.get(url).status_code == status
