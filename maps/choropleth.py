"""Classed choropleth maps of an indicator over administrative units.

Units come as a GeoDataFrame (``code``, ``name_fa``, ``name_en``, optional ``href`` for
drill-down, ``geometry`` in EPSG:4326) and values as ``{unit_code: value}``; classes
come from mapclassify (quantiles, Fisher-Jenks natural breaks, equal interval).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import folium
import geopandas as gpd
import mapclassify
import numpy as np

from maps.base import add_note, base_map, fit
from maps.coverage import CoverageLayer, bounds_of, compact_geometry
from maps.legend import add_legend, class_items
from maps.navigation import Choice, Link, add_title_box
from maps.overlays import Overlay, add_overlays
from spatial.errors import InvalidInput
from spatial.jalali import format_number
from spatial.messages import label, t
from spatial.units.coverage import detail_zoom

#: Set in a frame's ``attrs`` when its geometry is simplified already, for that zoom, and
#: when it is encoded already (:func:`maps.coverage.compact_geometry`'s result, in the
#: frame's order): :func:`maps.pages.whole_level`.
SIMPLIFIED_FOR = "simplified_for_zoom"
ENCODED = "encoded_coverage"

SCHEMES = {"quantiles": mapclassify.Quantiles, "fisher_jenks": mapclassify.FisherJenks,
           "equal_interval": mapclassify.EqualInterval}
# ColorBrewer YlOrRd (5): worse is darker.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#d9d9d9"
#: Most values Fisher-Jenks is run on: its cost grows with the square of their number
#: (42 s for 6,200 neighbourhoods without numba), so larger levels are classed on a sample.
FISHER_JENKS_SAMPLE = 300


def check_scheme(scheme: str) -> str:
    """``scheme`` if mapclassify knows it, else :class:`InvalidInput`."""
    if scheme not in SCHEMES:
        raise InvalidInput(f"Unknown classification '{scheme}'; use one of: {', '.join(SCHEMES)}.", field="scheme")
    return scheme


def breaks_sample(values: np.ndarray, size: int = FISHER_JENKS_SAMPLE) -> np.ndarray:
    """``values`` themselves when there are at most ``size``, else ``size`` evenly spaced
    order statistics of them (the smallest and the largest included).

    mapclassify's ``FisherJenksSampled`` draws its sample at random, so two workers would
    draw two legends for the same data; evenly spaced order statistics keep the shape of
    the distribution and give every worker, and every cached map, the same breaks.

    Examples
    --------
    >>> breaks_sample(np.arange(10.0), 4).tolist()
    [0.0, 3.0, 6.0, 9.0]
    """
    if values.size <= size:
        return values
    return np.sort(values)[np.linspace(0, values.size - 1, size).round().astype(int)]


def class_breaks(values: np.ndarray, scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of ``k`` classes of ``values`` under a mapclassify ``scheme``.

    Fisher-Jenks runs on :func:`breaks_sample` of the values (all of them up to
    :data:`FISHER_JENKS_SAMPLE`); the other schemes on all values.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    if check_scheme(scheme) == "fisher_jenks":
        finite = breaks_sample(finite)
    k = max(1, min(k, len(np.unique(finite))))
    with warnings.catch_warnings():
        # mapclassify warns when ties leave fewer classes than asked; the legend shows what is left.
        warnings.simplefilter("ignore", UserWarning)
        bins = SCHEMES[scheme](finite, k=k).bins
    return [float(b) for b in np.unique(bins)]


def values_array(units: gpd.GeoDataFrame, values: dict[str, float | None]) -> np.ndarray:
    """The value of each of ``units`` in their order, NaN where it has none."""
    return units["code"].map(values).to_numpy(dtype=float, na_value=np.nan)


def classify(values: np.ndarray, breaks: list[float]) -> np.ndarray:
    """Class index of each value under ``breaks``; ``len(PALETTE)`` (no data) for NaN."""
    classes = np.searchsorted(breaks, values, side="left") if breaks else np.zeros(len(values), int)
    classes = np.minimum(classes, len(PALETTE) - 1)
    return np.where(np.isfinite(values), classes, len(PALETTE))


def unit_layer(fmap: folium.Map, units: gpd.GeoDataFrame, labels: Sequence[str], label_title: str,
               palette: Sequence[str], colour: Sequence[int], lang: str) -> tuple[float, float, float, float] | None:
    """Draw ``units`` on ``fmap`` as a compact coverage (see :mod:`maps.coverage`); returns their bounds.

    The map's deepest zoom and the geometry's detail follow the units' extent, or the zoom
    their geometry is simplified for already (``units.attrs[SIMPLIFIED_FOR]``).
    """
    if units.empty:
        return None
    bounds = bounds_of(units.geometry.values)
    simplified_for = units.attrs.get(SIMPLIFIED_FOR)
    detail = detail_zoom(units.geometry.values) if simplified_for is None else int(simplified_for)
    fmap.options["max_zoom"] = detail + 1
    encoded = units.attrs.get(ENCODED)
    if encoded is None or encoded["features"] != len(units):  # (attrs outlive a filter of the rows)
        encoded = compact_geometry(units.geometry.values, detail, simplified=simplified_for is not None)
    geometry = encoded
    hrefs = units["href"].fillna("").tolist() if "href" in units else [""] * len(units)
    props = {"code": units["code"].tolist(), "name_fa": units["name_fa"].tolist(),
             "name_en": units["name_en"].tolist(), "label": list(labels), "href": hrefs, "label_title": label_title}
    CoverageLayer(geometry, props, list(palette), list(colour), lang).add_to(fmap)
    return bounds


def choropleth_map(
    units: gpd.GeoDataFrame,
    values: dict[str, float | None],
    title: str,
    lang: str = "fa",
    scheme: str = "quantiles",
    synthetic: bool = False,
    *,
    breadcrumb: Sequence[Link] = (),
    choices: Sequence[Choice] = (),
    overlays: Sequence[Overlay] = (),
    basemap: str = "none",
    note: str | None = None,
    legend_title: str | None = None,
    breaks: list[float] | None = None,
    labels: Sequence[str] | None = None,
) -> folium.Map:
    """A map of ``units`` shaded by classed ``values`` (keyed by unit code), with legend.

    Units without a value are grey and listed as 'no data'; a map with no values at all
    says so. Units with an ``href`` open it on click (drill-down). ``breaks`` are the
    classes' upper bounds when already known (:func:`class_breaks` of the same values
    under ``scheme``, as kept per data generation by :mod:`maps.pages`). ``labels``, one per
    unit, replace the values in the units' tooltips (e.g. counts behind a share).

    Examples
    --------
    >>> m = choropleth_map(provinces_gdf, {"IR-01": 7.5}, "Unemployment rate")   # doctest: +SKIP
    """
    check_scheme(scheme)
    fmap = base_map(lang, basemap, synthetic)
    array = values_array(units, values)
    if breaks is None:
        breaks = class_breaks(array, scheme, len(PALETTE))
    if labels is None:
        labels = [format_number(None if np.isnan(v) else float(v), lang) for v in array]
    bounds = unit_layer(fmap, units, labels, t("maps.value", lang), [*PALETTE, NO_DATA],
                        classify(array, breaks).tolist(), lang)
    add_title_box(fmap, lang, title, breadcrumb, choices)
    finite = array[np.isfinite(array)]
    legend_title = f"{legend_title or title} — {label('scheme', scheme, lang)}"
    add_legend(fmap, lang, legend_title,
               class_items(breaks, float(finite.min()) if finite.size else None, PALETTE, NO_DATA, lang)
               if breaks else [(NO_DATA, t("maps.no_data", lang))])
    if units.empty:
        add_note(fmap, lang, t("maps.there_are_no_units", lang))
    elif not finite.size:
        add_note(fmap, lang, note or t("maps.no_values_are_recorded", lang))
    elif note:
        add_note(fmap, lang, note)
    add_overlays(fmap, overlays, lang)
    fit(fmap, bounds)
    return fmap
