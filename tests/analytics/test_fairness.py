"""Fair distribution over time: per period, the Gini and Theil T that
``spatial_stats.inequality`` gives; the Lorenz curve agrees with the Gini; the fifths' gap
on a worked example; the page's API answers the same numbers."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.fairness import NATION, fairness_over_time
from spatial.analytics.spatial_stats import fifths_gap, gini, inequality, lorenz
from spatial.errors import InvalidInput
from spatial.messages import t
from spatial.planning.monitor import money_per_head, record_disbursement
from spatial.planning.roadmap_inputs import ActionIn, FinancingIn, RoadmapIn
from spatial.planning.roadmaps import create_action, create_roadmap
from tests.workspace.planning import EDITOR

PROVINCE = "IR-15"


def test_each_period_holds_the_gini_and_theil_of_inequality(session: Session) -> None:
    result = fairness_over_time(session, "unemployment_rate", NATION)
    assert result["level"] == "county" and result["group_level"] == "province"
    assert [p["period"] for p in result["periods"]] == ["2023", "2024"]
    for row in result["periods"]:
        expected = inequality(session, "unemployment_rate", "county", row["period"])
        assert row["gini"] == expected["gini"] and row["theil"] == expected["theil"] and row["n"] == expected["n"]
        assert row["theil"]["between"] + row["theil"]["within"] == pytest.approx(row["theil"]["total"])


def test_below_a_province_the_groups_are_its_counties(session: Session) -> None:
    result = fairness_over_time(session, "literacy_rate", PROVINCE, population_weighted=False)
    assert result["level"] == "neighbourhood" and result["group_level"] == "county"
    latest = result["periods"][-1]
    expected = inequality(session, "literacy_rate", "neighbourhood", latest["period"], PROVINCE,
                          population_weighted=False)
    assert latest["gini"] == expected["gini"] and latest["theil"] == expected["theil"]
    # Literacy: the most deprived fifth is the least literate.
    assert latest["fifths"]["most_deprived"] < latest["fifths"]["least_deprived"]


def test_the_published_gini_values_hold_through_the_fifths_and_the_lorenz_curve() -> None:
    # The suite's published values: perfect equality 0, one holder of five 0.8.
    assert gini(np.full(10, 3.0)) == 0.0 and gini(np.array([0.0, 0.0, 0.0, 0.0, 5.0])) == pytest.approx(0.8)
    people, held = lorenz(np.array([0.0, 0.0, 0.0, 0.0, 5.0]))
    assert 1 - 2 * np.trapezoid(held, people) == pytest.approx(0.8)
    rng = np.random.default_rng(7)
    values, weights = rng.gamma(2, 3, 300), rng.uniform(1, 9, 300)
    people, held = lorenz(values, weights)
    assert 1 - 2 * np.trapezoid(held, people) == pytest.approx(gini(values, weights))
    gap = fifths_gap(np.arange(1.0, 11.0), worse_is_higher=False)
    assert gap == {"most_deprived": 1.5, "least_deprived": 9.5, "gap": -8.0, "ratio": 1.5 / 9.5}


def test_a_level_that_is_not_below_the_unit_is_refused_by_name(session: Session) -> None:
    with pytest.raises(InvalidInput, match="no units at level 'province'"):
        fairness_over_time(session, "unemployment_rate", PROVINCE, level="province")


def test_the_api_answers_the_same_numbers(client: TestClient, session: Session) -> None:
    answer = client.get(f"/api/monitor/{NATION}/fairness", params={"indicator": "unemployment_rate"})
    assert answer.status_code == 200
    body = answer.json()
    for row in body["periods"]:
        expected = inequality(session, "unemployment_rate", "county", row["period"])
        assert row["gini"] == pytest.approx(expected["gini"], rel=1e-12)
        assert row["theil"]["between"] == pytest.approx(expected["theil"]["between"], rel=1e-12)
    assert body["lorenz"]["points"][0] == {"population": 0.0, "value": 0.0}
    assert body["lorenz"]["points"][-1] == {"population": 1.0, "value": pytest.approx(1.0)}
    bad = client.get(f"/api/monitor/{PROVINCE}/fairness", params={"indicator": "unemployment_rate", "level": "x"})
    assert bad.status_code == 422 and "level" in bad.text


def test_the_page_refuses_unknown_indicators_and_units_in_words(client: TestClient) -> None:
    page = client.get(f"/monitor/{NATION}/fairness", params={"indicator": "nope"})
    assert page.status_code == 404 and "nope" in page.text and "Traceback" not in page.text
    assert client.get("/monitor/XX-99/fairness").status_code == 404
    english = client.get(f"/monitor/{PROVINCE}/fairness", params={"lang": "en", "level": "county"})
    assert english.status_code == 200 and "Theil between groups" in english.text and "2024" in english.text


# --- money disbursed per head ---------------------------------------------------------------

MONEY_PROVINCE = "IR-07"
#: Jalali 1403 runs from 20 March 2024 to 20 March 2025 (stored as period "2024"); 1404 from 21 March 2025.
YEARS = {"2024": (date(2024, 3, 20), date(2025, 3, 21)), "2025": (date(2025, 3, 21), date(2026, 3, 21))}
# Roadmap unit → rials disbursed on each day: a county, a neighbourhood under it and one under another
# county (rolled up to their counties), and the province itself (above the counties: left out).
PAID = {
    "IR-07-01": [(date(2024, 6, 1), 40_000_000_000)],
    "IR-07-01-001": [(date(2025, 3, 20), 9_000_000_000), (date(2025, 6, 1), 3_000_000_000)],
    "IR-07-03-002": [(date(2024, 9, 1), 20_000_000_000)],
    "IR-07": [(date(2024, 7, 1), 99_000_000_000)],
}

_PAID_PER_COUNTY = text("""
    SELECT c.code, c.population::float AS population,
           coalesce((SELECT sum(d.amount_rials) FROM disbursement d JOIN financing f ON f.id = d.financing_id
                     JOIN action a ON a.id = f.action_id JOIN roadmap r ON r.id = a.roadmap_id
                     JOIN admin_unit u ON u.id = r.unit_id
                     WHERE (u.id = c.id OR u.parent_id = c.id) AND d.kind = 'disbursed'
                       AND d."on" >= :start AND d."on" < :end AND f.archived_at IS NULL
                       AND a.archived_at IS NULL AND r.archived_at IS NULL AND a.status <> 'cancelled'), 0)::float AS rials
    FROM admin_unit c
    WHERE c.parent_id = (SELECT id FROM admin_unit WHERE code = :province AND valid_to IS NULL) AND c.valid_to IS NULL
    ORDER BY c.code""")


@pytest.fixture
def paid(session: Session) -> dict[str, int]:
    """The money of :data:`PAID` disbursed in this test's transaction (rolled back after it)."""
    start = date(2024, 4, 1)
    lines = {}
    for unit, payments in PAID.items():
        roadmap = create_roadmap(session, RoadmapIn(unit=unit, title=f"نقشه راه پول {unit}", start_date=start,
                                                    end_date=start + timedelta(days=1000)), EDITOR)
        action = create_action(session, ActionIn(roadmap_id=roadmap["id"], title=f"اقدام پول {unit}", start_date=start,
                                                 end_date=start + timedelta(days=900),
                                                 financing=[FinancingIn(source="sponsor", amount_rials=10**12)]), EDITOR)
        lines[unit] = session.execute(text("SELECT id FROM financing WHERE action_id = :a"),
                                      {"a": action["id"]}).scalar_one()
        for day, rials in payments:
            record_disbursement(session, lines[unit], "disbursed", day, rials, EDITOR)
        record_disbursement(session, lines[unit], "committed", start, 10**11, EDITOR)  # committed is not paid
    return lines


