"""Assemble the data for each served map and call the builders. The only place where
map routes and the CLI's ``maps render`` meet the database.

Maps link to each other (drill-down, breadcrumb, period and indicator choices) through
a :class:`Links` object: :class:`ServedLinks` for pages served by the API,
:class:`FileLinks` for the standalone files of ``pishraft maps render``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import folium
import geopandas as gpd
import numpy as np
from sqlalchemy.orm import Session

from maps.actions import progress_map, roadmap_map
from maps.assets import copy_static, write_page
from maps.base import check_lang
from maps.categories import bivariate_map, cluster_map
from maps.choropleth import (
    ENCODED, PALETTE, SCHEMES, SIMPLIFIED_FOR, check_scheme, choropleth_map, class_breaks, values_array,
)
from maps.coverage import bounds_of, compact_geometry
from maps.navigation import Choice, Link, add_workspace_box
from maps.overlays import Overlay
from spatial import catalogue
from spatial.analytics import indicators
from spatial.units import hierarchy as units
from spatial.units.coverage import (
    STORED_FROM, StoredCoverage, keep_encoding, refresh_in_background, stored_coverage,
)
from spatial.units.frames import units_frame
from spatial.analytics.bivariate import bivariate_classes
from spatial.analytics.indices import index_scores, newest_index_code, resolve_index
from spatial.analytics.what_if import parse_weights, what_if_scores
from spatial.messages import label, t
from spatial.planning.progress import progress_geojson
from spatial.planning.roadmaps import roadmap_map_data
from spatial.analytics.spatial_stats import lisa_clusters
from spatial.db.generation import GenerationCache
from spatial.errors import InvalidInput, NotFound
from spatial.jalali import format_number
from spatial.periods import show_period

#: The workspace's home page, which every served map links back to.
HOME = "/home"
#: Levels a national map can show.
NATIONAL_LEVELS: tuple[str, ...] = ("province", "county", "neighbourhood")
#: Most features of one resource layer put on a map; the layer is marked partial beyond.
MAX_OVERLAY_FEATURES = 2_000
MAX_POPUP_FIELDS = 6

#: Class breaks of the maps drawn, until published data changes: Fisher-Jenks over a level
#: takes seconds even on a sample, and every language and basemap of a map shares them.
_breaks: GenerationCache[list[float]] = GenerationCache(size=64)


def map_breaks(session: Session, key: tuple[Any, ...], units: gpd.GeoDataFrame, values: dict[str, float | None],
               scheme: str) -> list[float]:
    """Class breaks of ``values`` over ``units`` under ``scheme`` (:func:`maps.choropleth.class_breaks`),
    computed once per data generation; ``key`` names what the values are (source, period, scope)."""
    return _breaks.get(session, (*key, scheme),
                       lambda: class_breaks(values_array(units, values), scheme, len(PALETTE)))


def whole_level(session: Session, level: str) -> gpd.GeoDataFrame:
    """Every current unit of ``level`` (:func:`units_frame`), drawn from the level's stored
    simplified coverage when it has one (:mod:`spatial.units.coverage`), and its compact
    encoding when one is kept: a national map of 50,000 neighbourhoods then simplifies and
    encodes nothing. A large level without one is drawn simplified here, and its stored
    coverage is made in the background for the next map."""
    stored = stored_coverage(session, level)
    if stored is not None:
        frame = units_frame(session, level=level, simplified=True)
        if frame.geometry.notna().all():
            frame.attrs[SIMPLIFIED_FOR] = stored.zoom
            frame.attrs[ENCODED] = _encoded(level, stored, frame)
            return frame
    frame = units_frame(session, level=level)
    if len(frame) > STORED_FROM:
        refresh_in_background(level)
    return frame


def _encoded(level: str, stored: StoredCoverage, frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """The compact encoding of ``level``'s stored coverage, in ``frame``'s order: the one kept
    with it, or made now and kept for the next process."""
    order = hashlib.blake2b(frame["unit_id"].to_numpy(dtype=np.int64).tobytes(), digest_size=16).hexdigest()
    if stored.encoded is not None and stored.encoded.get("units") == order:
        return stored.encoded
    encoded = {**compact_geometry(frame.geometry.values, stored.zoom, simplified=True), "units": order}
    keep_encoding(level, stored.stored_at, encoded)
    return encoded


@dataclass(frozen=True)
class MapRequest:
    """What a planner asked to see."""

    indicator: str | None = None
    scheme: str = "quantiles"
    period: str | None = None
    lang: str = "fa"
    basemap: str = "none"

    def __post_init__(self) -> None:
        check_lang(self.lang)
        check_scheme(self.scheme)


class Links(Protocol):
    """Where the links of a map lead."""

    #: Whether other indicators, periods and classifications can be linked to.
    variants: bool

    def overview(self, request: MapRequest, level: str = "province") -> str: ...

    def unit(self, request: MapRequest, code: str) -> str: ...

    def page(self, request: MapRequest, code: str) -> str | None: ...

    def workspace(self, request: MapRequest, path: str) -> str | None: ...


class ServedLinks:
    """Links to the API's map pages, carrying the request's parameters."""

    variants = True

    @staticmethod
    def _query(request: MapRequest, **extra: str) -> str:
        params = {"indicator": request.indicator, "scheme": request.scheme if request.scheme != "quantiles" else None,
                  "period": request.period, "lang": request.lang,
                  "basemap": request.basemap if request.basemap != "none" else None, **extra}
        return urlencode({k: v for k, v in params.items() if v is not None})

    def overview(self, request: MapRequest, level: str = "province") -> str:
        extra = {"level": level} if level != "province" else {}
        return f"/maps/overview?{self._query(request, **extra)}"

    def unit(self, request: MapRequest, code: str) -> str:
        return f"/maps/units/{quote(code, safe='')}?{self._query(request)}"

    @staticmethod
    def page(request: MapRequest, code: str) -> str:
        """The workspace's page of unit ``code`` (profile, roadmaps, maps)."""
        return f"/units/{quote(code, safe='')}" + ("?lang=en" if request.lang == "en" else "")

    @staticmethod
    def workspace(request: MapRequest, path: str) -> str:
        """The workspace page at ``path`` (home, a roadmap, a progress watch) in the map's language."""
        return path + ("?lang=en" if request.lang == "en" else "")


