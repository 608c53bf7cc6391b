"""Workspace pages benchmark: the roadmap and progress pages of a busy county.

Writes one county's worth of plans (20 roadmaps of the county and its neighbourhoods,
50 actions in all, 35 of them placed, each with two financing lines and a key result,
half of them measured), then times every roadmap and progress page as the server
answers it (in process, signed in as the demo planner, median of 7 after a warm-up)
next to the JSON API call that returns the same data — the floor a page cannot beat,
since it makes the same core calls and then renders them.

Goal (issue #17): no page slower than 300 ms on the server. The ratio to the API shows
what rendering (templates, catalogue, form options) adds.

Run: ``.venv/bin/python bench/planning_pages.py`` (uses the embedded PostGIS with the demo loaded:
``make demo-data``). The plans it writes are deleted at the end.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from pathlib import Path

# The repository first: bench/maps.py would otherwise shadow the maps package.
REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from api.app import create_app  # noqa: E402
from api.auth import COOKIE  # noqa: E402
from spatial.accounts.tokens import issue_token  # noqa: E402
from bench._workspace import compare_pages, remove_roadmaps  # noqa: E402
from spatial.db.engine import session_scope  # noqa: E402
from spatial.planning.history import LocalEditor  # noqa: E402
from spatial.planning.roadmap_inputs import (  # noqa: E402
    ActionIn, FinancingIn, KeyResultIn, MeasurementIn, RoadmapIn,
)
from spatial.planning.roadmaps import create_action, create_measurement, create_roadmap  # noqa: E402

COUNTY = "IR-16-04"
ROADMAPS, ACTIONS = 20, 50
TITLE = "bench-pages"
GOAL_MS = 300.0
EDITOR = LocalEditor("bench")


def _setup() -> tuple[list[int], list[int]]:
    """Write the county's roadmaps and actions; returns their ids."""
    today = date.today()
    start = today - timedelta(days=300)
    with session_scope() as session:
        hoods = list(session.execute(text(
            """SELECT c.code FROM admin_unit c JOIN admin_unit p ON p.id = c.parent_id
               WHERE p.code = :code AND c.valid_to IS NULL ORDER BY c.code"""), {"code": COUNTY}).scalars())
        units = [COUNTY] + hoods
        roadmap_ids: list[int] = []
        roadmap_units: list[str] = []
        for n in range(ROADMAPS):
            unit = units[n % len(units)] if n else COUNTY
            made = create_roadmap(session, RoadmapIn(
                unit=unit, title=f"{TITLE} {n}", start_date=start, end_date=start + timedelta(days=4 * 365),
                parent_roadmap_id=roadmap_ids[0] if n else None, strategies=["گردشگری", "صنایع دستی"]), EDITOR)
            roadmap_ids.append(made["id"])
            roadmap_units.append(unit)
        action_ids = []
        for n in range(ACTIONS):
            rid, unit = roadmap_ids[n % ROADMAPS], roadmap_units[n % ROADMAPS]
            place = None
            if n % 10 < 7:
                x, y = session.execute(text(
                    """SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit
                       WHERE code = :c AND valid_to IS NULL) s"""), {"c": unit}).one()
                place = {"type": "Point", "coordinates": [x, y]}
            action = create_action(session, ActionIn(
                roadmap_id=rid, title=f"{TITLE} action {n}", sector="handicrafts", geometry=place,
                start_date=start, end_date=start + timedelta(days=500),
                financing=[FinancingIn(source="sponsor", amount_rials=10**9),
                           FinancingIn(source="bank_loan", amount_rials=5 * 10**8)],
                key_results=[KeyResultIn(indicator="jobs", baseline=0, target=100,
                                         target_date=start + timedelta(days=500))]), EDITOR)
            action_ids.append(action["id"])
            if n % 2:
                create_measurement(session, MeasurementIn(key_result_id=action["key_results"][0]["id"],
                                                          measured_on=today - timedelta(days=10),
                                                          value=float(n * 2)), EDITOR)
    return roadmap_ids, action_ids


def main() -> None:
    remove_roadmaps(TITLE)
    t0 = time.perf_counter()
    roadmap_ids, action_ids = _setup()
    print(f"setup: {COUNTY}, {ROADMAPS} roadmaps, {ACTIONS} actions in {time.perf_counter() - t0:.1f} s")
    try:
        client = TestClient(create_app())
        client.cookies.set(COOKIE, issue_token("demo-planner"))
        rid, aid = roadmap_ids[0], action_ids[0]
        province = COUNTY.rsplit("-", 1)[0]
        pairs = [
            (f"/roadmaps?unit={COUNTY}", f"/api/roadmaps?unit={COUNTY}"),
            (f"/roadmaps/{rid}", f"/api/roadmaps/{rid}"),
            (f"/roadmaps/{rid}/edit", f"/api/roadmaps/{rid}"),
            ("/roadmaps/new", f"/api/roadmaps?unit={COUNTY}"),
            (f"/roadmaps/{rid}/actions/new", f"/api/roadmaps/{rid}/map-data"),
            (f"/actions/{aid}/edit", f"/api/actions/{aid}"),
            (f"/actions/{aid + 1}/measure", f"/api/measurements?action={aid + 1}"),
            (f"/progress/{COUNTY}", f"/api/progress?unit={COUNTY}"),
            (f"/progress/{COUNTY}?sector=handicrafts", f"/api/actions?unit={COUNTY}&sector=handicrafts"),
            (f"/progress/{province}", f"/api/progress?unit={province}"),
        ]
        compare_pages(client, pairs, GOAL_MS)
    finally:
        remove_roadmaps(TITLE)


if __name__ == "__main__":
    main()
