"""Hidden from nobody: MapLibre GL in headless Chromium fills as much of the country with
neighbourhoods as with provinces at national zooms (the vendored MapLibre, the served tiles)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.conftest import CHROMIUM

#: MapLibre draws with WebGL: software GL (SwiftShader) in a headless browser.
WEBGL_ARGS = ["--no-sandbox", "--headless", "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
              "--disable-background-networking", "--disable-component-update", "--no-first-run"]
IRAN_CENTRE = (53.7, 32.4)

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script src="{base}/static/pages/vendor/maplibre-gl/maplibre-gl.js"></script>
<style>html, body, #map {{ margin: 0; width: 800px; height: 600px; background: #fff; }}</style></head>
<body><div id="map"></div><script>
window.drawn = false;
const map = new maplibregl.Map({{container: "map", style: {style}, center: {centre}, zoom: {zoom},
                                 preserveDrawingBuffer: true, fadeDuration: 0, attributionControl: false,
                                 interactive: false}});
map.on("idle", () => {{ window.drawn = true; }});
map.on("error", (e) => {{ window.failed = String(e.error && e.error.message || e); }});
</script></body></html>"""


@pytest.fixture(scope="module")
def webgl_browser(playwright: Any) -> Iterator[Any]:
    """Chromium with WebGL in software (SwiftShader), beside the session's browser."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=WEBGL_ARGS)
    yield browser
    browser.close()


def _filled_pixels(browser: Any, base: str, collection: str, zoom: int) -> int:
    """Pixels MapLibre fills with ``collection``'s polygons (fills only, no outlines) at ``zoom``."""
    style = {"version": 8, "sources": {"units": {
        "type": "vector", "tiles": [f"{base}/collections/{collection}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"],
        "minzoom": 0, "maxzoom": 22}},
        "layers": [{"id": "background", "type": "background", "paint": {"background-color": "#ffffff"}},
                   {"id": "fill", "type": "fill", "source": "units", "source-layer": collection,
                    "paint": {"fill-color": "#000000", "fill-antialias": False}}]}
    page = browser.new_page(viewport={"width": 800, "height": 600})
    try:
        page.set_content(PAGE.format(base=base, style=json.dumps(style), centre=json.dumps(IRAN_CENTRE), zoom=zoom))
        page.wait_for_function("window.drawn || window.failed", timeout=60_000)
        assert page.evaluate("window.failed || null") is None
        shot = np.asarray(Image.open(io.BytesIO(page.locator("#map").screenshot())).convert("L"))
    finally:
        page.close()
    return int((shot < 128).sum())


@pytest.mark.parametrize("zoom", [5, 6, 7])
def test_neighbourhoods_fill_what_provinces_fill(live_server: str, webgl_browser: Any, zoom: int) -> None:
    provinces = _filled_pixels(webgl_browser, live_server, "provinces", zoom)
    neighbourhoods = _filled_pixels(webgl_browser, live_server, "neighbourhoods", zoom)
    assert provinces > 50_000  # the country is on screen
    assert neighbourhoods / provinces >= 0.99, (zoom, neighbourhoods, provinces)