class FileLinks:
    """Links between the standalone files written by ``pishraft maps render`` (default view only)."""

    variants = False

    @staticmethod
    def overview(request: MapRequest, level: str = "province") -> str:
        return f"overview.{request.lang}.html" if level == "province" else f"overview-{level}.{request.lang}.html"

    @staticmethod
    def unit(request: MapRequest, code: str) -> str:
        return f"unit-{code}.{request.lang}.html"

    @staticmethod
    def page(request: MapRequest, code: str) -> str | None:
        """Standalone files have no workspace to link to."""
        return None

    @staticmethod
    def workspace(request: MapRequest, path: str) -> str | None:
        """Standalone files have no workspace to link to."""
        return None


def add_way_back(session: Session, fmap: folium.Map, request: MapRequest, links: Links, code: str | None = None,
                 pages: Sequence[tuple[str, str]] = ()) -> folium.Map:
    """Links out of the map to the workspace: home, the page of unit ``code`` (when the map
    is of a unit or below one), then ``pages`` (catalogue key, workspace path); returns ``fmap``."""
    lang = request.lang
    back = [Link(t("nav.home", lang), links.workspace(request, HOME))]
    if code is not None:
        unit = units.get_unit(session, code)
        back.append(Link(unit.name_fa if lang == "fa" else unit.name_en, links.page(request, code)))
    back += [Link(t(key, lang), links.workspace(request, path)) for key, path in pages]
    add_workspace_box(fmap, lang, t("maps.workspace", lang), back)
    return fmap


