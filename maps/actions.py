"""Maps of roadmap actions: a roadmap on its unit, and the progress watch.

Actions are GeoJSON features (points, lines or polygons) whose properties follow
``spatial.planning.roadmaps.roadmap_map_data`` / ``spatial.planning.progress.progress_geojson``: ``id``,
``title``, ``sector``, ``status``, ``progress_status``, ``responsible``, ``sponsor``,
``financing`` [{source, amount_rials}], ``start_date``, ``end_date`` (ISO), and
``key_results`` [{indicator, baseline, target, target_date, latest_value, status,
progress 0..1}]. Missing properties show as blanks; actions without a place are counted
in a note.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import folium
import shapely
from folium.utilities import JsCode
from shapely.geometry import shape

from maps.base import add_note, base_map, esc, fit
from maps.legend import add_legend
from maps.navigation import Link, add_title_box
from spatial.jalali import format_date, format_number, persian_digits
from spatial.messages import label, t

UNKNOWN = "#7f7f7f"
#: Action status (the plan's own state) -> colour; names are ``action_status.*`` in :mod:`spatial.messages`.
STATUS = {
    "planned": "#9e9ac8",
    "in_progress": "#3182bd",
    "done": "#31a354",
    "stalled": "#fd8d3c",
    "cancelled": "#636363",
}
#: Progress-watch status (measured against targets and dates) -> colour; names are ``progress.*``.
PROGRESS = {
    "achieved": "#1a9850",
    "on_track": "#91cf60",
    "behind": "#fc8d59",
    "overdue": "#d73027",
    "no_data": "#bdbdbd",
}

_BIND = JsCode("""function (feature, layer) {
    layer.bindPopup(feature.properties.popup_html, {maxWidth: 360});
    layer.bindTooltip(feature.properties.tip_html, {sticky: true});
}""")


def _date(value: str | None, lang: str) -> str:
    return format_date(date.fromisoformat(value[:10]), lang) if value else ""


def _period(period: Mapping[str, Any] | str | None, lang: str) -> str | None:
    """A roadmap's period: its start and end dates (Jalali in Persian), or the text given."""
    if isinstance(period, Mapping):
        return f'{_date(period.get("start_date"), lang)} – {_date(period.get("end_date"), lang)}'
    return persian_digits(period) if (period and lang == "fa") else period


def _percent(progress: float | None, lang: str) -> str:
    if progress is None:
        return ""
    text = f"{round(100 * max(0.0, min(1.0, float(progress))))}%"
    return persian_digits(text.replace("%", "٪")) if lang == "fa" else text


def action_popup(props: Mapping[str, Any], lang: str) -> str:
    """The popup of one action: owner, sponsor, financing, dates and key-result progress bars."""
    rows = [
        (t("maps.sector", lang), label("sector", props.get("sector"), lang) if props.get("sector") else None),
        (t("maps.status", lang), label("action_status", props.get("status"), lang)),
        (t("maps.progress", lang), label("progress", props.get("progress_status"), lang)
         if props.get("progress_status") else None),
        (t("maps.responsible", lang), props.get("responsible")),
        (t("maps.sponsor", lang), props.get("sponsor")),
        (t("maps.start", lang), _date(props.get("start_date"), lang)),
        (t("maps.end", lang), _date(props.get("end_date"), lang)),
    ]
    rials = t("maps.rials", lang)
    financing = props.get("financing") or []
    for item in financing:
        rows.append((f'{t("maps.financing", lang)}: {label("financing", item.get("source"), lang)}',
                     f'{format_number(item.get("amount_rials"), lang)} {rials}'))
    if len(financing) > 1:
        total = sum(float(i.get("amount_rials") or 0) for i in financing)
        rows.append((t("maps.total_financing", lang), f"{format_number(total, lang)} {rials}"))
    table = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows if v not in (None, ""))
    results = []
    for kr in props.get("key_results") or []:
        progress = kr.get("progress")
        width = round(100 * max(0.0, min(1.0, float(progress)))) if progress is not None else 0
        detail = (f'{format_number(kr.get("baseline"), lang)} → {format_number(kr.get("target"), lang)}'
                  f'{" (" + _date(kr.get("target_date"), lang) + ")" if kr.get("target_date") else ""}; '
                  f'{t("maps.latest", lang)}: {format_number(kr.get("latest_value"), lang)}')
        results.append(
            f'<div class="kr"><div>{esc(kr.get("indicator") or "")} {esc(_percent(progress, lang))}</div>'
            f'<div class="bar" title="{esc(_percent(progress, lang))}"><span style="width:{width}%"></span></div>'
            f'<div class="en">{esc(detail)}</div></div>'
        )
    kr_html = (f'<h4>{esc(t("maps.key_results", lang))}</h4>{"".join(results)}' if results else "")
    direction = "rtl" if lang == "fa" else "ltr"
    pages = [(props.get("action_page"), "map.action_page"), (props.get("unit_page"), "map.unit_page")]
    shown = " · ".join(f'<a href="{esc(href)}">{esc(t(key, lang))}</a>' for href, key in pages if href)
    page = f'<p class="pishraft-more">{shown}</p>' if shown else ""
    return (f'<div class="pishraft-popup" dir="{direction}"><h4>{esc(props.get("title") or "")}</h4>'
            f"<table>{table}</table>{kr_html}{page}</div>")


