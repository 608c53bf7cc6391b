"""Fair distribution over time: per period, the Gini and Theil T that
``spatial_stats.inequality`` gives; the Lorenz curve agrees with the Gini; the fifths' gap
on a worked example; the page's API answers the same numbers."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from spatial.analytics.fairness import NATION, fairness_over_time
from spatial.analytics.spatial_stats import fifths_gap, gini, inequality, lorenz
from spatial.errors import InvalidInput

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