def resource_overlays(session: Session, bounds: tuple[float, float, float, float] | None,
                      lang: str) -> list[Overlay]:
    """Vector layers of the catalogue that reach into ``bounds``, as overlays (at most
    :data:`MAX_OVERLAY_FEATURES` features each, generalised for display)."""
    if bounds is None:
        return []
    minx, miny, maxx, maxy = bounds
    tolerance = max(maxx - minx, maxy - miny) / 2000
    overlays = []
    for layer in catalogue.vector_layers_within_reach(session, bounds):
        features, truncated = catalogue.features_within(session, layer, bounds, tolerance, MAX_OVERLAY_FEATURES)
        present = set(features[0]["properties"]) if features else set()
        fields = [(c["name"], c.get("label") or c["name"]) for c in (layer.columns or []) if c.get("name") in present]
        overlays.append(Overlay(layer.title, layer.kind, {"type": "FeatureCollection", "features": features},
                                fields[:MAX_POPUP_FIELDS], truncated=truncated))
    return overlays


def _indicator_choices(session: Session, request: MapRequest, info: dict[str, Any], links: Links,
                       here: Callable[[MapRequest], str]) -> list[Choice]:
    """Rows of links to the same map with another period, indicator or classification."""
    if not links.variants:
        return []
    lang = request.lang
    all_indicators = indicators.list_indicators(session)
    return [
        Choice(t("maps.period", lang),
               [Link(show_period(p, lang),
                     None if p == request.period else here(replace(request, period=p)))
                for p in info["periods"]]),
        Choice(t("maps.indicator", lang),
               [Link(i["name_fa"] if lang == "fa" else i["name_en"],
                     None if i["code"] == request.indicator
                     else here(replace(request, indicator=i["code"], period=None)))
                for i in all_indicators]),
        Choice(t("maps.classes", lang),
               [Link(label("scheme", s, lang), None if s == request.scheme else here(replace(request, scheme=s)))
                for s in SCHEMES]),
    ]


def _indicator_map(session: Session, request: MapRequest, frame: gpd.GeoDataFrame, place: str,
                   breadcrumb: list[Link], links: Links, here: Callable[[MapRequest], str], level: str | None,
                   parent_code: str | None) -> folium.Map:
    lang = request.lang
    # A click drills down to the children's map; units without children open their page.
    frame["href"] = [links.unit(request, c) if kids else links.page(request, c)
                     for c, kids in zip(frame["code"], frame["has_children"], strict=True)]
    bounds = bounds_of(frame.geometry.values) if len(frame) else None
    overlays = resource_overlays(session, bounds, lang)
    synthetic = bool(frame["synthetic"].any()) if len(frame) else False
    code = request.indicator or indicators.first_indicator_code(session)
    if code is None:
        title = f"{place} — {t('maps.no_indicators_yet', lang)}"
        return choropleth_map(frame, {}, title, lang, request.scheme, synthetic, breadcrumb=breadcrumb,
                              overlays=overlays, basemap=request.basemap,
                              note=t("maps.no_indicator_has_been", lang))
    info = indicators.indicator_info(session, code)
    period, values = indicators.values_by_unit(session, code, level=level, period=request.period,
                                               parent_code=parent_code)
    request = replace(request, indicator=code, period=period)
    name = info["name_fa"] if lang == "fa" else info["name_en"]
    shown_period = show_period(period, lang)
    title = f"{name} ({shown_period}) — {place}"
    breaks = map_breaks(session, ("indicator", code, period, level, parent_code), frame, values, request.scheme)
    return choropleth_map(
        frame, values, title, lang, request.scheme, synthetic or bool(info["synthetic"]),
        breadcrumb=breadcrumb, choices=_indicator_choices(session, request, info, links, here),
        overlays=overlays, basemap=request.basemap, legend_title=f"{name} ({shown_period})", breaks=breaks,
    )


