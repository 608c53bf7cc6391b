"""The unit page: any unit at any level, its profile, sub-units, roadmaps and maps."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.pages.render import page_router, render
from spatial.db.engine import session_scope
from spatial.units import hierarchy as units

router = page_router()


@router.get("/units/{code}")
def unit_page(request: Request, code: str, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        unit = units.get_unit(session, code)
        parents = list(reversed(units.ancestors(session, code)))
        kids = units.children(session, code)
    return render(request, "unit.html", {"unit": unit, "parents": parents, "children": kids})
