"""Maps of units by category: capacity × deprivation (bivariate 3×3) and LISA clusters.

Both take units as a GeoDataFrame (``code``, ``name_fa``, ``name_en``, optional ``href``,
``geometry``) and the per-unit classes in the shapes the analytics functions return:
``spatial.analytics.bivariate.bivariate_classes`` and ``spatial.analytics.spatial_stats.lisa_clusters``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd

from maps.base import add_note, base_map, fit
from maps.choropleth import unit_layer
from maps.legend import add_bivariate_legend, add_legend
from maps.navigation import Link, add_title_box
from spatial.jalali import format_number
from spatial.messages import label, t

NO_DATA = "#d9d9d9"

#: Joshua Stevens' 3×3 bivariate palette: capacity grows to the right (blue),
#: deprivation grows upwards (red). Keys are (capacity_class, deprivation_class).
BIVARIATE_COLOURS: dict[tuple[int, int], str] = {
    (1, 1): "#e8e8e8", (2, 1): "#b5c0da", (3, 1): "#6c83b5",
    (1, 2): "#dfb0d6", (2, 2): "#a5add3", (3, 2): "#5698b9",
    (1, 3): "#be64ac", (2, 3): "#8c62aa", (3, 3): "#3b4994",
}
CLUSTER_ORDER: tuple[str, ...] = ("HH", "LL", "HL", "LH", "ns")
CLUSTER_COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9", "ns": "#eeeeee"}


def bivariate_meaning(key: tuple[int, int], lang: str) -> str:
    """What the (capacity, deprivation) class ``key`` means for planning, in ``lang``."""
    return t(f"bivariate.{key[0]}{key[1]}", lang)


def _missing_note(fmap: folium.Map, lang: str, units: gpd.GeoDataFrame, known: int, what_key: str) -> None:
    if units.empty:
        add_note(fmap, lang, t("maps.there_are_no_units", lang))
    elif known == 0:
        add_note(fmap, lang, t("maps.no_data_yet", lang, what=t(what_key, lang)))
    elif known < len(units):
        add_note(fmap, lang, t("maps.units_without_data", lang, count=format_number(len(units) - known, lang),
                                  what=t(what_key, lang)))


def bivariate_map(units: gpd.GeoDataFrame, classes: Mapping[str, Mapping[str, Any]], lang: str = "fa",
                  title: str | None = None, synthetic: bool = False, breadcrumb: Sequence[Link] = (),
                  basemap: str = "none") -> folium.Map:
    """Units coloured by their capacity × deprivation class, with the 3×3 legend and meanings.

    ``classes`` maps unit codes to ``{"capacity_class": 1-3, "deprivation_class": 1-3,
    "meaning_fa": ..., "meaning_en": ...}`` (``spatial.analytics.bivariate.bivariate_classes``).

    Examples
    --------
    >>> bivariate_map(units, {"IR-15": {"capacity_class": 3, "deprivation_class": 3,
    ...               "meaning_fa": "…", "meaning_en": "…"}})   # doctest: +SKIP
    """
    title = title or t("maps.capacity_deprivation", lang)
    keys = list(BIVARIATE_COLOURS)
    palette = [*BIVARIATE_COLOURS.values(), NO_DATA]
    meanings = {k: bivariate_meaning(k, lang) for k in BIVARIATE_COLOURS}
    colour, labels = [], []
    for code in units["code"]:
        c = classes.get(code)
        if c is None:
            colour.append(len(keys))
            labels.append(t("maps.no_data", lang))
            continue
        key = (int(c["capacity_class"]), int(c["deprivation_class"]))
        meaning = c.get("meaning_fa" if lang == "fa" else "meaning_en") or meanings[key]
        meanings[key] = meaning
        colour.append(keys.index(key))
        labels.append(meaning)
    fmap = base_map(lang, basemap, synthetic)
    bounds = unit_layer(fmap, units, labels, t("maps.class", lang), palette, colour, lang)
    add_title_box(fmap, lang, title, breadcrumb)
    add_bivariate_legend(fmap, lang, title, BIVARIATE_COLOURS, meanings)
    _missing_note(fmap, lang, units, sum(code in classes for code in units["code"]),
                  "maps.what_bivariate")
    fit(fmap, bounds)
    return fmap


def cluster_map(units: gpd.GeoDataFrame, clusters: Mapping[str, str], lang: str = "fa", title: str | None = None,
                synthetic: bool = False, breadcrumb: Sequence[Link] = (), basemap: str = "none") -> folium.Map:
    """Units coloured by their LISA cluster: HH, LL, HL, LH or ns (not significant).

    ``clusters`` maps unit codes to one of those labels (``spatial.analytics.spatial_stats.lisa_clusters``).
    """
    title = title or t("maps.spatial_clusters_lisa", lang)
    palette = [*(CLUSTER_COLOURS[c] for c in CLUSTER_ORDER), NO_DATA]
    colour = [CLUSTER_ORDER.index(clusters[c]) if clusters.get(c) in CLUSTER_ORDER else len(CLUSTER_ORDER)
              for c in units["code"]]
    labels = [label("cluster", clusters[c], lang) if clusters.get(c) in CLUSTER_ORDER
              else t("maps.no_data", lang) for c in units["code"]]
    fmap = base_map(lang, basemap, synthetic)
    bounds = unit_layer(fmap, units, labels, t("maps.cluster", lang), palette, colour, lang)
    add_title_box(fmap, lang, title, breadcrumb)
    add_legend(fmap, lang, title, [*((CLUSTER_COLOURS[c], label("cluster", c, lang)) for c in CLUSTER_ORDER),
                                   (NO_DATA, t("maps.no_data", lang))])
    _missing_note(fmap, lang, units, sum(clusters.get(c) in CLUSTER_ORDER for c in units["code"]),
                  "maps.what_cluster")
    fit(fmap, bounds)
    return fmap
