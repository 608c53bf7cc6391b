"""Roadmap draft and suggestions benchmark: the draft of a new roadmap from the evidence, and the
actions suggested from places like it, against the unit profile.

Times ``spatial.planning.draft.roadmap_draft`` and ``spatial.planning.similar.roadmap_suggestions``
for a county and a neighbourhood of the demo (about 6,200 neighbourhoods): first after a data
change (a new data generation: the level-wide location quotients, shift-share and standardised
profiles are computed and kept) and then warm, against the peer
``spatial.analytics.profile.unit_profile`` — the profile the unit page and the planner read
today, from the same analyses. Goal: draft and suggestions each under 500 ms, warm and first
after a change.

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
from spatial.planning.similar import roadmap_suggestions

UNITS = ("IR-15-01", "IR-15-01-001")
GOAL_S = 0.5


def _best(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _once(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _change_data() -> None:
    """A new data generation, as after an import, without changing any value (the triggers
    that bump it are statement-level, so an update of no row is a change)."""
    with session_scope() as session:
        session.execute(text("UPDATE indicator_value SET value = value WHERE false"))


def _verdict(*seconds: float) -> str:
    return "meets" if max(seconds) < GOAL_S else "MISSES"


def main() -> None:
    prepare_demo_database(progress=lambda step: print(f"  demo: {step}", flush=True))
    with session_scope() as session:
        hoods = session.execute(text(
            "SELECT count(*) FROM admin_unit WHERE level = 'neighbourhood' AND valid_to IS NULL")).scalar_one()
    print(f"demo: {hoods:,} neighbourhoods")
    for code in UNITS:
        _change_data()
        with session_scope() as session:
            draft_first = _once(lambda: roadmap_draft(session, code, "fa"))  # noqa: B023 (called at once)
            draft = _best(lambda: roadmap_draft(session, code, "fa"))  # noqa: B023
            profile = _best(lambda: unit_profile(session, code))  # noqa: B023
        _change_data()
        with session_scope() as session:
            suggest_first = _once(lambda: roadmap_suggestions(session, code, "fa"))  # noqa: B023
            suggest = _best(lambda: roadmap_suggestions(session, code, "fa"))  # noqa: B023
            found = roadmap_suggestions(session, code, "fa")
        print(f"{code}: draft first after a change {draft_first * 1000:.0f} ms, warm {draft * 1000:.0f} ms; "
              f"suggestions first after a change {suggest_first * 1000:.0f} ms, warm {suggest * 1000:.0f} ms "
              f"({len(found['similar'])} similar places, {len(found['suggestions'])} suggestions); "
              f"unit profile (peer) {profile * 1000:.0f} ms; ratio warm draft/profile {draft / profile:.2f}, "
              f"suggestions/profile {suggest / profile:.2f}; "
              f"{_verdict(draft_first, draft, suggest_first, suggest)} the {GOAL_S * 1000:.0f} ms goal")


if __name__ == "__main__":
    main()
