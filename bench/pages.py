"""Workspace pages benchmark: server time of each page for a county with 50 actions in 20 roadmaps.

Creates (committed, removed at the end) 20 roadmaps with 50 actions, each with a key result
and a measurement, in a demo county, then times every page in :data:`PAGES` through the
real app in-process (ASGI, no network), signed in as the demo planner, against a named
floor: the API's JSON of the same data where one exists (``/api/units/{code}/profile``
for the unit page), else ``/health`` (the cheapest route that touches the database).
Prints the median and worst of ``--repeat`` runs, and the ratio to the floor.

Goal (issue 17): no page slower than 300 ms on the server.

    .venv/bin/python bench/pages.py              # uses the embedded PostGIS with the demo loaded
    .venv/bin/python bench/pages.py --repeat 20

Helpers adding a page add its path (and a floor) to :data:`PAGES`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

# Python puts this folder first on the path, where bench/maps.py would hide the maps
# package that the app imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from fastapi.testclient import TestClient  # noqa: E402 - after the path fix above

from api.app import create_app  # noqa: E402
from spatial.accounts.tokens import issue_token  # noqa: E402
from spatial.db.engine import session_scope  # noqa: E402
from spatial.planning.history import LocalEditor  # noqa: E402
from spatial.planning.roadmap_inputs import ActionIn, KeyResultIn, MeasurementIn, RoadmapIn  # noqa: E402
from spatial.planning.roadmaps import create_action, create_measurement, create_roadmap, delete_roadmap  # noqa: E402

COUNTY = "IR-15-02"
ROADMAPS, ACTIONS = 20, 50
GOAL_MS = 300.0
EDITOR = LocalEditor("bench-pages")
SECTORS = ("agriculture", "industry", "services", "tourism", "handicrafts")

#: (label, page path, floor path): {county} is the benchmark's county.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("home (signed in)", "/home", "/health"),
    ("unit page, county", "/units/{county}", "/api/units/{county}/profile"),
    ("unit page, province", "/units/IR-15", "/api/units/IR-15/profile"),
    ("unit search", "/search?q=Synthetic county 2", "/api/units/{county}"),
)


def _seed() -> list[int]:
    """20 roadmaps and 50 actions in COUNTY, committed; their ids."""
    today = date.today()
    ids = []
    with session_scope() as session:
        for r in range(ROADMAPS):
            roadmap = create_roadmap(session, RoadmapIn(unit=COUNTY, title=f"نقشه راه آزمون {r + 1}",
                                                        start_date=today - timedelta(days=200),
                                                        end_date=today + timedelta(days=900), status="approved"),
                                     EDITOR)
            ids.append(roadmap["id"])
        for a in range(ACTIONS):
            action = create_action(session, ActionIn(
                roadmap_id=ids[a % ROADMAPS], title=f"اقدام آزمون {a + 1}", sector=SECTORS[a % len(SECTORS)],
                start_date=today - timedelta(days=100), end_date=today + timedelta(days=265),
                key_results=[KeyResultIn(indicator="شغل ایجادشده", baseline=0, target=100,
                                         target_date=today + timedelta(days=265))]), EDITOR)
            create_measurement(session, MeasurementIn(key_result_id=action["key_results"][0]["id"],
                                                      measured_on=today - timedelta(days=10), value=a * 2.0),
                               EDITOR)
    return ids


def _remove(ids: list[int]) -> None:
    with session_scope() as session:
        for rid in ids:
            delete_roadmap(session, rid, EDITOR)


def _times(client: TestClient, path: str, repeat: int) -> list[float]:
    client.get(path)  # warm caches and imports
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    ids = _seed()
    try:
        app = create_app()
        with TestClient(app) as client:
            client.cookies.set("pishraft_session", issue_token("demo-planner"))
            print(f"{ROADMAPS} roadmaps, {ACTIONS} actions in {COUNTY}; median / worst of {args.repeat} runs")
            worst_page = 0.0
            for label, page, floor in PAGES:
                page_ms = _times(client, page.format(county=COUNTY), args.repeat)
                floor_ms = _times(client, floor.format(county=COUNTY), args.repeat)
                median = statistics.median(page_ms)
                worst_page = max(worst_page, median)
                print(f"{label:22s} {median:7.1f} / {max(page_ms):7.1f} ms | floor {floor:28s} "
                      f"{statistics.median(floor_ms):7.1f} ms | ratio {median / statistics.median(floor_ms):5.2f}")
            verdict = "met" if worst_page <= GOAL_MS else "NOT met"
            print(f"slowest page median {worst_page:.1f} ms (goal <= {GOAL_MS:.0f} ms: {verdict})")
    finally:
        _remove(ids)


if __name__ == "__main__":
    main()
