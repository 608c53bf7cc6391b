"""Ways through the workspace and the unit page as a dashboard, over HTTP: ``/`` sends a
browser to the workspace (partners' JSON unchanged), every object links to its own page
with the map as a second link, every map page leads back to its unit page and home, and
the unit page carries its map, its charts, its late actions and cores, and the "new
roadmap" and "enter measurements" links for whoever may write there."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spatial.messages import t
from tests.workspace.planning import SignedIn, fresh_action, fresh_roadmap, point_in

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
COUNTY = "IR-15-01"
PROVINCE = "IR-15"




def test_a_browser_asking_for_the_root_is_sent_to_the_workspace_home(client: TestClient) -> None:
    response = client.get("/", headers={"Accept": BROWSER_ACCEPT}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/home"
    assert "Accept" in response.headers["vary"]
    english = client.get("/?lang=en", headers={"Accept": BROWSER_ACCEPT}, follow_redirects=False)
    assert english.headers["location"] == "/home?lang=en"
    home = client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert home.url.path == "/home" and t("home.title") in home.text


@pytest.mark.parametrize("ask", [{"headers": {}}, {"headers": {"Accept": "application/json"}},
                                 {"headers": {"Accept": BROWSER_ACCEPT}, "params": {"f": "json"}}])
def test_the_partners_landing_document_is_unchanged_for_json_clients(client: TestClient, ask: dict) -> None:
    response = client.get("/", follow_redirects=False, **ask)
    assert response.status_code == 200 and "json" in response.headers["content-type"]
    body = response.json()
    assert body["title"] == "Pishraft"
    assert {"self", "service-desc", "conformance", "data"} <= {link["rel"] for link in body["links"]}
    # ?f=html is still the partners' HTML view, which now also names the workspace.
    view = client.get("/", params={"f": "html"}, headers={"Accept": BROWSER_ACCEPT}, follow_redirects=False)
    assert view.status_code == 200 and "/home" in view.text


def test_the_county_page_is_a_dashboard_of_the_place(client: TestClient) -> None:
    page = client.get(f"/units/{COUNTY}").text
    frame = re.search(r'<iframe class="unit-map" src="([^"]+)"', page)
    assert frame, "no map of the unit"
    src = frame.group(1).replace("&amp;", "&")
    assert src.startswith("/maps/indices/") and f"parent={COUNTY}" in src and "level=neighbourhood" in src
    assert client.get(src).status_code == 200
    specs = [json.loads(s) for s in re.findall(r'<div class="chart" data-chart data-testid="chart">'
                                                 r'<script type="application/json">(.*?)</script>', page, re.S)]
    assert len(specs) == 2
    over, among = specs
    values = over["datasets"][over["data"]["name"]]
    assert {"۱۴۰۲", "۱۴۰۳"} <= {v["period"] for v in values}        # Jalali years, Persian digits
    assert over["encoding"]["x"]["scale"]["reverse"] is True          # time reads right to left
    assert among["encoding"]["y"]["axis"]["orient"] == "right"
    for section in ("late-actions", "cores", "roadmaps", "children", "indicators"):
        assert f'data-testid="{section}"' in page
    assert "vendor/vega-embed/vega-embed.min.js" in page and "cdn" not in page.lower()


def test_roadmaps_on_home_and_unit_pages_link_to_their_page_with_the_map_second(client: TestClient) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    for path in ("/home", f"/units/{COUNTY}", f"/units/{PROVINCE}"):
        page = client.get(path).text
        own, on_map = f'href="/roadmaps/{roadmap_id}"', f'href="/maps/roadmaps/{roadmap_id}"'
        assert own in page and on_map in page, path
        assert page.index(own) < page.index(on_map), path


def test_new_roadmap_and_enter_measurements_are_offered_to_whoever_may_write_here(
        app: FastAPI, signed_in: SignedIn) -> None:
    anonymous = TestClient(app).get(f"/units/{COUNTY}").text
    assert 'data-testid="new-roadmap"' not in anonymous and 'data-testid="enter-measurements"' not in anonymous
    planner = signed_in("demo-planner").get(f"/units/{COUNTY}").text
    assert f'href="/roadmaps/new?unit={COUNTY}"' in planner and f'href="/progress/{COUNTY}"' in planner
    core = signed_in("demo-core")       # a core member writes only inside the core's area (IR-15)
    assert 'data-testid="new-roadmap"' in core.get(f"/units/{COUNTY}").text
    assert 'data-testid="new-roadmap"' not in core.get("/units/IR-07-03").text
    viewer = signed_in("demo-viewer").get(f"/units/{COUNTY}").text
    assert 'data-testid="new-roadmap"' not in viewer


def map_pages(roadmap_id: int) -> list[tuple[str, str | None]]:
    """Every family of map page, with the unit whose page it must lead back to (None: home only)."""
    return [("/maps/overview", None), ("/maps/overview?level=county", None), (f"/maps/units/{PROVINCE}", PROVINCE),
            (f"/maps/bivariate?level=county&parent={PROVINCE}", PROVINCE), ("/maps/bivariate", None),
            (f"/maps/clusters?level=county&parent={PROVINCE}", PROVINCE),
            (f"/maps/indices/deprivation_demo?level=neighbourhood&parent={COUNTY}", COUNTY),
            (f"/maps/roadmaps/{roadmap_id}", COUNTY), (f"/maps/progress/{COUNTY}", COUNTY)]


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_map_page_leads_back_to_its_unit_page_and_home(client: TestClient, lang: str) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    suffix = "?lang=en" if lang == "en" else ""
    for path, unit in map_pages(roadmap_id):
        url = path + ("&" if "?" in path else "?") + f"lang={lang}"
        html = client.get(url).text
        box = re.search(r'Pishraft\.box\([^,]+, "(<div class=\\"pishraft-workspace\\">.*?)", "top', html)
        assert box, url
        links = re.findall(r'href=\\"([^\\"]+)\\"', box.group(1))
        assert f"/home{suffix}" in links, (url, links)
        if unit:
            assert f"/units/{unit}{suffix}" in links, (url, links)


def test_an_action_on_the_maps_links_to_its_place_on_its_roadmap_page(client: TestClient) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    action = fresh_action(roadmap_id, place=point_in(COUNTY))
    for path in (f"/maps/progress/{COUNTY}", f"/maps/roadmaps/{roadmap_id}"):
        assert f"/roadmaps/{roadmap_id}#action-{action['id']}" in client.get(path).text, path
