"""After a data change, a server's warmer computes what unit pages show of a whole level
before any reader asks for it; unchanged data is not warmed twice."""

from __future__ import annotations

import time
from typing import Any

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


def test_after_a_data_change_the_warmed_draft_and_suggestion_inputs_are_the_new_generations(
        database_url: str) -> None:
    from spatial.analytics import advantage
    from spatial.analytics.indicators import latest_common_period
    from spatial.db.engine import session_scope
    from spatial.planning import similar
    from spatial.planning.draft import roadmap_draft, warm_roadmap_inputs
    from spatial.serving.warming import Warmer

    county = "IR-15-01"
    change = """UPDATE indicator_value v SET value = :value FROM admin_unit u, indicator i
                WHERE u.id = v.unit_id AND i.id = v.indicator_id AND u.code = :unit AND u.valid_to IS NULL
                  AND i.code = :indicator AND v.period = :period"""

    def not_computed_again() -> Any:
        raise AssertionError("a planner had to compute the level")

    warmer = Warmer(warm_roadmap_inputs, every_s=60)
    with session_scope() as session:
        sectors = advantage.sector_indicators(session)
        period = latest_common_period(session, list(sectors.values()))
        draft = roadmap_draft(session, county, "en")
        # A sector the county has no advantage in, and its jobs there.
        sector = next(s for s in sectors if s not in {a["sector"] for a in draft["advantages"]})
        jobs = {code: value for code, value in session.execute(text(
            """SELECT i.code, v.value FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id
               JOIN admin_unit u ON u.id = v.unit_id WHERE u.code = :unit AND u.valid_to IS NULL
                 AND v.period = :period AND i.code = ANY(:codes)"""),
            {"unit": county, "period": period, "codes": list(sectors.values())})}
        before = similar.level_profile(session, "county")
    where = {"unit": county, "indicator": sectors[sector], "period": period}
    try:
        with session_scope() as session:  # the county's jobs in that sector grow tenfold past all its others
            session.execute(text(change), {**where, "value": 10 * sum(jobs.values())})
        assert warmer.warm_if_changed()
        with session_scope() as session:
            # What drafts and suggestions read of the whole level is there, for the new values.
            frame = advantage._level_frames.get(session, ("county", period), not_computed_again)
            mine = frame[(frame["code"] == county) & (frame["sector"] == sector)]
            assert mine["value"].tolist() == [10 * sum(jobs.values())]
            after = similar._profiles.get(session, "county", not_computed_again)
            assert before is not None and after is not None and after is not before
            # The draft now proposes the sector as an advantage.
            assert sector in [a["sector"] for a in roadmap_draft(session, county, "en")["advantages"]]
    finally:
        with session_scope() as session:
            session.execute(text(change), {**where, "value": jobs[sectors[sector]]})
