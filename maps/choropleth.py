"""Classed choropleth maps of an indicator over administrative units."""

from __future__ import annotations

from typing import Any

import folium
import mapclassify
import numpy as np
from branca.element import MacroElement, Template

from spatial.jalali import format_number

SCHEMES = {"quantiles": mapclassify.Quantiles, "fisher_jenks": mapclassify.FisherJenks,
           "equal_interval": mapclassify.EqualInterval}
# ColorBrewer YlOrRd (5): worse is darker.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#d9d9d9"
SYNTHETIC_ATTRIBUTION = {"fa": "داده‌های نمونه (مصنوعی)", "en": "Synthetic demo data"}


def class_breaks(values: np.ndarray, scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of ``k`` classes of ``values`` under a mapclassify ``scheme``."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    k = max(1, min(k, len(np.unique(finite))))
    return [float(b) for b in SCHEMES[scheme](finite, k=k).bins]


def choropleth_map(
    features: dict[str, Any],
    values: dict[str, float | None],
    title: str,
    lang: str = "fa",
    scheme: str = "quantiles",
    synthetic: bool = False,
) -> folium.Map:
    """A Leaflet map of ``features`` (GeoJSON units) shaded by ``values`` (keyed by unit code).

    Examples
    --------
    >>> m = choropleth_map(units_fc, {"IR-01": 7.5}, "Unemployment rate")   # doctest: +SKIP
    """
    codes = [f["properties"]["code"] for f in features["features"]]
    array = np.array([np.nan if values.get(c) is None else values[c] for c in codes], dtype=float)
    breaks = class_breaks(array, scheme, len(PALETTE))
    classes = np.searchsorted(breaks, array, side="left") if breaks else np.zeros(len(codes), int)
    colours = {c: (NO_DATA if np.isnan(v) else PALETTE[min(int(k), len(PALETTE) - 1)])
               for c, v, k in zip(codes, array, classes, strict=True)}
    for f in features["features"]:
        v = values.get(f["properties"]["code"])
        f["properties"]["value"] = v
        f["properties"]["value_label"] = format_number(v, lang)

    attribution = SYNTHETIC_ATTRIBUTION[lang if lang in SYNTHETIC_ATTRIBUTION else "en"] if synthetic else ""
    fmap = folium.Map(location=[32.5, 54.0], zoom_start=5, tiles=None, control_scale=True, prefer_canvas=True)
    folium.TileLayer("OpenStreetMap", attr=f"© OpenStreetMap {attribution}").add_to(fmap)
    name_field = "name_fa" if lang == "fa" else "name_en"
    labels = (["نام", "Name", "مقدار"] if lang == "fa" else ["Name", "نام", "Value"])
    folium.GeoJson(
        features,
        name=title,
        style_function=lambda f: {"fillColor": colours.get(f["properties"]["code"], NO_DATA), "color": "#555",
                                  "weight": 0.7, "fillOpacity": 0.8},
        highlight_function=lambda f: {"weight": 2.5, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(
            fields=[name_field, "name_en" if lang == "fa" else "name_fa", "value_label"], aliases=labels,
            style="direction: rtl; font-family: Vazirmatn, Tahoma, sans-serif;" if lang == "fa" else "",
        ),
    ).add_to(fmap)
    _legend(breaks, array, title, lang).add_to(fmap)
    if features["features"]:
        fmap.fit_bounds(_bounds(features))
    return fmap


def _bounds(features: dict[str, Any]) -> list[list[float]]:
    import shapely
    from shapely.geometry import shape

    geoms = [shape(f["geometry"]) for f in features["features"]]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return [[miny, minx], [maxy, maxx]]


def _legend(breaks: list[float], values: np.ndarray, title: str, lang: str) -> MacroElement:
    finite = values[np.isfinite(values)]
    lower = [float(finite.min()) if finite.size else 0.0, *breaks[:-1]]
    rows = "".join(
        f'<div><span style="background:{PALETTE[i]}"></span>{format_number(lo, lang)} – {format_number(hi, lang)}</div>'
        for i, (lo, hi) in enumerate(zip(lower, breaks, strict=False))
    )
    no_data = "بدون داده" if lang == "fa" else "No data"
    rows += f'<div><span style="background:{NO_DATA}"></span>{no_data}</div>'
    direction = "rtl" if lang == "fa" else "ltr"
    html = f"""{{% macro html(this, kwargs) %}}
<div class="pishraft-legend" dir="{direction}" style="position:fixed; bottom:24px; {'right' if lang == 'fa' else 'left'}:12px;
 z-index:1000; background:white; padding:8px 10px; border-radius:6px; box-shadow:0 1px 4px rgba(0,0,0,.3);
 font: 13px Vazirmatn, Tahoma, sans-serif;">
<b>{title}</b>{rows}</div>
<style>.pishraft-legend span{{display:inline-block;width:14px;height:14px;margin:0 6px;vertical-align:middle;border:1px solid #999}}</style>
{{% endmacro %}}"""
    legend = MacroElement()
    legend._template = Template(html)
    return legend
