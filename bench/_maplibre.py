"""MapLibre GL in headless Chromium, counting the pixels a collection's tiles fill.

Shared by the hidden-from-nobody test (``tests/partner/test_coalesced_tiles_browser.py``,
small demo) and :mod:`bench.tiles_fill` (any database, e.g. 50,000 neighbourhoods): the
vendored MapLibre GL draws the served vector tiles with software WebGL (SwiftShader),
fills only, black on white, and the screenshot's dark pixels are counted.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
from PIL import Image

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


def filled_pixels(browser: Any, base: str, collection: str, zoom: int, timeout_ms: int = 60_000) -> int:
    """Pixels MapLibre fills with ``collection``'s polygons (fills only, no outlines) at
    ``zoom`` over Iran, in an 800 × 600 map of the server at ``base``."""
    style = {"version": 8, "sources": {"units": {
        "type": "vector", "tiles": [f"{base}/collections/{collection}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"],
        "minzoom": 0, "maxzoom": 22}},
        "layers": [{"id": "background", "type": "background", "paint": {"background-color": "#ffffff"}},
                   {"id": "fill", "type": "fill", "source": "units", "source-layer": collection,
                    "paint": {"fill-color": "#000000", "fill-antialias": False}}]}
    page = browser.new_page(viewport={"width": 800, "height": 600})
    try:
        page.set_content(PAGE.format(base=base, style=json.dumps(style), centre=json.dumps(IRAN_CENTRE), zoom=zoom))
        page.wait_for_function("window.drawn || window.failed", timeout=timeout_ms)
        failed = page.evaluate("window.failed || null")
        if failed is not None:
            raise RuntimeError(f"MapLibre failed drawing {collection} at zoom {zoom}: {failed}")
        shot = np.asarray(Image.open(io.BytesIO(page.locator("#map").screenshot())).convert("L"))
    finally:
        page.close()
    return int((shot < 128).sum())
