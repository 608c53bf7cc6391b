"""Comparative advantage from sector indicators stored per unit."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.advantage import advantages, top_advantages
from spatial.errors import NotFound
from tests.analytics.conftest import set_values


def _counties(session: Session, province: str) -> list[str]:
    return list(session.execute(text("""SELECT c.code FROM admin_unit c JOIN admin_unit p ON p.id = c.parent_id
                                        WHERE p.code = :p ORDER BY c.code"""), {"p": province}).scalars())


@pytest.fixture
def sectors(session: Session) -> list[str]:
    session.execute(text("UPDATE indicator SET meta = meta - 'sector'"))  # set the demo's sectors aside
    counties = _counties(session, "IR-15")
    # The first county farms four times as much as its siblings, relative to services.
    farming = {c: (400.0 if i == 0 else 100.0) for i, c in enumerate(counties)}
    services = {c: 100.0 for c in counties}
    set_values(session, "jobs_farming", farming, meta={"sector": "farming"}, rollup="sum")
    set_values(session, "jobs_services", services, meta={"sector": "services"}, rollup="sum")
    return counties


def test_location_quotient_against_parent_for_each_county(session: Session, sectors: list[str]) -> None:
    period, frame = advantages(session, "county", parent_code="IR-15")
    assert period == "2024"
    farming = frame[frame["sector"] == "farming"].set_index("code")["lq_parent"]
    total_farming, total = 400 + 9 * 100, 400 + 9 * 100 + 10 * 100
    assert farming[sectors[0]] == pytest.approx((400 / 500) / (total_farming / total))
    assert farming[sectors[1]] == pytest.approx((100 / 200) / (total_farming / total))


def test_top_advantages_name_the_concentrated_sector(session: Session, sectors: list[str]) -> None:
    result = top_advantages(session, sectors[0])
    assert [t["sector"] for t in result["top"]] == ["farming"]
    assert result["top"][0]["lq_parent"] > 1 and 0 < result["specialisation_parent"] < 1


def test_without_sector_indicators_the_error_says_how_to_add_them(session: Session) -> None:
    session.execute(text("UPDATE indicator SET meta = meta - 'sector'"))
    with pytest.raises(NotFound, match="sector"):
        advantages(session, "county")


def test_changed_values_are_seen_at_once_though_level_quotients_are_kept(session: Session,
                                                                          sectors: list[str]) -> None:
    before = top_advantages(session, sectors[0])
    assert top_advantages(session, sectors[0]) == before  # the level's quotients, kept
    # Now the second county farms most: a new data generation, so the quotients are recomputed.
    set_values(session, "jobs_farming", {sectors[0]: 100.0, sectors[1]: 400.0}, meta={"sector": "farming"},
               rollup="sum")
    assert [t["sector"] for t in top_advantages(session, sectors[0])["top"]] == ["services"]
    assert [t["sector"] for t in top_advantages(session, sectors[1])["top"]] == ["farming"]
