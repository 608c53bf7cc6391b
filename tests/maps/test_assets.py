"""Every map page loads its scripts, styles and fonts from Pishraft, never from a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import pytest

from maps.assets import STATIC_DIR, VENDORED, copy_static, page_html, write_page
from maps.base import base_map

EXTERNAL = re.compile(r'(?:src|href)="(?:https?:)?//', re.I)


def test_a_served_page_links_only_to_static_urls() -> None:
    html = page_html(base_map("fa"))
    assert not EXTERNAL.search(html)
    assert '<script src="/static/vendor/leaflet/leaflet.js">' in html
    assert 'href="/static/vendor/vazirmatn/vazirmatn.css"' in html


def test_leaflet_loads_before_pishraft_scripts() -> None:
    html = page_html(base_map("en"))
    assert html.index("vendor/leaflet/leaflet.js") < html.index("static/pishraft.js")


def test_a_standalone_page_uses_relative_static_paths(tmp_path: Path) -> None:
    copy_static(tmp_path)
    page = write_page(base_map("fa"), tmp_path / "m.html")
    html = page.read_text(encoding="utf-8")
    assert '<script src="static/vendor/leaflet/leaflet.js">' in html and not EXTERNAL.search(html)
    for path in VENDORED.values():
        assert (tmp_path / "static" / path).is_file()
    assert (tmp_path / "static" / "vendor" / "vazirmatn" / "OFL.txt").is_file()


def test_vendored_files_and_licences_are_shipped() -> None:
    for path in [*VENDORED.values(), "vendor/leaflet/LICENSE", "vendor/jquery/LICENSE.txt",
                 "vendor/vazirmatn/Vazirmatn-Regular.woff2", "vendor/vazirmatn/OFL.txt", "pishraft.js"]:
        assert (STATIC_DIR / path).is_file(), path


def test_an_element_needing_an_unvendored_asset_is_refused() -> None:
    from folium.plugins import MarkerCluster

    fmap = base_map("en")
    MarkerCluster().add_to(fmap)
    with pytest.raises(ValueError, match="does not ship"):
        page_html(fmap)


def test_folium_class_defaults_are_left_untouched() -> None:
    page_html(base_map("fa"))
    assert folium.Map.default_js[0][1].startswith("https://")


def test_static_files_are_served(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/static/vendor/leaflet/leaflet.js")
    assert response.status_code == 200 and "Leaflet" in response.text[:400]