def overview_map(session: Session, indicator: str | None = None, lang: str = "fa", scheme: str = "quantiles",
                 period: str | None = None, basemap: str = "none", level: str = "province",
                 links: Links | None = None) -> folium.Map:
    """The national entry map: all units at ``level`` (provinces by default) shaded by ``indicator``."""
    if level not in NATIONAL_LEVELS:
        raise InvalidInput(f"A national map shows one of: {', '.join(NATIONAL_LEVELS)}; not '{level}'.",
                           field="level")
    links = links or ServedLinks()
    request = MapRequest(indicator, scheme, period, lang, basemap)
    frame = whole_level(session, level)
    place = t("maps.nation", lang)
    fmap = _indicator_map(session, request, frame, place, [Link(place)], links,
                          lambda r: links.overview(r, level), level, None)
    return add_way_back(session, fmap, request, links)


def unit_breadcrumb(session: Session, code: str, request: MapRequest, links: Links,
                    last_href: str | None = None) -> list[Link]:
    """Nation › province › … › the unit ``code`` (linked when ``last_href`` is given)."""
    lang = request.lang
    unit = units.get_unit(session, code)
    up = [Link(a.name_fa if lang == "fa" else a.name_en, links.unit(request, a.code))
          for a in reversed(units.ancestors(session, code))]
    return [Link(t("maps.nation", lang), links.overview(request)), *up,
            Link(unit.name_fa if lang == "fa" else unit.name_en, last_href)]


def unit_map(session: Session, code: str, indicator: str | None = None, lang: str = "fa",
             scheme: str = "quantiles", period: str | None = None, basemap: str = "none",
             links: Links | None = None) -> folium.Map:
    """The children of unit ``code`` shaded by ``indicator``; a breadcrumb leads back up."""
    links = links or ServedLinks()
    request = MapRequest(indicator, scheme, period, lang, basemap)
    breadcrumb = unit_breadcrumb(session, code, request, links, links.page(request, code))
    name = breadcrumb[-1].label
    frame = units_frame(session, parent_code=code)
    fmap = _indicator_map(session, request, frame, name, breadcrumb, links,
                          lambda r: links.unit(r, code), None, code)
    return add_way_back(session, fmap, request, links, code)


def render_all(session: Session, out_dir: Path, langs: Sequence[str] = ("fa", "en"),
               unit_codes: Sequence[str] | None = None,
               progress: Callable[[Path], None] = lambda _p: None) -> list[Path]:
    """Write every map as a standalone page into ``out_dir``, with its assets in ``out_dir/static``.

    Pages: the national overview (provinces, and all neighbourhoods), then one page per
    unit that has children (each province's counties, each county's neighbourhoods), in
    each language, linked to each other for drill-down. Shows each indicator's default
    view (first deprivation indicator, latest period, quantiles). ``unit_codes`` limits
    the unit pages to those units.
    """
    copy_static(out_dir)
    links = FileLinks()
    written = []
    parents = units.parent_codes(session)
    if unit_codes is not None:
        for code in unit_codes:
            units.get_unit(session, code)  # NotFound names the bad code
        parents = [c for c in parents if c in set(unit_codes)]
    for lang in langs:
        check_lang(lang)
        request = MapRequest(lang=lang)
        pages: list[tuple[str, Callable[..., folium.Map]]] = [
            (links.overview(request), lambda r=request: overview_map(session, lang=r.lang, links=links)),
            (links.overview(request, "neighbourhood"),
             lambda r=request: overview_map(session, lang=r.lang, level="neighbourhood", links=links))]
        pages += [(links.unit(request, code), lambda c=code, r=request: unit_map(session, c, lang=r.lang, links=links))
                  for code in parents]
        for name, build in pages:
            path = write_page(build(), out_dir / name)
            written.append(path)
            progress(path)
    return written


def _default_index(session: Session, domain: str, level: str) -> str | None:
    """``'index:<code>'`` of the newest composite index of ``domain`` scored at ``level``, if any."""
    code = newest_index_code(session, domain, level)
    return f"index:{code}" if code else None


