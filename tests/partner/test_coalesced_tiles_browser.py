"""Hidden from nobody: MapLibre GL in headless Chromium fills as much of the country with
neighbourhoods as with provinces at national zooms (the vendored MapLibre, the served tiles)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench._maplibre import WEBGL_ARGS, filled_pixels
from tests.conftest import CHROMIUM


@pytest.fixture(scope="module")
def webgl_browser(playwright: Any) -> Iterator[Any]:
    """Chromium with WebGL in software (SwiftShader), beside the session's browser."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=WEBGL_ARGS)
    yield browser
    browser.close()


@pytest.mark.parametrize("zoom", [5, 6, 7])
def test_neighbourhoods_fill_what_provinces_fill(live_server: str, webgl_browser: Any, zoom: int) -> None:
    provinces = filled_pixels(webgl_browser, live_server, "provinces", zoom)
    neighbourhoods = filled_pixels(webgl_browser, live_server, "neighbourhoods", zoom)
    assert provinces > 50_000  # the country is on screen
    assert neighbourhoods / provinces >= 0.99, (zoom, neighbourhoods, provinces)
