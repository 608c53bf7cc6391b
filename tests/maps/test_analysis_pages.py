"""The served analysis maps: capacity × deprivation, clusters, roadmaps and the progress watch,
drawn from the demo's real data in headless Chromium."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.maps.conftest import Visit
from tests.maps.test_browser import SHAPES


@pytest.fixture
def demo_roadmap_id(session: Session) -> int:
    return int(session.execute(text(
        "SELECT r.id FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id WHERE u.code = 'IR-15-01' LIMIT 1")).scalar())


@pytest.mark.browser
def test_bivariate_map_classes_every_county(live_server: str, visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/bivariate?level=county")
    assert seen.page.evaluate(SHAPES) == [310]
    assert seen.page.locator(".pishraft-bivariate td").count() == 9
    assert seen.page.locator(".pishraft-meanings li").count() == 9
    seen.screenshot("served-bivariate-fa")
    assert seen.errors == [] and seen.outside == []


@pytest.mark.browser
def test_cluster_map_of_provinces_in_english(live_server: str, visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/clusters?level=province&source=unemployment_rate&period=2024&lang=en")
    assert seen.page.evaluate(SHAPES) == [31]
    assert "Spatial clusters of Unemployment rate" in seen.page.inner_text(".pishraft-title")  # its name, not its code
    seen.screenshot("served-clusters-en")
    assert seen.errors == [] and seen.outside == []


@pytest.mark.browser
def test_index_map_with_what_if_weights_says_they_are_not_stored(live_server: str,
                                                                 visit: Callable[..., Visit]) -> None:
    weights = "unemployment_rate:0.2,literacy_rate:0.2,health_centres_per_10k:0.6"
    seen = visit(f"{live_server}/maps/indices/deprivation_demo?level=county&weights={weights}")
    assert seen.page.evaluate(SHAPES) == [310]
    assert "اگر وزن‌ها چنین باشند" in seen.page.inner_text(".pishraft-title")
    assert "ذخیره نمی‌شوند" in seen.page.inner_text("body") and "۰٫۶" in seen.page.inner_text("body")
    seen.screenshot("served-index-what-if-fa")
    assert seen.errors == [] and seen.outside == []


def test_index_map_shades_units_by_the_what_if_scores(client: TestClient) -> None:
    stored = client.get("/maps/indices/deprivation_demo?level=province&lang=en")
    what_if = client.get("/maps/indices/deprivation_demo?level=province&lang=en"
                         "&weights=unemployment_rate:0,literacy_rate:0,health_centres_per_10k:1")
    assert stored.status_code == what_if.status_code == 200
    assert "what if" not in stored.text and "Scores computed now with these weights, not stored" in what_if.text
    assert stored.text != what_if.text


@pytest.mark.browser
def test_roadmap_map_of_a_demo_county(live_server: str, demo_roadmap_id: int, visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/roadmaps/{demo_roadmap_id}", wait_drawn=False)
    assert seen.page.locator("path.leaflet-interactive").count() >= 2  # the county and its placed actions
    assert "کرمان" in seen.page.inner_text(".pishraft-title")  # breadcrumb up to the province
    seen.screenshot("served-roadmap-fa")
    assert seen.errors == [] and seen.outside == []


@pytest.mark.browser
def test_progress_watch_of_a_province(live_server: str, visit: Callable[..., Visit]) -> None:
    seen = visit(f"{live_server}/maps/progress/IR-15", wait_drawn=False)
    assert seen.page.locator("path.leaflet-interactive").count() >= 2
    seen.screenshot("served-progress-fa")
    assert seen.errors == [] and seen.outside == []


@pytest.mark.parametrize(("url", "status", "field"), [
    ("/maps/roadmaps/999999", 404, "id"),
    ("/maps/progress/IR-99", 404, "unit"),
    ("/maps/clusters?source=no_such_indicator", 404, "indicator"),
    ("/maps/bivariate?level=planet", 422, "level"),
    ("/maps/indices/deprivation_demo?weights=unemployment_rate:1", 422, "weights"),
    ("/maps/indices/no_such_index", 404, "index"),
])
def test_analysis_maps_answer_bad_input_with_a_clear_error(client: TestClient, url: str, status: int,
                                                           field: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field
