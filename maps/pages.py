"""Assemble the data for each served map and call the builders. The only place where
map routes and the CLI's ``maps render`` meet the database."""

from __future__ import annotations

import folium
from sqlalchemy.orm import Session

from maps.choropleth import choropleth_map
from spatial import indicators, units


def overview_map(session: Session, indicator: str | None = None, lang: str = "fa",
                 scheme: str = "quantiles") -> folium.Map:
    """The national entry map: provinces shaded by ``indicator`` (default: the first one)."""
    features = units.units_geojson(session, level="province", simplify=0.01)
    code = indicator or indicators.first_indicator_code(session)
    if code is None:
        title = "بدون شاخص" if lang == "fa" else "No indicators yet"
        return choropleth_map(features, {}, title, lang, scheme)
    info = indicators.indicator_info(session, code)
    period, values = indicators.values_by_unit(session, code, level="province")
    title = f"{info['name_fa'] if lang == 'fa' else info['name_en']} ({period})"
    synthetic = bool(info["synthetic"]) or any(f["properties"]["synthetic"] for f in features["features"])
    return choropleth_map(features, values, title, lang, scheme, synthetic=synthetic)