def _prepared(actions: Mapping[str, Any], lang: str, colour_of: Any) -> tuple[dict[str, Any], int]:
    """A copy of ``actions`` keeping features with a geometry, with popup, tooltip and colour added."""
    features, placeless = [], 0
    for feature in actions.get("features") or []:
        if not feature.get("geometry"):
            placeless += 1
            continue
        f = copy.deepcopy(dict(feature))
        props = f.setdefault("properties", {}) or {}
        f["properties"] = props
        props["popup_html"] = action_popup(props, lang)
        props["tip_html"] = f'<div class="pishraft-tip">{esc(props.get("title") or "")}</div>'
        props["colour"] = colour_of(props)
        features.append(f)
    return {"type": "FeatureCollection", "features": features}, placeless


def _add_actions(fmap: folium.Map, collection: dict[str, Any], name: str) -> None:
    folium.GeoJson(
        collection, name=esc(name),
        style_function=lambda f: {"color": f["properties"]["colour"], "fillColor": f["properties"]["colour"],
                                  "weight": 4, "fillOpacity": 0.45, "opacity": 0.9},
        marker=folium.CircleMarker(radius=8, fill=True, fill_opacity=0.9, weight=2),
        on_each_feature=_BIND,
    ).add_to(fmap)


def _bounds(geometries: Sequence[dict[str, Any]]) -> tuple[float, float, float, float] | None:
    if not geometries:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds([shape(g) for g in geometries])
    pad = 0.05 if (maxx - minx) < 1e-3 and (maxy - miny) < 1e-3 else 0.0  # a single point
    return float(minx - pad), float(miny - pad), float(maxx + pad), float(maxy + pad)


def _used(table: Mapping[str, str], vocabulary: str, values: set[str], lang: str) -> list[tuple[str, str]]:
    items = [(colour, label(vocabulary, key, lang)) for key, colour in table.items() if key in values]
    if values - set(table):
        items.append((UNKNOWN, t("maps.unknown", lang)))
    return items