def _source_name(session: Session, source: str, lang: str) -> str:
    """The name of an indicator code or ``index:<code or id>`` in ``lang`` (the code if it has none)."""
    key = source.removeprefix("index:")
    try:
        info = resolve_index(session, key) if source.startswith("index:") else indicators.indicator_info(session, key)
    except NotFound:
        return key
    return str(info["name_fa"] if lang == "fa" else info["name_en"])


def _scoped_units(session: Session, level: str, parent_code: str | None) -> gpd.GeoDataFrame:
    """Units at ``level`` anywhere below ``parent_code`` (the whole country when ``None``)."""
    if parent_code is None:
        return whole_level(session, level)
    frame = units_frame(session, level=level)
    scope = indicators.units_in_scope(session, level, parent_code)
    return frame[frame["code"].isin(scope.index)].reset_index(drop=True)


def _scope_breadcrumb(session: Session, request: MapRequest, parent_code: str | None, links: Links) -> list[Link]:
    if parent_code is None:
        return [Link(t("maps.nation", request.lang))]
    return unit_breadcrumb(session, parent_code, request, links, links.unit(request, parent_code))


def bivariate_page(session: Session, level: str = "county", parent_code: str | None = None,
                   capacity: str | None = None, deprivation: str | None = None, period: str | None = None,
                   lang: str = "fa", basemap: str = "none", links: Links | None = None) -> folium.Map:
    """Capacity × deprivation classes of the units at ``level`` (below ``parent_code``).

    Defaults to the newest capacity and deprivation composite indices scored at ``level``.
    """
    request = MapRequest(lang=lang, basemap=basemap)
    capacity = capacity or _default_index(session, "capacity", level)
    deprivation = deprivation or _default_index(session, "deprivation", level)
    if capacity is None or deprivation is None:
        raise InvalidInput("Name a capacity and a deprivation measure (?capacity=…&deprivation=…, an indicator code "
                           "or index:<code>), or compute a capacity and a deprivation index first.",
                           field="capacity" if capacity is None else "deprivation")
    classes = bivariate_classes(session, capacity, deprivation, level, period, parent_code)
    frame = _scoped_units(session, level, parent_code)
    links = links or ServedLinks()
    frame["href"] = [links.page(request, c) for c in frame["code"]]
    fmap = bivariate_map(frame, classes, lang, synthetic=bool(frame["synthetic"].any()) if len(frame) else False,
                         breadcrumb=_scope_breadcrumb(session, request, parent_code, links), basemap=basemap)
    return add_way_back(session, fmap, request, links, parent_code)


def cluster_page(session: Session, level: str = "county", parent_code: str | None = None, source: str | None = None,
                 period: str | None = None, lang: str = "fa", basemap: str = "none",
                 links: Links | None = None) -> folium.Map:
    """LISA clusters of ``source`` (indicator code or ``index:<code>``; default: the
    newest deprivation index, else the first indicator) over the units at ``level``."""
    request = MapRequest(lang=lang, basemap=basemap)
    source = source or _default_index(session, "deprivation", level) or indicators.first_indicator_code(session)
    if source is None:
        raise InvalidInput("There is no indicator or index to cluster yet; import or derive one first.",
                           field="source")
    clusters = lisa_clusters(session, source, level, period, parent_code)
    frame = _scoped_units(session, level, parent_code)
    links = links or ServedLinks()
    frame["href"] = [links.page(request, c) for c in frame["code"]]
    name = _source_name(session, source, lang)
    title = t("maps.clusters_of", lang, name=name)
    fmap = cluster_map(frame, clusters, lang, title=title,
                       synthetic=bool(frame["synthetic"].any()) if len(frame) else False,
                       breadcrumb=_scope_breadcrumb(session, request, parent_code, links), basemap=basemap)
    return add_way_back(session, fmap, request, links, parent_code)


def _link_unit_pages(actions: dict[str, Any], request: MapRequest, links: Links, code: str | None = None) -> None:
    """Give each action's popup a link to the action on its roadmap's page and to the page
    of its roadmap's unit (``code``, or the feature's own ``unit_code``)."""
    for feature in actions.get("features") or []:
        props = feature.setdefault("properties", {})
        unit_code = code or props.get("unit_code")
        if unit_code:
            props["unit_page"] = links.page(request, unit_code)
        if props.get("roadmap_id") is not None and props.get("id") is not None:
            page = links.workspace(request, f"/roadmaps/{int(props['roadmap_id'])}")
            props["action_page"] = f"{page}#action-{int(props['id'])}" if page else None


