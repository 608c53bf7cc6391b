"""What a page shows of a whole level is kept per data generation: the kept answer is the fresh
computation's, and a change to published data (an indicator import, a newly scored index) makes
it be computed again."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics import bivariate, indicators, indices, shift_share, spatial_stats
from spatial.analytics.advantage import sector_indicators
from spatial.analytics.profile import unit_profile
from spatial.db.generation import read_generation
from spatial.units import frames

DEPRIVATION = "index:deprivation_demo"
CAPACITY = "index:capacity_demo"


def _a_neighbourhood(session: Session) -> str:
    return str(session.execute(text("SELECT min(code) FROM admin_unit WHERE level = 'neighbourhood' "
                                    "AND valid_to IS NULL")).scalar_one())


def _import_jobs(session: Session, code: str, period: str, jobs: float) -> None:
    """An indicator import: the unit's tourism jobs in ``period`` set to ``jobs``."""
    indicators.import_csv(session, f"unit_code,period,jobs_tourism\n{code},{period},{jobs}\n")


def test_kept_level_results_equal_a_fresh_computation(session: Session) -> None:
    sectors = sector_indicators(session)
    kept = shift_share.unit_shift_share(session, "neighbourhood", "2023", "2024")
    fresh = shift_share._level_shift_share(session, sectors, "neighbourhood", "2023", "2024")
    pd.testing.assert_frame_equal(kept, fresh)
    assert shift_share.unit_shift_share(session, "neighbourhood", "2023", "2024") is kept

    assert bivariate.bivariate_classes(session, CAPACITY, DEPRIVATION, "neighbourhood") == \
        bivariate._bivariate_classes(session, CAPACITY, DEPRIVATION, "neighbourhood", None, None)
    assert indices.index_scores(session, "deprivation_demo", "county") == \
        indices._index_scores(session, "deprivation_demo", "county", None, None)
    assert indicators.indicator_info(session, "unemployment_rate") == \
        indicators._indicator_info(session, "unemployment_rate")
    assert indicators.list_indicators(session) == indicators._list_indicators(session, None)
    kept_frame = frames.units_frame(session, level="county")
    fresh_frame = frames.frame_of_units(frames.fetch_units(session, level="county")())
    pd.testing.assert_frame_equal(kept_frame, fresh_frame)


def test_the_kept_lisa_clusters_are_those_computed_now(session: Session) -> None:
    kept = spatial_stats.lisa_clusters(session, "unemployment_rate", "county", "2024")
    values = indicators.values_by_unit(session, "unemployment_rate", level="county", period="2024")[1]
    fresh = spatial_stats.lisa_labels(session, pd.Series(values, dtype=float))
    assert kept == fresh and set(kept.values()) <= {"HH", "LL", "HL", "LH", "ns"}


def test_a_copy_of_a_kept_frame_may_be_changed_without_changing_the_next(session: Session) -> None:
    first = frames.units_frame(session, level="province")
    first["href"] = "x"
    assert "href" not in frames.units_frame(session, level="province")


def test_an_indicator_import_makes_the_level_be_computed_again(session: Session) -> None:
    hood = _a_neighbourhood(session)
    before = unit_profile(session, hood)["shift_share"]
    kept = shift_share.unit_shift_share(session, "neighbourhood", "2023", "2024")
    generation = read_generation(session)

    _import_jobs(session, hood, "2024", 987_654)

    assert read_generation(session) != generation
    after = shift_share.unit_shift_share(session, "neighbourhood", "2023", "2024")
    assert after is not kept
    pd.testing.assert_frame_equal(
        after, shift_share._level_shift_share(session, sector_indicators(session), "neighbourhood", "2023", "2024"))
    tourism = after[(after["code"] == hood) & (after["sector"] == "tourism")]
    assert float(tourism["final"].iloc[0]) == 987_654
    assert unit_profile(session, hood)["shift_share"] != before


def test_an_imported_period_appears_in_the_indicator_periods(session: Session) -> None:
    assert "2031" not in indicators.indicator_info(session, "jobs_tourism")["periods"]  # type: ignore[operator]
    _import_jobs(session, _a_neighbourhood(session), "2031", 5)
    assert "2031" in indicators.indicator_info(session, "jobs_tourism")["periods"]  # type: ignore[operator]
    listed = {i["code"]: i["periods"] for i in indicators.list_indicators(session)}
    assert "2031" in listed["jobs_tourism"]


def test_scoring_an_index_makes_a_new_data_generation(session: Session) -> None:
    """Index scores are kept (ranks, bivariate classes), so a new score must invalidate them."""
    kept = bivariate.bivariate_classes(session, CAPACITY, DEPRIVATION, "county")
    generation = read_generation(session)
    definition = indices.resolve_index(session, "deprivation_demo")["definition"]
    indices.compute_index(session, {**definition, "levels": ["county"]}, clusters=False)
    assert read_generation(session) != generation
    assert bivariate.bivariate_classes(session, CAPACITY, DEPRIVATION, "county") is not kept


@pytest.mark.parametrize("level", ["province", "county", "neighbourhood"])
def test_a_unit_profile_from_kept_results_is_the_profile_computed_fresh(session: Session, level: str) -> None:
    code = str(session.execute(text("SELECT min(code) FROM admin_unit WHERE level = :l AND valid_to IS NULL"),
                               {"l": level}).scalar_one())
    warm = unit_profile(session, code)
    assert unit_profile(session, code) == warm
    assert warm["bivariate"] == bivariate._bivariate_classes(session, CAPACITY, DEPRIVATION, level, None,
                                                                None).get(code)
    for row in warm["indices"]:
        counted = session.execute(text("SELECT count(*) FROM index_score WHERE index_id = :i AND period = :p "
                                       "AND level = :l"), {"i": row["id"], "p": row["period"], "l": level}).scalar()
        assert row["out_of"] == counted > 0