def roadmap_map(data: Mapping[str, Any] | None, lang: str = "fa", synthetic: bool = False,
                breadcrumb: Sequence[Link] = (), basemap: str = "none") -> folium.Map:
    """A roadmap on its unit: actions as markers, lines or polygons coloured by status.

    ``data`` is ``spatial.planning.roadmaps.roadmap_map_data``'s result: ``{"roadmap": {...},
    "unit": Feature, "actions": FeatureCollection}``; ``None`` or missing parts are
    reported on the map.
    """
    data = data or {}
    roadmap = data.get("roadmap") or {}
    synthetic = synthetic or bool(roadmap.get("synthetic"))
    unit = roadmap.get("unit") or {}
    unit_name = (roadmap.get("unit_name_fa") or unit.get("name_fa")) if lang == "fa" else \
        (roadmap.get("unit_name_en") or unit.get("name_en"))
    fmap = base_map(lang, basemap, synthetic)
    title = roadmap.get("title") or t("maps.roadmap", lang)
    geometries = []
    unit_feature = data.get("unit")
    if unit_feature and unit_feature.get("geometry"):
        folium.GeoJson(unit_feature, name=esc(unit_name or t("maps.unit", lang)),
                       style_function=lambda _f: {"color": "#222", "weight": 2, "fill": False}).add_to(fmap)
        geometries.append(unit_feature["geometry"])
    collection, placeless = _prepared(data.get("actions") or {}, lang,
                                      lambda p: STATUS.get(p.get("status"), UNKNOWN))
    if collection["features"]:
        _add_actions(fmap, collection, t("maps.actions", lang))
        geometries += [f["geometry"] for f in collection["features"]]
    facts = [(t("maps.unit", lang), unit_name), (t("maps.period", lang), _period(roadmap.get("period"), lang)),
             (t("maps.status", lang),
              label("roadmap_status", roadmap.get("status"), lang) if roadmap.get("status") else None),
             (t("maps.progress", lang),
              label("progress", roadmap.get("progress_status"), lang) if roadmap.get("progress_status") else None),
             (t("maps.responsible", lang), roadmap.get("responsible")),
             (t("maps.sponsor", lang), roadmap.get("sponsor"))]
    subtitle = " · ".join(f"{k}: {v}" for k, v in facts if v)
    add_title_box(fmap, lang, title, breadcrumb, subtitle=subtitle)
    statuses = {f["properties"].get("status") for f in collection["features"]}
    add_legend(fmap, lang, t("maps.action_status", lang), _used(STATUS, "action_status", statuses, lang), mark="dot")
    if not data:
        add_note(fmap, lang, t("maps.this_roadmap_s_data", lang))
    elif not collection["features"]:
        add_note(fmap, lang, t("maps.this_roadmap_has_no", lang))
    elif placeless:
        add_note(fmap, lang, t("maps.placeless_actions", lang, count=format_number(placeless, lang)))
    if unit_feature is None and data:
        add_note(fmap, lang, t("maps.the_unit_s_boundary", lang))
    fit(fmap, _bounds(geometries))
    return fmap


def progress_map(actions: Mapping[str, Any] | None, lang: str = "fa", title: str | None = None,
                 synthetic: bool = False, breadcrumb: Sequence[Link] = (), unit: Mapping[str, Any] | None = None,
                 basemap: str = "none") -> folium.Map:
    """The progress watch: actions coloured achieved / on_track / behind / overdue.

    ``actions`` is ``spatial.planning.progress.progress_geojson``'s FeatureCollection; ``unit`` an
    optional GeoJSON Feature outlined for context.
    """
    title = title or t("maps.progress_watch", lang)
    fmap = base_map(lang, basemap, synthetic)
    geometries = []
    if unit and unit.get("geometry"):
        folium.GeoJson(unit, style_function=lambda _f: {"color": "#222", "weight": 2, "fill": False}).add_to(fmap)
        geometries.append(unit["geometry"])
    collection, placeless = _prepared(actions or {}, lang,
                                      lambda p: PROGRESS.get(p.get("progress_status"), UNKNOWN))
    if collection["features"]:
        _add_actions(fmap, collection, title)
        geometries += [f["geometry"] for f in collection["features"]]
    add_title_box(fmap, lang, title, breadcrumb)
    counts: dict[str | None, int] = {}
    for f in collection["features"]:
        key = f["properties"].get("progress_status")
        counts[key] = counts.get(key, 0) + 1
    items = [(colour, f"{label('progress', key, lang)} ({format_number(counts.get(key, 0), lang)})")
             for key, colour in PROGRESS.items()]
    if set(counts) - set(PROGRESS):
        items.append((UNKNOWN, t("maps.unknown", lang)))
    add_legend(fmap, lang, title, items, mark="dot")
    if actions is None or not (actions.get("features") or []):
        add_note(fmap, lang, t("maps.no_progress_data_is", lang))
    elif placeless:
        add_note(fmap, lang, t("maps.placeless_actions", lang, count=format_number(placeless, lang)))
    fit(fmap, _bounds(geometries))
    return fmap