def index_page(session: Session, ref: str, level: str = "county", parent_code: str | None = None,
               weights: str | None = None, period: str | None = None, lang: str = "fa", scheme: str = "quantiles",
               basemap: str = "none", links: Links | None = None) -> folium.Map:
    """Scores of composite index ``ref`` over the units at ``level`` (below ``parent_code``).

    With ``weights`` (``code:weight,…``) the scores are what-if scores under those
    weights, computed now and not stored; the map says so and lists the weights.
    """
    request = MapRequest(lang=lang, scheme=scheme, basemap=basemap)
    if weights is None:
        result = index_scores(session, ref, level, period, parent_code)
    else:
        result = what_if_scores(session, ref, level, parse_weights(weights), period, parent_code)
    frame = _scoped_units(session, level, parent_code)
    index = result["index"]
    name = index["name_fa"] if lang == "fa" else index["name_en"]
    shown_period = show_period(result["period"], lang)
    note = None
    if weights is not None:
        used = "، ".join(f"{code} {format_number(w, lang, 2)}" for code, w in result["what_if"]["weights"].items())
        used = used if lang == "fa" else used.replace("، ", ", ")
        name = t("map.what_if_title", lang, name=name)
        note = t("map.what_if_note", lang, weights=used)
    values = {r["code"]: r["score"] for r in result["scores"]}
    synthetic = bool(index["synthetic"]) or (bool(frame["synthetic"].any()) if len(frame) else False)
    links = links or ServedLinks()
    breaks = map_breaks(session, ("index", index["id"], result["period"], level, parent_code, weights), frame, values,
                        scheme)
    fmap = choropleth_map(frame, values, f"{name} ({shown_period})", lang, scheme, synthetic,
                          breadcrumb=_scope_breadcrumb(session, request, parent_code, links),
                          basemap=basemap, note=note, legend_title=f"{name} ({shown_period})", breaks=breaks)
    return add_way_back(session, fmap, request, links, parent_code)


def roadmap_page(session: Session, roadmap_id: int, lang: str = "fa", basemap: str = "none",
                 links: Links | None = None) -> folium.Map:
    """A roadmap on its unit, actions coloured by status, with a breadcrumb to the unit's maps."""
    data = roadmap_map_data(session, roadmap_id)
    request = MapRequest(lang=lang, basemap=basemap)
    links = links or ServedLinks()
    code = data["roadmap"]["unit_code"]
    _link_unit_pages(data.get("actions") or {}, request, links, code)
    fmap = roadmap_map(data, lang, breadcrumb=unit_breadcrumb(session, code, request, links, links.unit(request, code)),
                       basemap=basemap)
    return add_way_back(session, fmap, request, links, code, [("map.roadmap_page", f"/roadmaps/{roadmap_id}")])


def progress_page(session: Session, unit_code: str, level: str | None = None, lang: str = "fa",
                  basemap: str = "none", links: Links | None = None) -> folium.Map:
    """The progress watch under ``unit_code``: every placed action by achieved / on track / behind / overdue."""
    actions = progress_geojson(session, unit_code, level)
    request = MapRequest(lang=lang, basemap=basemap)
    links = links or ServedLinks()
    unit = units.unit_feature(session, unit_code)
    _link_unit_pages(actions, request, links)
    fmap = progress_map(actions, lang, synthetic=bool(unit["properties"]["synthetic"]),
                        breadcrumb=unit_breadcrumb(session, unit_code, request, links, links.unit(request, unit_code)),
                        unit=unit, basemap=basemap)
    return add_way_back(session, fmap, request, links, unit_code,
                        [("unit.progress", f"/progress/{quote(unit_code, safe='')}")])
