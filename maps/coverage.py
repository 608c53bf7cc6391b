"""Units drawn light: a coverage of polygons simplified for the zoom, quantised and compressed.

Administrative units tile their parent (a *coverage*). For the browser they are

1. simplified with GEOS's coverage simplification (``shapely.coverage_simplify``), which
   simplifies each shared edge once, so neighbours keep a common edge and no gaps or
   overlaps appear; the tolerance is half a screen pixel at the map's deepest zoom (a
   whole large level comes simplified already, stored: :mod:`spatial.units.coverage`);
2. quantised onto a grid of the same size (a precision fit for that zoom), with
   repeated points dropped and each ring's points stored as steps from the previous one,
   which keeps every number in an int16;
3. gzip-compressed and base64-encoded, inflated in the browser by ``DecompressionStream``
   (``maps/static/pishraft.js``) and drawn on one canvas with one shared tooltip.

This keeps a national map of 50,000 neighbourhoods to about a megabyte and a second or
two of drawing, where folium's GeoJSON of the same units weighs tens of megabytes.

Examples
--------
>>> geometry = compact_geometry(geoms, zoom=8)                                               # doctest: +SKIP
>>> CoverageLayer(geometry, props, ["#fee", "#c00"], colour=[0, 1], lang="fa").add_to(fmap)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import threading
from typing import Any

import numpy as np
import shapely
from branca.element import MacroElement, Template
from cachetools import LRUCache

from spatial.geometry import as_multipolygons
from spatial.units.coverage import pixel_degrees, simplify_for_zoom

#: Largest absolute quantised coordinate, so that every number fits an int16.
_INT16_SPAN = 32_000
#: Maps with more units than this carry no label points (they would add ~8 bytes a unit).
MAX_LABEL_POINTS = 5_000
#: Encoded geometry of recent maps (a national neighbourhood map is ~1.5 MB).
_CACHE: LRUCache = LRUCache(maxsize=64)
_LOCK = threading.Lock()


def bounds_of(geoms: np.ndarray) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` of all ``geoms`` together, as Python floats."""
    minx, miny, maxx, maxy = (float(b) for b in shapely.total_bounds(geoms))
    return minx, miny, maxx, maxy


def _pack(data: bytes) -> str:
    # Level 6: nearly level 9's size at a fraction of its time on 10 MB of names.
    return base64.b64encode(gzip.compress(data, compresslevel=6, mtime=0)).decode("ascii")


def encode_coverage(geoms: np.ndarray, quantum: float) -> dict[str, Any]:
    """Quantised, delta-encoded, compressed arrays of MultiPolygons ``geoms`` (see module doc).

    ``quantum`` is the grid step in degrees; it grows when needed so that every
    coordinate fits an int16.
    """
    geoms = as_multipolygons(np.asarray(geoms, dtype=object))
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    quantum = max(quantum, (maxx - minx) / _INT16_SPAN, (maxy - miny) / _INT16_SPAN)
    _, coords, (ring_offsets, polygon_offsets, feature_offsets) = shapely.to_ragged_array(geoms)
    q = np.rint((coords - (minx, miny)) / quantum).astype(np.int32)
    ring_of_point = np.repeat(np.arange(len(ring_offsets) - 1), np.diff(ring_offsets))
    first = np.zeros(len(q), dtype=bool)
    first[ring_offsets[:-1]] = True
    last = np.zeros(len(q), dtype=bool)
    last[ring_offsets[1:] - 1] = True
    # Leaflet closes rings itself; points that fall on the previous one's grid cell add nothing.
    repeated = np.zeros(len(q), dtype=bool)
    repeated[1:] = (q[1:] == q[:-1]).all(axis=1) & ~first[1:]
    keep = ~last & ~repeated
    kept, kept_ring = q[keep], ring_of_point[keep]
    steps = kept.copy()
    kept_first = np.ones(len(kept), dtype=bool)
    kept_first[1:] = kept_ring[1:] != kept_ring[:-1]
    steps[~kept_first] -= kept[np.flatnonzero(~kept_first) - 1]
    points_per_ring = np.bincount(kept_ring, minlength=len(ring_offsets) - 1).astype(np.int32)
    return {
        "origin": [float(minx), float(miny)],
        "quantum": float(quantum),
        "coords": _pack(steps.astype(np.int16).tobytes()),
        "points_per_ring": _pack(points_per_ring.tobytes()),
        "rings_per_polygon": _pack(np.diff(polygon_offsets).astype(np.int32).tobytes()),
        "polygons_per_feature": _pack(np.diff(feature_offsets).astype(np.int32).tobytes()),
        "features": len(geoms),
        "points": int(len(kept)),
    }


def compact_geometry(geoms: np.ndarray, zoom: int, simplified: bool = False) -> dict[str, Any]:
    """``geoms`` (a coverage) simplified and encoded for ``zoom``, with a point inside each
    unit (left out of maps over :data:`MAX_LABEL_POINTS` units). ``simplified``: the
    geometry is simplified for ``zoom`` already (a level's stored coverage,
    :mod:`spatial.units.coverage`), and is only encoded.

    Results are kept for the same geometry and zoom (keyed by a digest of the WKB), so
    that a national map of 50,000 units is encoded once, not on every request.
    """
    geoms = np.asarray(geoms, dtype=object)
    key = (hashlib.blake2b(b"".join(shapely.to_wkb(geoms)), digest_size=16).hexdigest(), zoom, simplified)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    drawn = as_multipolygons(geoms) if simplified else simplify_for_zoom(geoms, zoom)
    payload = encode_coverage(drawn, pixel_degrees(zoom) / 2)
    payload["inside"] = (np.round(shapely.get_coordinates(shapely.point_on_surface(drawn)), 5).tolist()
                         if len(geoms) <= MAX_LABEL_POINTS else [])
    with _LOCK:
        _CACHE[key] = payload
    return payload


class CoverageLayer(MacroElement):
    """Units drawn on one canvas from a compact payload, with tooltips and drill-down links.

    Parameters
    ----------
    geometry : :func:`compact_geometry`'s result for the units.
    props : per-feature lists ``code``, ``name_fa``, ``name_en``, ``label`` (the value as
        shown), ``href`` (drill-down link or ``""``), plus ``label_title``.
    palette, colour : the fill colours, and each feature's index into ``palette``.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
Pishraft.coverage({{ this._parent.get_name() }}, {{ this.payload|tojson }}, {{ this.options|tojson }});
{% endmacro %}"""
    )

    def __init__(self, geometry: dict[str, Any], props: dict[str, Any], palette: list[str], colour: list[int],
                 lang: str, stroke: str = "#555", weight: float = 0.6, fill_opacity: float = 0.85) -> None:
        super().__init__()
        self._name = "CoverageLayer"
        payload = {k: v for k, v in geometry.items() if k != "inside"}
        properties = {**props, "palette": list(palette), "colour": [int(c) for c in colour],
                      "inside": geometry["inside"]}
        payload["properties"] = _pack(json.dumps(properties, ensure_ascii=False).encode("utf-8"))
        self.payload = payload
        self.options = {"lang": lang, "stroke": stroke, "weight": weight, "fill_opacity": fill_opacity}
