"""Workspace pages benchmark: history, as-of, progress cores, past plans, handover form,
catalogues and the admin pages, for a busy county.

Writes one county's worth of plans (20 roadmaps, 50 actions, each action changed twice
and half of them measured, so that the busiest roadmap has a long history), then times
each page as the server answers it (in process, signed in as the demo admin, median of
7 after a warm-up) next to the JSON API call that returns the same data: the floor a
page cannot beat, since it makes the same core calls and then renders them.

Goal (issue #17): no page slower than 300 ms on the server.

Run: ``.venv/bin/python bench/work_pages.py`` (uses the embedded PostGIS with the demo
loaded). The plans it writes are deleted at the end.
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
from spatial.jalali import jalali_numeric  # noqa: E402
from spatial.planning.history import LocalEditor  # noqa: E402
from spatial.planning.roadmap_inputs import (  # noqa: E402
    ActionIn, ActionPatch, FinancingIn, KeyResultIn, MeasurementIn, RoadmapIn,
)
from spatial.planning.roadmaps import create_action, create_measurement, create_roadmap, update_action  # noqa: E402

COUNTY = "IR-16-04"
ROADMAPS, ACTIONS = 20, 50
TITLE = "bench-work-pages"
GOAL_MS = 300.0
EDITOR = LocalEditor("bench")


def _setup() -> list[int]:
    """Write the county's roadmaps and actions (the first roadmap holds a third of them)."""
    today = date.today()
    start = today - timedelta(days=300)
    with session_scope() as session:
        roadmap_ids = [create_roadmap(session, RoadmapIn(
            unit=COUNTY, title=f"{TITLE} {n}", start_date=start, end_date=start + timedelta(days=4 * 365),
            strategies=["گردشگری"]), EDITOR)["id"] for n in range(ROADMAPS)]
        for n in range(ACTIONS):
            rid = roadmap_ids[0] if n % 3 == 0 else roadmap_ids[n % ROADMAPS]
            action = create_action(session, ActionIn(
                roadmap_id=rid, title=f"{TITLE} action {n}", sector="handicrafts", start_date=start,
                end_date=start + timedelta(days=500),
                financing=[FinancingIn(source="sponsor", amount_rials=10**9)],
                key_results=[KeyResultIn(indicator="jobs", baseline=0, target=100,
                                         target_date=start + timedelta(days=500))]), EDITOR)
            update_action(session, action["id"], ActionPatch(status="in_progress"), EDITOR)
            update_action(session, action["id"], ActionPatch(jobs_expected=n + 10), EDITOR)
            if n % 2:
                create_measurement(session, MeasurementIn(key_result_id=action["key_results"][0]["id"],
                                                          measured_on=today - timedelta(days=10),
                                                          value=float(n * 2)), EDITOR)
    return roadmap_ids


def main() -> None:
    remove_roadmaps(TITLE)
    t0 = time.perf_counter()
    roadmap_ids = _setup()
    print(f"setup: {COUNTY}, {ROADMAPS} roadmaps, {ACTIONS} actions in {time.perf_counter() - t0:.1f} s")
    try:
        client = TestClient(create_app())
        client.cookies.set(COOKIE, issue_token("demo-admin"))
        rid = roadmap_ids[0]
        with session_scope() as session:
            core = session.execute(text("SELECT min(id) FROM progress_core")).scalar_one()
        today = date.today()
        pairs = [
            (f"/roadmaps/{rid}/history", f"/api/roadmaps/{rid}/history"),
            (f"/roadmaps/{rid}/as-of?on={jalali_numeric(today)}", f"/api/roadmaps/{rid}?as_of={today.isoformat()}"),
            ("/handovers", "/api/handovers"),
            (f"/handovers/new?roadmap={rid}", "/api/people"),
            ("/cores", "/api/cores"),
            (f"/cores/{core}", f"/api/cores/{core}"),
            (f"/cores/{core}/edit", f"/api/cores/{core}"),
            ("/past-plans?q=a", "/api/past-plans?q=a"),
            ("/layers", "/api/layers"),
            ("/indicators", "/api/indicators"),
            ("/indicators/derive", "/api/layers"),
            ("/admin/users", "/api/users"),
            ("/admin/keys", "/api/users"),
            ("/admin/audit", "/api/audit"),
        ]
        compare_pages(client, pairs, GOAL_MS)
    finally:
        remove_roadmaps(TITLE)


if __name__ == "__main__":
    main()
