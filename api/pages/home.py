"""The home page: every map family, the unit search, and the signed-in user's own work."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.auth import Principal, require
from api.pages.render import href, lang_of, page_router, redirect, render
from api.pages.roadmaps import may_write_somewhere
from api.pages.security import viewer
from spatial.db.engine import session_scope
from spatial.messages import label
from spatial.planning.notifications import inbox
from spatial.planning.worklist import recent_roadmaps, user_work
from spatial.settings import get_settings
from spatial.units import hierarchy as units

router = page_router()

SUGGESTIONS = 10
#: Roadmaps listed under the roadmap maps on the home page (most recently changed first).
RECENT_ROADMAPS = 10


def _unit_label(unit: units.Unit, lang: str) -> str:
    name = unit.name_fa if lang == "fa" else unit.name_en
    return f"{name} ({label('level', unit.level, lang)})"


@router.get("/home")
def home(request: Request, _: Principal = Depends(require("read")), who: Principal | None = Depends(viewer)) -> Response:
    """Map families, the unit search, the provinces, and the signed-in user's own work and
    notifications (what they hold that became late or is due soon)."""
    with session_scope() as session:
        provinces = units.units_at_level(session, "province")
        work = user_work(session, who.username, who.area_unit_id) if who else None
        notices = inbox(session, who.username) if who else None
        area = units.get_unit_by_id(session, who.area_unit_id) if who and who.area_unit_id else None
        recent = recent_roadmaps(session, RECENT_ROADMAPS)
    return render(request, "home.html", {"provinces": provinces, "work": work, "area": area, "roadmaps": recent,
                                         "can_measure": may_write_somewhere(who), "inbox": notices,
                                         "notice_days": get_settings().notice_days})


@router.get("/progress-map")
def progress_map(request: Request, unit: str = Query(max_length=64),
                 _: Principal = Depends(require("read"))) -> Response:
    """The home page's "progress watch" chooser: on to the progress map of the chosen unit."""
    return redirect(request, f"/maps/progress/{quote(unit, safe='')}")


@router.get("/search")
def search(request: Request, q: str = Query("", max_length=100), _: Principal = Depends(require("read"))) -> Response:
    """The unit search's results page (and the suggest list's answer as JSON)."""
    lang = lang_of(request)
    with session_scope() as session:
        found = units.search_units(session, q, limit=SUGGESTIONS if _wants_json(request) else 50)
    if _wants_json(request):
        items: list[dict[str, Any]] = [
            {"code": u.code, "label": _unit_label(u, lang), "href": href(request, f"/units/{u.code}")} for u in found]
        return JSONResponse(items)
    if len(found) == 1 or (found and found[0].code.lower() == q.strip().lower()):
        return redirect(request, f"/units/{found[0].code}")  # one unit, or exactly its code: straight there
    return render(request, "search.html", {"q": q, "found": found})


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")
