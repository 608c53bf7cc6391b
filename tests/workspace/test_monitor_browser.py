"""The monitoring centre in real headless Chromium: a planner opens it from home, clicks a
province on its map, filters the province's late actions by sponsor, opens one, comes back
and downloads the list; every chart is drawn (and the charts' screenshot is not blank)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from spatial.messages import t
from tests.workspace.conftest import ARTIFACTS, Browser

pytestmark = pytest.mark.browser

PROVINCE = "IR-15"
CHARTS = 7


def click(tab: Browser, selector: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(selector)


def click_province_on_map(tab: Browser, code: str) -> None:
    """Click unit ``code`` where the monitoring map (in its frame) draws it."""
    frame_element = tab.page.locator("[data-testid=monitor-map]")
    frame_element.scroll_into_view_if_needed()
    frame = frame_element.element_handle().content_frame()
    frame.wait_for_function("window.Pishraft && Pishraft.layers.length > 0 && Pishraft.layers[0].count() > 0")
    x, y = frame.evaluate("code => { const l = Pishraft.layers[0]; const p = l.pointIn(l.indexOf(code));"
                          " return [p.x, p.y]; }", code)
    box = frame_element.bounding_box()
    with tab.page.expect_navigation():
        tab.page.mouse.click(box["x"] + x, box["y"] + y)


def charts_drawn(tab: Browser) -> None:
    tab.page.wait_for_function(f"document.querySelectorAll('[data-chart][data-drawn]').length === {CHARTS}",
                               timeout=30_000)
    assert tab.page.locator("[data-chart][data-drawn=true]").count() == CHARTS, tab.page.evaluate(
        "[...document.querySelectorAll('[data-chart]')].map(e => e.title)")


def test_a_planner_follows_a_late_action_from_home_to_its_roadmap_and_takes_the_list_away(tab: Browser) -> None:
    tab.sign_in("demo-planner")
    tab.open("/home")  # from here on, only clicks
    click(tab, "[data-testid=monitor-link]")
    assert tab.page.url.endswith("/monitor/IR")
    click_province_on_map(tab, PROVINCE)
    assert tab.page.url.endswith(f"/monitor/{PROVINCE}")
    assert tab.page.locator("[data-testid=late-action]").count() >= 1

    sponsor = tab.page.locator("[data-testid=late-filters] select[name=sponsor] option:not([value=''])").first
    sponsor_name = sponsor.inner_text()
    tab.page.select_option("[data-testid=late-filters] select[name=sponsor]", sponsor.get_attribute("value"))
    click(tab, "[data-testid=filter]")
    rows = tab.page.locator("[data-testid=late-list] tbody tr")
    assert rows.count() >= 1
    assert all(sponsor_name in rows.nth(i).inner_text() for i in range(rows.count()))
    tab.screenshot("monitor-province-late-by-sponsor-fa")

    with tab.page.expect_download() as downloading:
        tab.page.click("[data-testid=download-csv]")
    saved = Path(downloading.value.path())
    body = saved.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf") and t("monitor.col.title") in body.decode("utf-8-sig")
    assert len(body.decode("utf-8-sig").splitlines()) == rows.count() + 1  # the filtered list, all of it

    title = tab.page.locator("[data-testid=late-action]").first.inner_text()
    click(tab, "[data-testid=late-action] >> nth=0")
    assert "/roadmaps/" in tab.page.url and title in tab.text()
    assert tab.errors == [] and tab.outside == []


def test_the_monitoring_page_draws_every_chart(tab: Browser) -> None:
    tab.sign_in("demo-planner")
    tab.open(f"/monitor/{PROVINCE}")
    charts_drawn(tab)
    assert tab.page.locator("[data-chart] svg .mark-rect path").count() >= 3
    assert tab.page.locator("[data-chart] svg .mark-line path").count() >= 1  # progress over the months
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = tab.page.locator("[data-testid=charts]").screenshot(path=str(ARTIFACTS / "monitor-charts-fa.png"))
    colours = Image.open(io.BytesIO(shot)).convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 20  # not a blank area: bars, lines, words in many shades
    tab.screenshot("monitor-province-fa")
    assert tab.errors == [] and tab.outside == []
