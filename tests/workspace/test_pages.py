"""The home and unit pages as a planner sees them in headless Chromium: search to a unit,
read its profile in Persian and English, on a desktop and a 390-pixel phone."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from spatial.messages import code_words
from tests.workspace.conftest import PHONE, Browser
from tests.workspace.planning import fresh_action, fresh_roadmap

pytestmark = pytest.mark.browser

COUNTY = "IR-15-01"
NEIGHBOURHOOD = "IR-15-01-001"


def test_searching_a_persian_name_suggests_the_unit_and_opens_its_page(tab: Browser) -> None:
    tab.open("/home")
    tab.page.fill("[data-testid=unit-search]", "کرمان")
    tab.page.wait_for_selector("ul.suggest li a")
    suggestions = tab.page.inner_text("ul.suggest")
    assert "استان کرمان (استان)" in suggestions
    assert tab.page.evaluate("document.querySelector('[data-testid=unit-search]').offsetHeight") < 60  # list below
    tab.screenshot("home-search-fa")
    with tab.page.expect_navigation():
        tab.page.click("ul.suggest li a >> text=استان کرمان")
    assert tab.page.url.endswith("/units/IR-15")
    assert tab.page.inner_text("h1").startswith("استان کرمان")
    assert tab.errors == [] and tab.outside == []


def test_searching_an_english_name_or_a_code_finds_the_unit(tab: Browser) -> None:
    tab.open("/home?lang=en")
    tab.page.fill("[data-testid=unit-search]", "kerman")
    tab.page.wait_for_selector("ul.suggest li a")
    assert "Kerman (Province)" in tab.page.inner_text("ul.suggest")
    tab.page.fill("[data-testid=unit-search]", COUNTY)
    with tab.page.expect_navigation():
        tab.page.press("[data-testid=unit-search]", "Enter")
    assert f"/units/{COUNTY}" in tab.page.url and "lang=en" in tab.page.url  # one match: straight to it


def test_a_county_page_in_persian_shows_its_profile_roadmaps_and_maps(tab: Browser) -> None:
    tab.open(f"/units/{COUNTY}")
    page = tab.page
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "fa"
    assert "شهرستان نمونه ۱ (کرمان)" in page.inner_text("h1")
    classes = page.inner_text("[data-testid=classes]")
    assert "طبقه ظرفیت × محرومیت" in classes and "ظرفیت" in classes and "خوشه فضایی" in classes
    assert re.search(r"[۰-۹]+ از ۳۱۰", classes)  # rank among the 310 counties, in Persian digits
    assert "نرخ بیکاری" in page.inner_text("[data-testid=indicators]")
    roadmaps = page.inner_text("[data-testid=roadmaps]")
    assert "نقشه راه شهرستان نمونه ۱" in roadmaps and "سررسید گذشته" in roadmaps
    assert page.locator("[data-testid=unit-maps] a").count() == 4
    assert page.locator("[data-testid=children] a").count() == 20
    tab.screenshot("unit-county-fa")
    assert tab.errors == [] and tab.outside == []


def test_the_same_page_in_english_reads_left_to_right(tab: Browser) -> None:
    tab.open(f"/units/{COUNTY}?lang=en")
    page = tab.page
    assert page.get_attribute("html", "dir") == "ltr"
    assert "Synthetic county 1 (Kerman)" in page.inner_text("h1")
    assert "Capacity × deprivation class" in page.inner_text("[data-testid=classes]")
    assert re.search(r"\d+ of 310", page.inner_text("[data-testid=classes]"))
    assert all("lang=en" in (a or "") for a in
               page.eval_on_selector_all("[data-testid=children] a", "els => els.map(a => a.getAttribute('href'))"))
    tab.screenshot("unit-county-en")


def test_a_neighbourhood_has_a_page_too(tab: Browser) -> None:
    tab.open(f"/units/{NEIGHBOURHOOD}")
    assert "محله نمونه ۱" in tab.page.inner_text("h1")
    assert "این واحد زیرواحدی ندارد." in tab.page.inner_text("[data-testid=children]")
    assert "نقشه پیشرفت محله نمونه ۱" in tab.page.inner_text("[data-testid=roadmaps]")
    tab.screenshot("unit-neighbourhood-fa")


def test_a_core_member_sees_their_area_roadmaps_actions_and_core_on_home(tab: Browser) -> None:
    # The newest in the area (home lists the twenty changed last; other tests add roadmaps there too).
    roadmap_id = fresh_roadmap("IR-15-01", title="نقشه راه خانه هسته")
    action = fresh_action(roadmap_id)
    tab.sign_in("demo-core")
    tab.open("/home")
    mine = tab.page.inner_text("[data-testid=mine]")
    assert "استان کرمان" in mine  # the area
    assert "نقشه راه خانه هسته" in mine and action["title"] in mine
    assert "هسته پیشرفت شهرستان نمونه ۱" in mine and "آموزش‌دیده" in mine
    tab.screenshot("home-core-fa")


@pytest.mark.parametrize("path", ["/home", "/units/IR-15"])
def test_pages_fit_a_390_pixel_phone(new_tab: Callable[..., Browser], path: str) -> None:
    phone = new_tab(PHONE)
    phone.open(path)
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(f"phone{path.replace('/', '-')}")
    assert phone.errors == []


def test_every_link_on_the_home_and_unit_pages_answers_200(tab: Browser, live_server: str) -> None:
    tab.sign_in("demo-core")
    links: set[str] = set()
    for path in ("/home", "/home?lang=en", f"/units/{COUNTY}", f"/units/{NEIGHBOURHOOD}", "/units/IR-15?lang=en"):
        tab.open(path)
        links.update(tab.links())
    session = next(c["value"] for c in tab.page.context.cookies() if c["name"] == "pishraft_session")
    failed = {}
    with httpx.Client(timeout=120, follow_redirects=True) as client:
        client.cookies.set("pishraft_session", session)
        for url in sorted(links):
            status = client.get(url).status_code
            if status != 200:
                failed[url] = status
    assert len(links) > 60
    assert failed == {}


PERSIAN_PAGES = (
    "/home", "/signin", "/search?q=نمونه", "/units/IR-15", f"/units/{COUNTY}", f"/units/{NEIGHBOURHOOD}",
    "/maps/overview", f"/maps/units/{COUNTY}", "/maps/bivariate?level=county&parent=IR-15",
    "/maps/clusters?level=county&parent=IR-15", f"/maps/progress/{COUNTY}",
)


def test_no_persian_page_shows_a_stored_code_of_the_catalogue(tab: Browser, live_server: str) -> None:
    """The product's own words only: text people typed is in <bdi> on pages (other tests
    write English titles), and only the demo's roadmaps are opened on maps."""
    codes = code_words()
    roadmaps = [r for r in httpx.get(f"{live_server}/api/roadmaps", params={"unit": "IR-15"}).json()
                if r["synthetic"]]
    tab.sign_in("demo-core")
    found = {}
    for path in (*PERSIAN_PAGES, *(f"/maps/roadmaps/{r['id']}" for r in roadmaps)):
        tab.open(path)
        if path.startswith("/maps/"):
            tab.page.wait_for_function("document.documentElement.dataset.pishraftDrawn === 'true'"
                                       " || document.querySelector('.leaflet-container') !== null")
        else:
            tab.page.evaluate("document.querySelectorAll('bdi').forEach(e => e.remove())")
        # Whole words: a user name such as demo-core is not the role code "core".
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.@-]*", tab.text())) & codes
        if words:
            found[path] = sorted(words)
    assert found == {}
