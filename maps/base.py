"""What every Pishraft map starts from: language, background, basemap, boxes and notes.

Persian maps (``lang="fa"``, the default) read right to left: boxes sit on the right,
text is right-aligned, numbers use Persian digits (:mod:`spatial.jalali`). Maps draw on
a plain background; the OpenStreetMap basemap (``basemap="osm"``) is the only thing a
page may load from the internet, and only when asked for.
"""

from __future__ import annotations

import html
import json
from typing import Any, Literal, cast

import folium
from branca.element import Element, Figure, MacroElement, Template

from spatial.errors import InvalidInput
from spatial.messages import t

LANGS: tuple[str, ...] = ("fa", "en")
BASEMAPS: tuple[str, ...] = ("none", "osm")
Lang = Literal["fa", "en"]

OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def check_lang(lang: str) -> str:
    """``lang`` if Pishraft speaks it, else :class:`InvalidInput`."""
    if lang not in LANGS:
        raise InvalidInput(f"Unknown language '{lang}'; use one of: {', '.join(LANGS)}.", field="lang")
    return lang


def esc(text: object) -> str:
    """``text`` escaped for HTML."""
    return html.escape(str(text), quote=True)


def corner(lang: str, vertical: str, leading: bool = True) -> str:
    """The Leaflet control position at the reading start (``leading``) or end of ``vertical``."""
    start, end = ("right", "left") if lang == "fa" else ("left", "right")
    return f"{vertical}{start if leading else end}"


class MapScript(MacroElement):
    """JavaScript that runs once the map exists; ``{map}`` in ``code`` names the map."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "MapScript"
        self.raw = code

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's, which returns nothing
        assert self._parent is not None, "MapScript renders only once added to a map"
        self.code = self.raw.replace("{map}", self._parent.get_name())
        super().render(**kwargs)


def base_map(lang: str = "fa", basemap: str = "none", synthetic: bool = False) -> folium.Map:
    """An empty map in ``lang`` on a plain background (or OpenStreetMap), with attribution.

    Examples
    --------
    >>> fmap = base_map("fa", synthetic=True)
    >>> fmap.options["zoom"]
    5
    """
    check_lang(lang)
    if basemap not in BASEMAPS:
        raise InvalidInput(f"Unknown basemap '{basemap}'; use one of: {', '.join(BASEMAPS)}.", field="basemap")
    fmap = folium.Map(location=[32.5, 54.0], zoom_start=5, tiles=None, control_scale=False,
                      zoom_control=corner(lang, "top", leading=False))
    # Leaflet's controls speak English and the scale bar counts miles too: ours say it in lang.
    words: dict[str, str | bool] = {key: t(f"map.{key}", lang)
                                    for key in ("zoom_in", "zoom_out", "layers", "km", "m", "leaflet")}
    words |= {"persian": lang == "fa", "scale_position": corner(lang, "bottom", leading=False)}
    MapScript(f"Pishraft.controls({{map}}, {json.dumps(words, ensure_ascii=False)});").add_to(fmap)
    if basemap == "osm":
        folium.TileLayer(OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19).add_to(fmap)
    root = cast(Figure, fmap.get_root())  # a map's root is always its Figure
    root.header.add_child(Element(f'<meta name="pishraft-lang" content="{lang}">'), name="pishraft_lang")
    # No favicon request (it would 404 and count as a page error).
    root.header.add_child(Element('<link rel="icon" href="data:,">'), name="pishraft_icon")
    if lang == "fa":
        root.header.add_child(
            Element('<script>document.documentElement.classList.add("pishraft-rtl");'
                    'document.documentElement.lang = "fa";</script>'), name="pishraft_rtl")
    if synthetic:
        attribution = json.dumps(t("common.synthetic", lang))
        MapScript(f"{{map}}.attributionControl.addAttribution({attribution});").add_to(fmap)
    return fmap


def add_box(fmap: folium.Map, html_text: str, position: str, css_class: str = "") -> None:
    """A box of ``html_text`` (already escaped) as a Leaflet control at ``position``."""
    MapScript(f"Pishraft.box({{map}}, {json.dumps(html_text)}, {json.dumps(position)}, "
              f"{json.dumps(css_class)});").add_to(fmap)


def add_note(fmap: folium.Map, lang: str, message: str) -> None:
    """A visible note on the map, for data that is missing or partial."""
    add_box(fmap, f'<span class="note">{esc(message)}</span>', corner(lang, "top"), "pishraft-note")


def fit(fmap: folium.Map, bounds: tuple[float, float, float, float] | None) -> None:
    """Zoom ``fmap`` to ``bounds`` (minx, miny, maxx, maxy) when there is anything to show."""
    if bounds is not None and all(map(lambda v: v == v, bounds)):
        minx, miny, maxx, maxy = bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
