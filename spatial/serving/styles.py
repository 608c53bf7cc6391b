"""Default MapLibre styles of the collections, so that a partner's map needs no style of its own.

An administrative level is an indicator choropleth: five quantile classes of one numeric
property (``unemployment_rate`` by default, the headline deprivation measure) over the
level's current units, drawn from the collection's vector tiles, with the unit
boundaries on top. A vector layer is drawn by its geometry type, a raster layer from its
PNG tiles (on the layer's one colour scale). Breaks are computed once per data generation.

Examples
--------
>>> style = default_style(session, get_collection(session, "provinces"), "https://…/tilejson.json")  # doctest: +SKIP
>>> style["layers"][1]["paint"]["fill-color"][0]                                                     # doctest: +SKIP
'step'
"""

from __future__ import annotations

from typing import Any

from psycopg import sql
from sqlalchemy.orm import Session

from spatial.db.engine import driver_connection
from spatial.errors import InvalidParameter
from spatial.serving.collections import Collection, Property
from spatial.serving.features import sort_key_sql
from spatial.serving.generation import data_generation

#: The property an admin level is coloured by unless the client names another.
DEFAULT_PROPERTY = "unemployment_rate"
#: ColorBrewer YlOrRd, five classes: low values pale, high values dark red.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#cccccc"
STYLE_MEDIA_TYPE = "application/vnd.mapbox.style+json"


def style_property(collection: Collection, name: str | None) -> Property:
    """The numeric property a choropleth of ``collection`` colours by (400 for a bad ``name``)."""
    numeric = [p for p in collection.properties if p.kind in ("integer", "float")]
    if name:
        chosen = next((p for p in numeric if p.name == name), None)
        if chosen is None:
            raise InvalidParameter(f"property must be a numeric property of '{collection.id}': "
                                   f"{', '.join(p.name for p in numeric)}.", field="property")
        return chosen
    found = collection.property_named(DEFAULT_PROPERTY) or next((p for p in numeric if p.headline), None)
    if found is None:
        raise InvalidParameter(f"Collection '{collection.id}' has no numeric property to colour by.",
                               field="property")
    return found


#: Breaks by (data generation, collection, its version, property): a style is asked for
#: once per map, but by every partner's map.
_breaks: dict[tuple[int, str, int, str], list[float]] = {}


def quantile_breaks(session: Session, collection: Collection, prop: Property) -> list[float]:
    """The inner quantile breaks (20, 40, 60, 80 %) of ``prop`` over the collection, increasing."""
    key = (data_generation(session), collection.id, collection.version, prop.name)
    found = _breaks.get(key)
    if found is not None:
        return found
    statement = sql.SQL(
        "SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY v) FROM "
        "(SELECT {} AS v FROM ({}) s) x WHERE v IS NOT NULL"
    ).format(sort_key_sql(prop), collection.relation())
    row = driver_connection(session).execute(statement).fetchone()
    # Equal breaks (few distinct values) would make empty classes: each break once.
    breaks = sorted({float(v) for v in (row[0] or [])}) if row else []
    if len(_breaks) > 256:
        _breaks.clear()
    _breaks[key] = breaks
    return breaks


def _choropleth(collection: Collection, prop: Property, breaks: list[float]) -> list[Any]:
    steps: list[Any] = ["step", ["to-number", ["get", prop.name]], PALETTE[0]]
    for colour, value in zip(PALETTE[1:], breaks, strict=False):
        steps += [value, colour]
    return ["case", ["==", ["typeof", ["get", prop.name]], "number"], steps, NO_DATA]


def default_style(session: Session, collection: Collection, tilejson_url: str,
                  property_name: str | None = None) -> dict[str, Any]:
    """The MapLibre (Mapbox GL v8) style of ``collection`` whose tiles ``tilejson_url`` describes."""
    source = collection.id
    style: dict[str, Any] = {"version": 8, "name": f"{collection.title} (Pishraft default)",
                             "metadata": {"pishraft:collection": collection.id}, "sources": {}, "layers": [
                                 {"id": "background", "type": "background", "paint": {"background-color": "#ffffff"}}]}
    if not collection.is_vector:
        style["sources"][source] = {"type": "raster", "url": tilejson_url, "tileSize": 256}
        style["layers"].append({"id": collection.id, "type": "raster", "source": source})
        return style
    style["sources"][source] = {"type": "vector", "url": tilejson_url}
    layer = {"source": source, "source-layer": collection.id}
    if collection.storage == "admin":
        prop = style_property(collection, property_name)
        breaks = quantile_breaks(session, collection, prop)
        style["metadata"].update({"pishraft:property": prop.name, "pishraft:title": prop.title,
                                  "pishraft:title_fa": prop.title_fa, "pishraft:breaks": breaks,
                                  "pishraft:colours": list(PALETTE[:len(breaks) + 1])})
        style["layers"] += [
            {"id": f"{collection.id}-fill", "type": "fill", **layer,
             "paint": {"fill-color": _choropleth(collection, prop, breaks), "fill-opacity": 0.8}},
            {"id": f"{collection.id}-line", "type": "line", **layer,
             "paint": {"line-color": "#555555", "line-width": 0.6}},
        ]
        return style
    kind = (collection.geometry_type or "").lower().replace("multi", "")
    if kind == "point":
        style["layers"].append({"id": collection.id, "type": "circle", **layer,
                                "paint": {"circle-radius": 4, "circle-color": "#2b8cbe",
                                          "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}})
    elif kind == "linestring":
        style["layers"].append({"id": collection.id, "type": "line", **layer,
                                "paint": {"line-color": "#2b8cbe", "line-width": 1.5}})
    else:
        style["layers"] += [
            {"id": f"{collection.id}-fill", "type": "fill", **layer,
             "paint": {"fill-color": "#2b8cbe", "fill-opacity": 0.4}},
            {"id": f"{collection.id}-line", "type": "line", **layer, "paint": {"line-color": "#045a8d"}},
        ]
    return style
