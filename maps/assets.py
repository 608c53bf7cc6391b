"""Local web assets: every map page loads Leaflet, its CSS and fonts from Pishraft itself.

folium points its elements at CDNs (``default_js`` / ``default_css``). Before a map is
rendered, :func:`page_html` rewrites those links to the copies vendored in
``maps/static/vendor`` (see its README for versions and licences): served pages use
Pishraft's ``/static/`` mount, standalone files a ``static/`` folder copied next to them.
An element that asks for an asset Pishraft does not ship fails loudly instead of quietly
reaching for the internet.

Examples
--------
>>> html = page_html(fmap)                          # doctest: +SKIP
>>> write_page(fmap, Path("build/maps/overview.fa.html"))   # doctest: +SKIP
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any, cast
from pathlib import Path

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink

STATIC_DIR = Path(__file__).with_name("static")
SERVED_STATIC_URL = "/static/"
FILE_STATIC_URL = "static/"

#: folium asset name -> vendored file under ``maps/static``.
VENDORED: dict[str, str] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "jquery": "vendor/jquery/jquery.min.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
}
#: folium assets that Pishraft's maps do not use (no Bootstrap, no icon-font markers).
UNUSED: frozenset[str] = frozenset({
    "bootstrap", "bootstrap_css", "glyphicons_css", "awesome_markers", "awesome_markers_css",
    "awesome_markers_font_css", "awesome_rotate_css",
})
#: Pishraft's own assets, added to every page after folium's.
OWN_CSS: tuple[tuple[str, str], ...] = (
    ("vazirmatn_css", "vendor/vazirmatn/vazirmatn.css"),
    ("pishraft_css", "pishraft.css"),
)
OWN_JS: tuple[tuple[str, str], ...] = (("pishraft_js", "pishraft.js"),)


def _elements(root: Element) -> Iterator[Any]:
    # Any: some elements carry folium's default_js/default_css lists, which Element does not declare.
    yield root
    for child in list(root._children.values()):
        yield from _elements(child)


def _local(links: list[tuple[str, str]], static_url: str, element: Element) -> list[tuple[str, str]]:
    kept = []
    for name, url in links:
        if name in UNUSED:
            continue
        if name not in VENDORED:
            raise ValueError(
                f"{type(element).__name__} needs '{name}' ({url}), which Pishraft does not ship; "
                "vendor it under maps/static/vendor and add it to maps.assets.VENDORED."
            )
        kept.append((name, static_url + VENDORED[name]))
    return kept


def localise(fmap: folium.Map, static_url: str = SERVED_STATIC_URL) -> folium.Map:
    """Point every asset link of ``fmap`` at Pishraft's copies under ``static_url``; returns ``fmap``."""
    root = cast(Figure, fmap.get_root())  # a map's root is always its Figure
    for element in _elements(root):
        # Instance attributes: folium's lists are class attributes shared by every map.
        if getattr(element, "default_js", None):
            element.default_js = _local(element.default_js, static_url, element)
        if getattr(element, "default_css", None):
            element.default_css = _local(element.default_css, static_url, element)
        # Placed now, so that Pishraft's own scripts below come after Leaflet; folium's
        # render adds the same names again, which keeps these positions.
        for name, url in getattr(element, "default_js", ()):
            root.header.add_child(JavascriptLink(url), name=name)
        for name, url in getattr(element, "default_css", ()):
            root.header.add_child(CssLink(url), name=name)
    for name, path in OWN_CSS:
        root.header.add_child(CssLink(static_url + path), name=name)
    for name, path in OWN_JS:
        root.header.add_child(JavascriptLink(static_url + path), name=name)
    return fmap


def page_html(fmap: folium.Map, static_url: str = SERVED_STATIC_URL) -> str:
    """The complete HTML page of ``fmap``, loading its assets from ``static_url``."""
    return localise(fmap, static_url).get_root().render()


def copy_static(out_dir: Path) -> Path:
    """Copy the static assets into ``out_dir/static`` (for standalone pages); returns that folder."""
    target = out_dir / FILE_STATIC_URL.rstrip("/")
    shutil.copytree(STATIC_DIR, target, dirs_exist_ok=True)
    return target


def write_page(fmap: folium.Map, path: Path) -> Path:
    """Write ``fmap`` as a standalone page at ``path``; its assets are expected in ``static/``
    beside it (:func:`copy_static`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page_html(fmap, FILE_STATIC_URL), encoding="utf-8")
    return path
