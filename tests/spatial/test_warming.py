"""After a data change, a server's warmer computes what unit pages show of a whole level
before any reader asks for it; unchanged data is not warmed twice."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.generation import DataState, read_data_state


def test_the_warmer_fills_the_level_caches_once_per_data_change(database_url: str) -> None:
    from api.pages.units import warm_unit_pages
    from spatial.analytics import indices
    from spatial.db.engine import session_scope
    from spatial.serving.warming import Warmer

    warmed: list[DataState] = []

    def warm(session: Session) -> None:
        warmed.append(read_data_state(session))
        warm_unit_pages(session)

    def not_computed_again() -> dict[tuple[int, str, str], int]:
        raise AssertionError("a reader had to compute the level")

    warmer = Warmer(warm, every_s=60)
    assert warmer.warm_if_changed() and not warmer.warm_if_changed()
    with session_scope() as session:  # a change to published data: a new generation
        session.execute(text("UPDATE indicator SET name_en = name_en WHERE code = 'unemployment_rate'"))
    assert warmer.warm_if_changed()
    with session_scope() as session:
        assert warmed[-1] == read_data_state(session) != warmed[0]
        # What the unit pages count over the whole level is there for the new generation.
        indices._scored_units.get(session, "all", not_computed_again)


def test_a_started_warmer_warms_in_the_background_and_stops(database_url: str) -> None:
    from spatial.serving.warming import Warmer

    seen: list[DataState] = []
    warmer = Warmer(lambda session: seen.append(read_data_state(session)), every_s=0.05)
    warmer.start()
    try:
        for _ in range(200):
            if warmer.warmed is not None:
                break
            time.sleep(0.05)
    finally:
        warmer.stop()
    assert seen and warmer.warmed == seen[0]
