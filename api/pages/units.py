"""The unit page: any unit at any level — its profile (indicators, index scores and ranks,
cluster, capacity × deprivation class, comparative advantages, target community), its
sub-units, the roadmaps of it and below it with their progress, and links to its maps."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.pages.render import page_router, render
from maps.categories import BIVARIATE_COLOURS, CLUSTER_COLOURS
from spatial.analytics.profile import unit_profile
from spatial.db.engine import session_scope
from spatial.planning.roadmaps import list_roadmaps
from spatial.units import hierarchy as units

router = page_router()

#: The level whose units the bivariate and cluster maps show for a unit of each level
#: (the maps class provinces, counties or neighbourhoods).
MAP_LEVEL_BELOW = {"province": "county", "county": "neighbourhood"}


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


@router.get("/units/{code}")
def unit_page(request: Request, code: str, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        unit = units.get_unit(session, code)
        parents = list(reversed(units.ancestors(session, code)))
        kids = units.children(session, code)
        profile = unit_profile(session, code)
        roadmaps = list_roadmaps(session, unit=code)
    bivariate = profile["bivariate"]
    key = (int(bivariate["capacity_class"]), int(bivariate["deprivation_class"])) if bivariate else None
    return render(request, "unit.html", {
        "unit": unit, "parents": parents, "children": kids, "profile": profile, "roadmaps": roadmaps,
        "maps": map_links(unit),
        "bivariate_key": f"{key[0]}{key[1]}" if key else None,
        "bivariate_colour": BIVARIATE_COLOURS[key] if key else None,
        "cluster_colour": CLUSTER_COLOURS.get(profile["cluster"] or ""),
    })
