"""Roadmap draft and suggestions benchmark: the draft of a new roadmap from the evidence, and the
actions suggested from places like it, against the unit profile.

Times ``spatial.planning.draft.roadmap_draft`` and ``spatial.planning.similar.roadmap_suggestions``
for a county and a neighbourhood of the demo (about 6,200 neighbourhoods), three ways: warm; first
after a data change once the server's warmer has had its time (``spatial.serving.warming.Warmer``
with what ``api.app`` gives it: the unit pages' and the drafts' level inputs), which is what a
planner meets on a running server; and first after a data change without the warmer (the
honest cold figure: the level-wide location quotients, shift-share and standardised profiles
computed by the call itself). Against the peer ``spatial.analytics.profile.unit_profile`` — the
profile the unit page and the planner read today, from the same analyses. Goal: draft and
suggestions each under 500 ms, warm and first after a change.

Run: ``.venv/bin/python bench/draft.py`` (uses the configured database: the embedded
PostGIS by default, migrated and given the demo first if need be).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

# The repository first: bench/maps.py would otherwise shadow the maps package.
REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)

from sqlalchemy import text  # noqa: E402

from api.pages.units import warm_unit_pages  # noqa: E402
from spatial.analytics.profile import unit_profile  # noqa: E402
from spatial.db.engine import session_scope  # noqa: E402
from spatial.demo import prepare_demo_database  # noqa: E402
from spatial.planning.draft import roadmap_draft, warm_roadmap_inputs  # noqa: E402
from spatial.planning.similar import roadmap_suggestions  # noqa: E402
from spatial.serving.warming import Warmer, in_turn  # noqa: E402

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


def _first_after_change(fn: Callable[[], object], warmer: Warmer | None) -> float:
    """``fn`` once after a data change: with ``warmer`` having warmed first, or without a warmer."""
    _change_data()
    if warmer is not None:
        assert warmer.warm_if_changed()
    return _once(fn)


def main() -> None:
    prepare_demo_database(progress=lambda step: print(f"  demo: {step}", flush=True))
    with session_scope() as session:
        hoods = session.execute(text(
            "SELECT count(*) FROM admin_unit WHERE level = 'neighbourhood' AND valid_to IS NULL")).scalar_one()
    print(f"demo: {hoods:,} neighbourhoods")
    warmer = Warmer(in_turn(warm_unit_pages, warm_roadmap_inputs), every_s=0)  # as the server's, run here in turn
    for code in UNITS:
        with session_scope() as session:
            found = roadmap_suggestions(session, code, "fa")
            draft = _best(lambda: roadmap_draft(session, code, "fa"))  # noqa: B023 (called at once)
            suggest = _best(lambda: roadmap_suggestions(session, code, "fa"))  # noqa: B023
            profile = _best(lambda: unit_profile(session, code))  # noqa: B023
        figures: dict[str, tuple[float, float]] = {}
        for name, fn in (("draft", roadmap_draft), ("suggestions", roadmap_suggestions)):
            with session_scope() as session:
                call = lambda: fn(session, code, "fa")  # noqa: B023, E731
                figures[name] = (_first_after_change(call, warmer), _first_after_change(call, None))
        print(f"{code}: warm draft {draft * 1000:.0f} ms, suggestions {suggest * 1000:.0f} ms "
              f"({len(found['similar'])} similar places, {len(found['suggestions'])} suggestions); "
              f"unit profile (peer) {profile * 1000:.0f} ms, ratio draft/profile {draft / profile:.2f}, "
              f"suggestions/profile {suggest / profile:.2f}")
        for name, (warmed, cold) in figures.items():
            print(f"  {name} first after a change: warmer given time {warmed * 1000:.0f} ms "
                  f"({_verdict(warmed)} the {GOAL_S * 1000:.0f} ms goal), without the warmer {cold * 1000:.0f} ms "
                  f"({_verdict(cold)} it)")
        print(f"  warm: {_verdict(draft, suggest)} the {GOAL_S * 1000:.0f} ms goal")


if __name__ == "__main__":
    main()