def _weighted_gini(x: np.ndarray, w: np.ndarray) -> float:
    """Gini as the weighted mean absolute difference over twice the mean (written apart from ``gini``)."""
    mean = (w * x).sum() / w.sum()
    return float((w[:, None] * w[None, :] * np.abs(x[:, None] - x[None, :])).sum() / (2 * w.sum() ** 2 * mean))


def test_money_per_head_per_jalali_year_matches_independent_sql_and_gini(session: Session,
                                                                          paid: dict[str, int]) -> None:
    result = money_per_head(session, MONEY_PROVINCE, "county")
    assert result["level"] == "county" and result["group_level"] == "province"
    assert [p["period"] for p in result["periods"]] == ["2024", "2025"]
    for row in result["periods"]:
        start, end = YEARS[row["period"]]
        counties = session.execute(_PAID_PER_COUNTY, {"start": start, "end": end,
                                                      "province": MONEY_PROVINCE}).mappings().all()
        x = np.array([c["rials"] / c["population"] for c in counties])
        w = np.array([c["population"] for c in counties])
        assert row["n"] == len(counties) == 10
        assert row["gini"] == pytest.approx(_weighted_gini(x, w), abs=1e-12)
        assert row["theil"]["between"] == pytest.approx(0.0, abs=1e-12)  # one province: all within
    # The known payments: Esfand 30, 1403 still counts for 1403; the province's own money counts for no county.
    counties_2024 = {c["code"]: c for c in session.execute(_PAID_PER_COUNTY, {
        "start": YEARS["2024"][0], "end": YEARS["2024"][1], "province": MONEY_PROVINCE}).mappings()}
    assert counties_2024["IR-07-01"]["rials"] >= 49_000_000_000 and counties_2024["IR-07-03"]["rials"] >= 20_000_000_000
    first = result["periods"][0]
    assert first["fifths"] is not None and first["fifths"]["gap"] == pytest.approx(
        first["fifths"]["most_deprived"] - first["fifths"]["least_deprived"])
    x = np.array([c["rials"] / c["population"] for c in counties_2024.values()])
    people, held = lorenz(x, np.array([c["population"] for c in counties_2024.values()]))
    assert result["lorenz"]["period"] == "2025" and len(result["lorenz"]["points"]) == 11
    assert gini(x, np.array([c["population"] for c in counties_2024.values()])) == pytest.approx(first["gini"])
    assert held[-1] == pytest.approx(1.0) and people[-1] == pytest.approx(1.0)


def test_the_fairness_api_answers_money_per_head_and_says_when_there_is_none(client: TestClient) -> None:
    none = client.get(f"/api/monitor/{MONEY_PROVINCE}/fairness?indicator=money_per_head&level=county")
    assert none.status_code == 422 and "money_per_head" in none.text
    page = client.get(f"/monitor/{MONEY_PROVINCE}/fairness?indicator=money_per_head&level=county")
    assert page.status_code == 200 and t("fairness.no_money") in page.text
