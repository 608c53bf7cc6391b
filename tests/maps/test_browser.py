"""The maps as a planner sees them: headless Chromium (Debian's /usr/bin/chromium) opens
each page from the running API with no network, hovers and clicks. Screenshots go to
test-artifacts/maps/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from maps.actions import progress_map, roadmap_map
from maps.assets import copy_static, write_page
from maps.categories import bivariate_map, cluster_map
from spatial.messages import t
from tests.maps.conftest import Visit
from tests.maps.samples import grid_units, roadmap_data

pytestmark = pytest.mark.browser

SHAPES = "Pishraft.layers.map(l => l.count())"


def _point(page: object, code: str | None = None) -> tuple[float, float]:
    """Where unit ``code`` (default: the first one) is on screen."""
    return tuple(page.evaluate(
        "code => { const l = Pishraft.layers[0]; const p = l.pointIn(code ? l.indexOf(code) : 0);"
        " return [p.x, p.y]; }", code))


def _hover(visit: Visit, code: str) -> str:
    """Move the mouse onto unit ``code`` and return the tooltip's text."""
    page = visit.page
    x, y = _point(page, code)
    page.mouse.move(x - 2, y)
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
    return page.inner_text(".leaflet-tooltip")


def test_overview_draws_31_provinces_with_persian_tooltips(live_server: str, visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/overview")
    assert seen.page.evaluate(SHAPES) == [31]
    tooltip = _hover(seen, "IR-15")
    assert "استان کرمان" in tooltip and "Kerman" not in tooltip  # no English name under the Persian one
    assert seen.page.evaluate("getComputedStyle(document.querySelector('.pishraft-title')).direction") == "rtl"
    seen.screenshot("overview-fa")
    assert seen.errors == []


def test_a_persian_map_names_its_controls_in_persian_and_measures_in_kilometres(
        live_server: str, visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/overview")
    page = seen.page
    page.wait_for_function("() => document.querySelector('.leaflet-control-zoom-in').title !== 'Zoom in'")
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == t("map.zoom_in", "fa")
    assert page.get_attribute(".leaflet-control-zoom-out", "title") == t("map.zoom_out", "fa")
    scales = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scales) == 1 and re.fullmatch(r"[۰-۹]+ (کیلومتر|متر)", scales[0])  # metric only, in Persian
    for control in (".leaflet-control-zoom", ".leaflet-control-scale", ".leaflet-control-attribution"):
        assert not re.search(r"[A-Za-z]", page.inner_text(control)), control
    english = visit(f"{live_server}/maps/overview?lang=en").page
    english.wait_for_selector(".leaflet-control-scale-line")
    assert re.fullmatch(r"\d+ (km|m)", english.inner_text(".leaflet-control-scale-line"))


def test_a_served_map_requests_nothing_outside_this_machine(live_server: str,
                                                            visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/units/IR-15")
    assert seen.outside == []
    assert any(u.endswith("/static/vendor/leaflet/leaflet.js") for u in seen.requests)
    assert seen.page.evaluate("document.fonts.check('13px Vazirmatn', 'ایران')")


def test_the_osm_basemap_is_the_only_thing_that_would_leave(live_server: str,
                                                            visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/units/IR-15?basemap=osm")
    assert seen.outside and all("tile.openstreetmap.org" in u for u in seen.outside)


def test_clicking_a_province_opens_its_county_map_and_a_county_its_neighbourhoods(
        live_server: str, visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/overview")
    page = seen.page
    x, y = _point(page, "IR-15")
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert "/maps/units/IR-15" in page.url
    page.wait_for_function("document.documentElement.dataset.pishraftDrawn === 'true'")
    assert page.evaluate(SHAPES) == [10]
    seen.screenshot("province-IR-15-fa")
    x, y = _point(page)
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert "/maps/units/IR-15-01" in page.url
    page.wait_for_function("document.documentElement.dataset.pishraftDrawn === 'true'")
    assert page.evaluate(SHAPES) == [20]
    with page.expect_navigation():
        page.click(".pishraft-breadcrumb a >> nth=0")  # back to Iran
    assert "/maps/overview" in page.url
    assert seen.errors == [] and seen.outside == []


def test_english_county_map_reads_left_to_right(live_server: str, visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/units/IR-15-01?lang=en&scheme=equal_interval")
    assert seen.page.evaluate(SHAPES) == [20]
    assert "Synthetic neighbourhood" in _hover(seen, "IR-15-01-001")
    assert seen.page.evaluate("getComputedStyle(document.querySelector('.pishraft-title')).direction") == "ltr"
    seen.screenshot("county-IR-15-01-en")
    assert seen.errors == []


def test_resource_layers_switch_on_from_the_layer_control(live_server: str, wells_layer: str,
                                                          visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/units/IR-15")
    page = seen.page
    assert page.locator("path.leaflet-interactive").count() == 0  # overlays start hidden
    page.locator(".leaflet-control-layers-overlays label", has_text="چاه‌های آزمایشی").locator("input").check()
    assert page.locator("path.leaflet-interactive").count() == 3  # the three wells, other layers still off
    seen.screenshot("province-IR-15-wells-fa")
    assert seen.errors == []


def test_national_neighbourhood_map_draws_every_unit(live_server: str, visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/overview?level=neighbourhood")
    assert seen.page.evaluate(SHAPES) == [6200]
    seen.screenshot("overview-neighbourhoods-fa")
    assert seen.errors == []


@pytest.fixture(scope="module")
def builder_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four analytic maps built from hand-made data, written as standalone files."""
    out = tmp_path_factory.mktemp("builders")
    copy_static(out)
    units = grid_units()
    classes = {c: {"capacity_class": 1 + i % 3, "deprivation_class": 1 + i // 3, "meaning_fa": None,
                   "meaning_en": None} for i, c in enumerate(units["code"])}
    write_page(bivariate_map(units, classes, "fa"), out / "bivariate.fa.html")
    labels = ["HH", "LL", "HL", "LH", "ns", "HH", "LL", "HL", "LH"]
    write_page(cluster_map(units, dict(zip(units["code"], labels, strict=True)), "en"), out / "clusters.en.html")
    data = roadmap_data()
    write_page(roadmap_map(data, "fa"), out / "roadmap.fa.html")
    write_page(progress_map(data["actions"], "fa", unit=data["unit"]), out / "progress.fa.html")
    return out


@pytest.mark.parametrize("name", ["bivariate.fa.html", "clusters.en.html"])
def test_standalone_category_maps_draw_nine_units_offline(builder_pages: Path, name: str,
                                                          visit: Callable[..., Visit]) -> None:
    seen = visit((builder_pages / name).as_uri())
    assert seen.page.evaluate(SHAPES) == [9]
    seen.screenshot(name.removesuffix(".html"))
    assert seen.errors == [] and seen.outside == []


def test_roadmap_popup_shows_jalali_dates_and_progress_bars(builder_pages: Path,
                                                            visit: Callable[..., Visit]) -> None:
    seen = visit((builder_pages / "roadmap.fa.html").as_uri(), wait_drawn=False)
    page = seen.page
    assert page.locator("path.leaflet-interactive").count() == 4  # the unit, a point, a line, a polygon
    x, y = page.evaluate("() => { const m = Object.values(window).find(v => v instanceof L.Map);"
                         " const p = m.latLngToContainerPoint([31.5, 55.5]); return [p.x, p.y]; }")
    page.mouse.click(x, y)  # the workshop, a point action
    popup = page.wait_for_selector(".pishraft-popup")
    assert "۱۲ شهریور ۱۴۰۳" in popup.inner_text() and page.locator(".pishraft-popup .bar").count() == 1
    seen.screenshot("roadmap-fa")
    assert seen.errors == [] and seen.outside == []


def test_progress_map_draws_placed_actions(builder_pages: Path, visit: Callable[..., Visit]) -> None:
    seen = visit((builder_pages / "progress.fa.html").as_uri(), wait_drawn=False)
    assert seen.page.locator("path.leaflet-interactive").count() == 4
    seen.screenshot("progress-fa")
    assert seen.errors == [] and seen.outside == []


def test_choosing_another_indicator_from_the_list_opens_its_map(live_server: str,
                                                               visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/units/IR-15?lang=en&indicator=unemployment_rate")
    page = seen.page
    with page.expect_navigation():
        page.select_option(".pishraft-choice select", label="Literacy rate")
    assert "indicator=literacy_rate" in page.url
    page.wait_for_function("document.documentElement.dataset.pishraftDrawn === 'true'")
    assert "Literacy rate" in page.inner_text(".pishraft-title h4")
