"""Ways through the workspace in real headless Chromium: a planner goes from home to a
county's page, makes a roadmap there and reaches its progress page by clicking only; the
unit page draws its map and its charts (Persian words and digits, right to left; English
with Gregorian years); a map page leads back to the unit page and home."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from spatial.jalali import jalali_numeric
from spatial.messages import t
from tests.workspace.conftest import ARTIFACTS, Browser
from tests.workspace.planning import unique

pytestmark = pytest.mark.browser

PROVINCE = "IR-15"
COUNTY = "IR-15-05"


def jalali(days_from_today: int) -> str:
    return jalali_numeric(date.today() + timedelta(days=days_from_today), persian=True)


def click(tab: Browser, selector: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(selector)


def test_a_planner_goes_from_home_to_a_new_county_roadmap_and_its_progress_by_clicking_only(tab: Browser) -> None:
    title = unique("نقشه راه از صفحه شهرستان")
    tab.sign_in("demo-planner")
    tab.open("/home")  # the last typed address: from here on, only clicks
    click(tab, f"section.card a[href='/units/{PROVINCE}']")
    click(tab, f"[data-testid=children] a[href='/units/{COUNTY}']")
    assert tab.page.url.endswith(f"/units/{COUNTY}")
    click(tab, "[data-testid=new-roadmap]")
    assert tab.page.input_value("input[name=unit]") == COUNTY  # the form comes set to the county
    tab.page.fill("input[name=title]", title)
    tab.page.fill("input[name=start_date]", jalali(-10))
    tab.page.fill("input[name=end_date]", jalali(3 * 365))
    tab.screenshot("dashboard-new-roadmap-fa")
    click(tab, "[data-testid=roadmap-form] button[type=submit]")
    assert re.search(r"/roadmaps/\d+$", tab.page.url) and title in tab.page.inner_text("h1")
    click(tab, f"a[href='/progress/{COUNTY}']")
    assert tab.page.url.endswith(f"/progress/{COUNTY}")
    tab.screenshot("dashboard-progress-fa")
    # And back on the county's page, the new roadmap links to its own page first.
    tab.open(f"/units/{COUNTY}")
    link = tab.page.locator("[data-testid=roadmap-link]", has_text=title)
    assert re.fullmatch(r"/roadmaps/\d+", link.get_attribute("href") or "")
    assert tab.errors == [] and tab.outside == []


def svg_words(chart: object) -> list[str]:
    """The words of a drawn chart's SVG (axis labels, titles, legend)."""
    return list(chart.evaluate("el => [...el.querySelectorAll('svg text')].map(t => t.textContent)"))  # type: ignore[attr-defined]


def _drawn(tab: Browser) -> None:
    tab.page.wait_for_selector("[data-chart][data-drawn]", timeout=15_000)
    tab.page.wait_for_function("document.querySelectorAll('[data-chart][data-drawn]').length === 2")
    assert tab.page.locator("[data-chart][data-drawn=true]").count() == 2, tab.page.evaluate(
        "[...document.querySelectorAll('[data-chart]')].map(e => e.title)")


def test_the_unit_page_draws_its_map_and_its_charts_in_persian(tab: Browser) -> None:
    tab.open(f"/units/{COUNTY}")
    _drawn(tab)
    over, among = tab.page.locator("[data-chart]").all()
    assert over.locator("svg .mark-line path").count() >= 1 and over.locator("svg .mark-symbol path").count() >= 2
    assert among.locator("svg .mark-rect path").count() >= 3
    words = svg_words(over)
    assert "۱۴۰۳" in words and "۱۴۰۲" in words and not any(re.search(r"[0-9]", w) for w in words)
    assert t("chart.period") in words
    assert over.locator("select").count() == 1  # the indicator is chosen from a list
    frame = tab.page.frame_locator("iframe.unit-map")
    frame.locator(".leaflet-container").wait_for()
    assert frame.locator(".pishraft-workspace a").count() >= 2
    tab.screenshot("dashboard-unit-fa")
    tab.page.locator("[data-testid=charts]").screenshot(path=str(ARTIFACTS / "dashboard-charts-fa.png"))
    assert tab.errors == [] and tab.outside == []


def test_the_unit_page_in_english_shows_gregorian_years(tab: Browser) -> None:
    tab.open(f"/units/{COUNTY}?lang=en")
    _drawn(tab)
    words = svg_words(tab.page.locator("[data-chart]").first)
    assert "2024" in words and "2023" in words and "Year" in words
    tab.screenshot("dashboard-unit-en")
    tab.page.locator("[data-testid=charts]").screenshot(path=str(ARTIFACTS / "dashboard-charts-en.png"))
    assert tab.errors == [] and tab.outside == []


def test_a_map_page_leads_back_to_its_unit_page_and_home(tab: Browser) -> None:
    tab.open(f"/maps/progress/{COUNTY}")
    box = tab.page.locator(".pishraft-workspace")
    box.wait_for()
    click(tab, f".pishraft-workspace a[href='/units/{COUNTY}']")
    assert tab.page.url.endswith(f"/units/{COUNTY}")
    tab.open("/maps/overview")
    click(tab, ".pishraft-workspace a[href='/home']")
    assert tab.page.url.endswith("/home")
    assert tab.errors == [] and tab.outside == []
