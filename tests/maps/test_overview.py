"""Served maps: the national overview and the drill-down pages, through the real app."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from spatial.analytics import indicators

from tests.maps.samples import coverage_properties, in_page


def test_overview_map_is_html_with_persian_names(client: TestClient) -> None:
    response = client.get("/maps/overview")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    props = coverage_properties(html)
    assert len(props["code"]) == 31 and "استان کرمان" in props["name_fa"]
    assert in_page("داده‌های نمونه", html)  # synthetic data labelled


def test_overview_in_english(client: TestClient) -> None:
    html = client.get("/maps/overview", params={"lang": "en"}).text
    assert "Synthetic demo data" in html and "Kerman" in coverage_properties(html)["name_en"]
    assert "pishraft-rtl" not in html


def test_provinces_link_to_their_county_maps(client: TestClient) -> None:
    props = coverage_properties(client.get("/maps/overview", params={"scheme": "fisher_jenks"}).text)
    kerman = props["code"].index("IR-15")
    assert props["href"][kerman] == "/maps/units/IR-15?scheme=fisher_jenks&lang=fa"


def test_a_province_map_shows_its_counties_with_a_breadcrumb_home(client: TestClient) -> None:
    html = client.get("/maps/units/IR-15").text
    props = coverage_properties(html)
    assert len(props["code"]) == 10 and all(c.startswith("IR-15-") for c in props["code"])
    assert props["href"][0].startswith("/maps/units/IR-15-01?")
    assert in_page('<a href=\"/maps/overview?lang=fa\">ایران</a>', html)


def test_a_county_map_s_neighbourhoods_open_their_unit_pages_not_further_maps(client: TestClient) -> None:
    props = coverage_properties(client.get("/maps/units/IR-15-01", params={"lang": "en"}).text)
    assert len(props["code"]) == 20
    assert props["href"] == [f"/units/{code}?lang=en" for code in props["code"]]


def test_the_period_control_links_every_other_period_and_switches(client: TestClient, session: Session) -> None:
    periods = indicators.indicator_info(session, "unemployment_rate")["periods"]
    assert {"2023", "2024"} <= set(periods)  # the demo's two periods (other tests may add more)
    params = {"lang": "en", "indicator": "unemployment_rate"}
    latest = client.get("/maps/units/IR-15", params=params).text
    assert f"({periods[-1]})" in latest
    assert all(f"period={p}" in latest for p in periods[:-1])
    older = client.get("/maps/units/IR-15", params={**params, "period": "2023"}).text
    assert "(2023)" in older and f"period={periods[-1]}" in older
    assert coverage_properties(older)["label"] != coverage_properties(latest)["label"]


def test_national_neighbourhood_map_is_light(client: TestClient) -> None:
    response = client.get("/maps/overview", params={"level": "neighbourhood"})
    assert len(coverage_properties(response.text)["code"]) == 6200
    assert len(response.content) < 1_000_000


def test_resource_layers_are_toggleable_overlays(client: TestClient, wells_layer: str) -> None:
    html = client.get("/maps/units/IR-15").text
    assert "L.control.layers" in html and in_page("چاه‌های آزمایشی", html)
    assert in_page("چاه یک", html) and in_page("عمق (متر)", html)


def test_unknown_unit_is_a_404_with_a_json_error(client: TestClient) -> None:
    response = client.get("/maps/units/XX-99")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "code"


def test_unknown_period_and_scheme_are_reported(client: TestClient) -> None:
    assert client.get("/maps/units/IR-15", params={"period": "1999"}).json()["error"]["field"] == "period"
    assert client.get("/maps/overview", params={"scheme": "jenks"}).status_code == 422
