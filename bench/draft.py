"""Roadmap draft benchmark: the draft of a new roadmap from the evidence, against the unit profile.

Times ``spatial.planning.draft.roadmap_draft`` for a county and a neighbourhood of the demo
(about 6,200 neighbourhoods), first call after a data change (the level-wide location
quotients and shift-share are computed and kept) and then warm, against the peer
``spatial.analytics.profile.unit_profile`` — the profile the unit page and the planner read
today, from the same analyses. Goal: the warm draft under 500 ms.

Run: ``.venv/bin/python bench/draft.py`` (uses the configured database: the embedded
PostGIS by default, migrated and given the demo first if need be).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text

from spatial.analytics.profile import unit_profile
from spatial.db.engine import session_scope
from spatial.demo import prepare_demo_database
from spatial.planning.draft import roadmap_draft

UNITS = ("IR-15-01", "IR-15-01-001")
GOAL_S = 0.5


def _best(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    prepare_demo_database(progress=lambda step: print(f"  demo: {step}", flush=True))
    with session_scope() as session:
        hoods = session.execute(text(
            "SELECT count(*) FROM admin_unit WHERE level = 'neighbourhood' AND valid_to IS NULL")).scalar_one()
        print(f"demo: {hoods:,} neighbourhoods")
        for code in UNITS:
            t0 = time.perf_counter()
            roadmap_draft(session, code, "fa")
            first = time.perf_counter() - t0
            draft = _best(lambda: roadmap_draft(session, code, "fa"))  # noqa: B023 (called at once)
            profile = _best(lambda: unit_profile(session, code))  # noqa: B023
            verdict = "meets" if draft < GOAL_S else "MISSES"
            print(f"{code}: draft first {first * 1000:.0f} ms, warm {draft * 1000:.0f} ms; "
                  f"unit profile (peer) {profile * 1000:.0f} ms; ratio draft/profile {draft / profile:.2f}; "
                  f"{verdict} the {GOAL_S * 1000:.0f} ms goal")


if __name__ == "__main__":
    main()
