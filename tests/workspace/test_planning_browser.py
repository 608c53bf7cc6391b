"""The roadmap and progress pages in real headless Chromium, one scenario per role, each on
roadmaps of its own: a planner makes a county roadmap with a placed and an unplaced
action, and a progress core member records a measurement inside the core's area and is
refused outside it. Screenshots go to test-artifacts/workspace/."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spatial.jalali import jalali_numeric, persian_digits
from spatial.messages import t
from tests.workspace.conftest import Browser
from tests.workspace.planning import count, fresh_action, fresh_roadmap, point_in, unique

pytestmark = pytest.mark.browser

PLANNER_COUNTY = "IR-15-05"
CORE_COUNTY = "IR-15-06"       # inside the demo core's area (IR-15)
ELSEWHERE = "IR-07-03"         # outside it


def jalali(days_from_today: int) -> str:
    return jalali_numeric(date.today() + timedelta(days=days_from_today), persian=True)


def click_on_map(tab: Browser, point: dict[str, Any]) -> None:
    """Click the place map where longitude/latitude ``point`` is drawn, once the page has
    settled (web fonts loaded, the map in view)."""
    lng, lat = point["coordinates"]
    tab.page.evaluate("document.fonts.ready.then(() => true)")
    tab.page.locator(".place-map").scroll_into_view_if_needed()
    x, y = tab.page.evaluate(
        """([lng, lat]) => { const map = document.querySelector('[data-place-editor]').placeMap;
                             map.invalidateSize();
                             const p = map.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }""", [lng, lat])
    box = tab.page.locator(".place-map").bounding_box()
    tab.page.mouse.click(box["x"] + x, box["y"] + y)


def submit(tab: Browser, form: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(f"[data-testid={form}] button[type=submit]")


def test_a_planner_makes_a_county_roadmap_with_a_placed_and_an_unplaced_action(
        tab: Browser, client: TestClient) -> None:
    title = unique("نقشه راه شهرستان")
    tab.sign_in("demo-planner")
    tab.open("/roadmaps")
    tab.screenshot("roadmaps-list-fa")
    tab.page.click("[data-testid=new-roadmap]")
    tab.page.fill("input[name=unit]", PLANNER_COUNTY)
    tab.page.fill("input[name=title]", title)
    tab.page.fill("input[name=start_date]", jalali(-30))
    tab.page.fill("input[name=end_date]", jalali(4 * 365))
    tab.page.fill("input[name=cap_text]", "قنات‌ها و باغ‌های پسته")
    tab.page.fill("textarea[name=strategies]", "زنجیره ارزش پسته\nگردشگری روستایی")
    tab.screenshot("roadmap-form-fa")
    submit(tab, "roadmap-form")
    assert title in tab.text() and "زنجیره ارزش پسته" in tab.text()
    made = re.search(r"/roadmaps/(\d+)$", tab.page.url)
    assert made, tab.page.url
    roadmap_id = int(made.group(1))

    # An action placed by clicking a point inside the county, with a financing line and a key result.
    tab.page.click("[data-testid=add-action]")
    tab.page.fill("input[name=title]", "کارگاه فرش دستباف")
    tab.page.select_option("select[name=sector]", "handicrafts")
    tab.page.fill("input[name=target_group]", "زنان سرپرست خانوار")
    tab.page.fill("input[name=jobs_expected]", "۲۰")
    tab.page.click("[data-testid=draw-point]")
    click_on_map(tab, point_in(PLANNER_COUNTY))
    assert tab.page.input_value("#geometry-field").startswith('{"type":"Point"')
    tab.page.select_option("select[name=fin_source]", "sponsor")
    tab.page.fill("input[name=fin_amount]", "۶۰۰۰۰۰۰۰۰۰")
    tab.page.fill("input[name=kr_indicator]", "بافندگان شاغل")
    tab.page.fill("input[name=kr_target]", "۴۰")
    tab.page.fill("input[name=kr_target_date]", jalali(300))
    tab.screenshot("action-form-fa")
    submit(tab, "action-form")
    assert "کارگاه فرش دستباف" in tab.text() and t("act.has_place") in tab.text()

    # A second action without a place.
    tab.page.click("[data-testid=add-action]")
    tab.page.fill("input[name=title]", "آموزش بازاریابی")
    submit(tab, "action-form")
    assert "آموزش بازاریابی" in tab.text() and t("act.no_place") in tab.text()
    tab.screenshot("roadmap-fa")

    actions = client.get(f"/api/roadmaps/{roadmap_id}").json()["actions"]
    placed = next(a for a in actions if a["title"] == "کارگاه فرش دستباف")
    assert placed["geometry"]["type"] == "Point" and placed["sector"] == "handicrafts"
    assert [(f["source"], f["amount_rials"]) for f in placed["financing"]] == [("sponsor", 6_000_000_000)]
    assert placed["key_results"][0]["target"] == 40

    # Both on the county's progress page: one on the map, one in the side list; counts as the API's.
    tab.open(f"/progress/{PLANNER_COUNTY}")
    tab.page.wait_for_selector(".progress-map .leaflet-interactive")
    api = client.get(f"/api/progress?unit={PLANNER_COUNTY}").json()
    assert "کارگاه فرش دستباف" in tab.text()
    assert "آموزش بازاریابی" in tab.page.inner_text("[data-testid=unplaced]")
    for status, n in api["counts"].items():
        assert tab.page.inner_text(f"[data-count={status}]") == persian_digits(n)
    placed_n = sum(a["has_geometry"] for a in api["actions"])
    assert tab.page.locator(".progress-map path.leaflet-interactive").count() == placed_n  # the unit is not interactive
    tab.screenshot("progress-fa")
    assert tab.errors == [] and tab.outside == []


def test_a_place_drawn_outside_the_county_is_refused_on_the_page(tab: Browser) -> None:
    roadmap_id = fresh_roadmap(PLANNER_COUNTY)
    tab.sign_in("demo-planner")
    tab.open(f"/roadmaps/{roadmap_id}/actions/new")
    tab.page.fill("input[name=title]", "اقدام بیرون از مرز")
    # Outside: the map shows the county, so draw a polygon reaching across its boundary.
    tab.page.click("[data-draw=polygon]")
    tab.page.locator(".place-map").scroll_into_view_if_needed()
    box = tab.page.locator(".place-map").bounding_box()
    for fx, fy in ((0.02, 0.02), (0.5, 0.03), (0.5, 0.5)):
        tab.page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    tab.page.click("[data-draw-finish]")
    assert '"Polygon"' in tab.page.input_value("#geometry-field")
    before = count("action")
    submit(tab, "action-form")
    assert "مکان اقدام: مکان کشیده‌شده بیرون از" in tab.text()
    assert count("action") == before
    tab.screenshot("action-place-refused-fa")


def test_a_core_member_records_a_measurement_inside_the_area_and_is_refused_outside(
        tab: Browser, client: TestClient) -> None:
    inside = fresh_action(fresh_roadmap(CORE_COUNTY), target=100, place=point_in(CORE_COUNTY))
    outside_roadmap = fresh_roadmap(ELSEWHERE)
    outside = fresh_action(outside_roadmap, target=100)
    tab.sign_in("demo-core")

    tab.open(f"/progress/{CORE_COUNTY}")
    row = tab.page.locator(f"tr[data-action='{inside['id']}']")
    assert row.get_attribute("data-status") == "no_data"
    with tab.page.expect_navigation():
        row.locator("[data-testid=measure]").click()
    tab.page.fill("input[name=measured_on]", jalali(-3))
    tab.page.fill("input[name=value]", "۸۰")
    tab.page.fill("input[name=source]", "گزارش هسته پیشرفت")
    tab.screenshot("measurement-form-fa")
    submit(tab, "measurement-form")
    assert tab.page.url.endswith(f"/progress/{CORE_COUNTY}")
    row = tab.page.locator(f"tr[data-action='{inside['id']}']")
    assert row.get_attribute("data-status") == "on_track"
    assert t("progress.on_track") in row.inner_text()
    tab.screenshot("progress-after-measurement-fa")
    (measured,) = client.get(f"/api/measurements?action={inside['id']}").json()
    assert measured["measured_on"] == (date.today() - timedelta(days=3)).isoformat()

    # Outside the core's area: no form offered, the form's address refused, a forged post refused.
    tab.open(f"/roadmaps/{outside_roadmap}")
    assert tab.page.locator("[data-testid=measure]").count() == 0
    assert tab.page.locator("[data-testid=add-action]").count() == 0
    tab.screenshot("roadmap-outside-area-fa")
    refused = tab.open(f"/actions/{outside['id']}/measure")
    assert refused.status == 403 and t("error.forbidden") in tab.text()
    tab.open("/signout")
    token = tab.page.input_value("input[name=csrf_token]")
    before = count("measurement")
    forged = tab.page.request.post(
        f"{tab.base_url}/actions/{outside['id']}/measure",
        form={"csrf_token": token, "key_result_id": str(outside["key_results"][0]["id"]),
              "measured_on": jalali(-1), "value": "50"})
    assert forged.status == 403
    assert count("measurement") == before
    assert tab.outside == []


def test_the_pages_fit_a_phone_and_read_in_english(phone_tab: Browser, tab: Browser) -> None:
    roadmap_id = fresh_roadmap(PLANNER_COUNTY)
    fresh_action(roadmap_id, place=point_in(PLANNER_COUNTY))
    phone_tab.sign_in("demo-planner")
    for path, name in ((f"/roadmaps/{roadmap_id}", "roadmap-phone-fa"), ("/progress/IR-15", "progress-phone-fa"),
                       (f"/roadmaps/{roadmap_id}/actions/new", "action-form-phone-fa")):
        phone_tab.open(path)
        assert phone_tab.page.evaluate("document.scrollingElement.scrollWidth") <= 390, path
        phone_tab.screenshot(name)
    tab.sign_in("demo-planner", lang="en")
    tab.open("/progress/IR-15?lang=en")
    assert "Progress watch: Kerman" in tab.text() and "Overdue" in tab.text()
    tab.screenshot("progress-en")
    tab.open(f"/roadmaps/{roadmap_id}?lang=en")
    assert "Add an action" in tab.text()
    tab.screenshot("roadmap-en")
    assert phone_tab.errors == [] and tab.errors == [] and tab.outside == []


def test_a_core_member_reaches_a_measurement_form_in_the_area_from_home_by_clicking(tab: Browser) -> None:
    action = fresh_action(fresh_roadmap(CORE_COUNTY), target=100)
    tab.sign_in("demo-core")
    tab.open("/home")
    with tab.page.expect_navigation():  # home names the core member's area
        tab.page.locator("[data-testid=mine] h2 a").first.click()
    with tab.page.expect_navigation():  # the province's page lists its counties
        tab.page.locator(f"main a[href^='/units/{CORE_COUNTY}']").first.click()
    assert tab.page.url.endswith(f"/units/{CORE_COUNTY}")
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=enter-measurements]")
    assert tab.page.url.endswith(f"/progress/{CORE_COUNTY}")
    with tab.page.expect_navigation():
        tab.page.locator(f"tr[data-action='{action['id']}'] [data-testid=measure]").click()
    assert tab.page.url.endswith(f"/actions/{action['id']}/measure")
    assert tab.page.locator("input[name=measured_on]").count() == 1
    tab.screenshot("core-member-reaches-measurement-form-fa")
    assert tab.outside == []
