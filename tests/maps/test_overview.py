"""The first map: provinces shaded by a demo indicator."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient


def _in_page(text: str, html: str) -> bool:
    """Folium embeds GeoJSON with ASCII escapes; the browser shows the text itself."""
    return text in html or json.dumps(text)[1:-1] in html


def test_overview_map_is_html_with_persian_tooltips(client: TestClient) -> None:
    response = client.get("/maps/overview")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert _in_page("استان کرمان", html) and "leaflet" in html.lower()
    assert _in_page("داده‌های نمونه", html)  # synthetic data labelled


def test_overview_in_english(client: TestClient) -> None:
    html = client.get("/maps/overview", params={"lang": "en"}).text
    assert "Synthetic demo data" in html and "Kerman" in html
