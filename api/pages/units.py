"""The unit page, a dashboard of the place: any unit at any level — a map of its sub-units
by the headline (newest deprivation) index, charts of its indicators over the periods and
among its siblings, its profile (indicators, index scores and ranks, cluster, capacity ×
deprivation class, comparative advantages, target community), its roadmaps with their
progress, its late actions, its progress cores, its sub-units, and links to its maps; "new
roadmap" and "enter measurements" for whoever may write here."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.pages.planning import may_write
from api.pages.render import lang_of, page_router, render
from api.pages.security import viewer
from maps.categories import BIVARIATE_COLOURS, CLUSTER_COLOURS
from maps.charts import among_siblings, over_periods
from spatial.analytics.indices import newest_index_code, resolve_index
from spatial.analytics.profile import indicator_series, unit_profile
from spatial.db.engine import session_scope
from spatial.planning.cores import list_cores
from spatial.planning.roadmaps import list_actions, list_roadmaps
from spatial.units import hierarchy as units

router = page_router()

#: The level whose units the bivariate and cluster maps show for a unit of each level
#: (the maps class provinces, counties or neighbourhoods).
MAP_LEVEL_BELOW = {"province": "county", "county": "neighbourhood"}
#: Levels the index maps (``/maps/indices/…``) can show.
INDEX_MAP_LEVELS = ("province", "county", "neighbourhood")
#: Progress statuses that make an action late, and how many late actions the page lists.
LATE = ("overdue", "behind")
MOST_LATE_SHOWN = 10


def map_links(unit: units.Unit) -> list[tuple[str, str, dict[str, Any]]]:
    """(catalogue key, path, query) of every map of ``unit``."""
    code = quote(unit.code, safe="")
    links: list[tuple[str, str, dict[str, Any]]] = []
    if unit.children:
        links.append(("map.unit", f"/maps/units/{code}", {}))
    below = MAP_LEVEL_BELOW.get(unit.level)
    if below:
        scope = {"level": below, "parent": unit.code}
    elif unit.level == "neighbourhood" and unit.parent_code:
        scope = {"level": "neighbourhood", "parent": unit.parent_code}
    else:
        scope = None
    if scope:
        links += [("map.bivariate", "/maps/bivariate", scope), ("map.clusters", "/maps/clusters", scope)]
    links.append(("map.progress", f"/maps/progress/{code}", {}))
    return links


def place_map(session: Session, unit: units.Unit, kids: list[units.Unit], lang: str) -> dict[str, Any]:
    """The map the dashboard embeds: the unit's sub-units (or, for a unit without any, the unit
    among its siblings) coloured by the newest deprivation index scored at their level, or
    by the first indicator where no index is."""
    level, parent = (kids[0].level, unit.code) if kids else (unit.level, unit.parent_code)
    index = newest_index_code(session, "deprivation", level) if level in INDEX_MAP_LEVELS and parent else None
    if index:
        info = resolve_index(session, index)
        return {"path": f"/maps/indices/{quote(index, safe='')}", "query": {"level": level, "parent": parent},
                "index": info["name_fa"] if lang == "fa" else info["name_en"]}
    where = unit.code if kids or not unit.parent_code else unit.parent_code
    return {"path": f"/maps/units/{quote(where, safe='')}", "query": {}, "index": None}


def warm_unit_pages(session: Session) -> None:
    """Compute what unit pages show of a whole level (kept per data generation) for one unit
    of each level, so that no reader waits for it after a data change
    (:class:`spatial.serving.warming.Warmer`)."""
    for code in units.one_unit_per_level(session):
        unit_profile(session, code)
        indicator_series(session, code)


@router.get("/units/{code}")
def unit_page(request: Request, code: str, _: Principal = Depends(require("read")),
              who: Principal | None = Depends(viewer)) -> Response:
    """The dashboard of unit ``code``."""
    lang = lang_of(request)
    with session_scope() as session:
        unit = units.get_unit(session, code)
        parents = list(reversed(units.ancestors(session, code)))
        kids = units.children(session, code)
        profile = unit_profile(session, code)
        roadmaps = list_roadmaps(session, unit=code)
        late = [a for a in list_actions(session, unit=code) if a["progress_status"] in LATE]
        cores = list_cores(session, unit=code)
        series = indicator_series(session, code)
        place = place_map(session, unit, kids, lang)
        writer = may_write(session, who, unit.id)
    late.sort(key=lambda a: (LATE.index(a["progress_status"]), a["end_date"] or "9999", a["id"]))
    bivariate = profile["bivariate"]
    key = (int(bivariate["capacity_class"]), int(bivariate["deprivation_class"])) if bivariate else None
    name = unit.name_fa if lang == "fa" else unit.name_en
    charts = [over_periods(series, name, lang), among_siblings(series, lang)] if series else []
    return render(request, "unit.html", {
        "unit": unit, "parents": parents, "children": kids, "profile": profile, "roadmaps": roadmaps,
        "maps": map_links(unit), "place_map": place, "charts": charts, "late_actions": late[:MOST_LATE_SHOWN],
        "late_count": len(late), "cores": cores, "may_write": writer,
        "bivariate_key": f"{key[0]}{key[1]}" if key else None,
        "bivariate_colour": BIVARIATE_COLOURS[key] if key else None,
        "cluster_colour": CLUSTER_COLOURS.get(profile["cluster"] or ""),
    })
