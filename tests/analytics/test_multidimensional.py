"""Alkire-Foster multidimensional deprivation: the method's own worked example, then on the demo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from spatial.analytics.multidimensional import (
    alkire_foster, compute_af, deprivation_scores, parse_af_definition,
)
from spatial.errors import InvalidInput

#: Alkire & Foster (2011), section 2: four people, four dimensions (income, years of schooling,
#: a health score, health insurance), cut-offs z = (13, 12, 3, 1), deprived strictly below.
ACHIEVEMENTS = np.array([[13.1, 14, 4, 1], [15.2, 7, 5, 0], [12.5, 10, 1, 0], [20, 11, 3, 1]])
CUTOFFS = np.array([13.0, 12.0, 3.0, 1.0])


def test_the_papers_worked_example() -> None:
    """Alkire, S. and Foster, J. (2011), "Counting and multidimensional poverty measurement",
    Journal of Public Economics 95(7–8): 476–487, section 2's example with equal weights and
    k = 2 of 4 dimensions: deprivation counts c = (0, 2, 4, 1); the second and third persons are
    poor, so H = 1/2, A = 3/4 and M0 = H·A = 3/8 = 0.375; censored headcounts 1/4, 2/4, 1/4, 2/4."""
    weights, below = np.full(4, 0.25), np.ones(4, dtype=bool)
    assert (deprivation_scores(ACHIEVEMENTS, CUTOFFS, weights, below) * 4).tolist() == [0, 2, 4, 1]
    result = alkire_foster(ACHIEVEMENTS, CUTOFFS, weights, below, k=0.5)
    assert (result.h, result.a, result.m0) == (0.5, 0.75, 0.375)
    assert result.censored_headcounts.tolist() == [0.25, 0.5, 0.25, 0.5]
    assert result.contributions.sum() == pytest.approx(1.0)
    union = alkire_foster(ACHIEVEMENTS, CUTOFFS, weights, below, k=0.25)  # any deprivation: the union approach
    assert union.h == 0.75


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (8, 3), elements=st.floats(0, 10)), arrays(np.float64, 8, elements=st.floats(0.1, 1e4)),
       st.floats(0.05, 1.0))
def test_m0_is_h_times_a_and_the_weighted_censored_headcounts(x: np.ndarray, pop: np.ndarray, k: float) -> None:
    weights = np.array([0.5, 0.3, 0.2])
    result = alkire_foster(x, np.full(3, 5.0), weights, np.array([True, False, True]), k, pop)
    assert result.m0 == pytest.approx(result.h * result.a)
    assert result.m0 == pytest.approx(float(weights @ result.censored_headcounts))
    assert 0 <= result.h <= 1 and (result.a == 0 or k - 1e-9 <= result.a <= 1 + 1e-9)


DEFINITION = {
    "code": "af_demo", "name_fa": "محرومیت چندبعدی", "name_en": "Multidimensional deprivation",
    "level": "neighbourhood", "period": "2024", "k": 0.34,
    "indicators": [{"code": "unemployment_rate", "cutoff": 12, "weight": 0.34},
                   {"code": "literacy_rate", "cutoff": 85, "weight": 0.33},
                   {"code": "health_centres_per_10k", "cutoff": 2.5, "weight": 0.33}],
}


def test_units_above_the_observed_ones_get_population_weighted_measures(session: Session) -> None:
    summary = compute_af(session, DEFINITION)
    assert summary["m0"] == pytest.approx(summary["h"] * summary["a"]) and 0 < summary["h"] < 1
    # Censoring keeps only the deprivations of the multidimensionally deprived.
    for code, share in summary["censored_headcounts"].items():
        assert 0 <= share <= summary["uncensored_headcounts"][code]
    assert summary["uncensored_headcounts"]["unemployment_rate"] > 0  # deprived above the cut-off (higher_is_worse)
    rows = session.execute(text(
        """SELECT u.code, u.level, r.population, r.h, r.m0 FROM af_result r JOIN admin_unit u ON u.id = r.unit_id
           WHERE r.measure_id = :id"""), {"id": summary["id"]}).all()
    by = {r.code: r for r in rows}
    children = [r for r in rows if r.level == "county" and r.code.startswith("IR-15-")]
    province = by["IR-15"]
    assert province.population == pytest.approx(sum(c.population for c in children))
    assert province.m0 == pytest.approx(sum(c.m0 * c.population for c in children) / province.population)
    assert {r.level for r in rows} == {"neighbourhood", "county", "province"}
    assert {r.h for r in rows if r.level == "neighbourhood"} <= {0.0, 1.0}


def test_the_same_definition_keeps_its_version_and_hash(session: Session) -> None:
    first = compute_af(session, DEFINITION)
    again = compute_af(session, DEFINITION)
    assert again["id"] == first["id"] and again["definition_hash"] == first["definition_hash"]
    changed = compute_af(session, {**DEFINITION, "k": 0.5})
    assert changed["id"] != first["id"] and changed["h"] <= first["h"]


@pytest.mark.parametrize(("change", "field"), [
    ({"k": 0}, "k"),
    ({"level": "planet"}, "level"),
    ({"indicators": [{"code": "unemployment_rate", "cutoff": 12, "weight": 0.5}]}, "weights"),
    ({"indicators": [{"code": "unemployment_rate", "cutoff": "high", "weight": 1}]}, "indicators[0].cutoff"),
])
def test_bad_definitions_name_the_field(change: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_af_definition({**DEFINITION, **change})
    assert caught.value.field == field


def test_the_api_stores_it_and_the_profile_shows_it(client: TestClient) -> None:
    created = client.post("/api/deprivation", json={**DEFINITION, "code": "af_api"})
    assert created.status_code == 201, created.text
    provinces = client.get("/api/deprivation/af_api?level=province").json()
    assert len(provinces["units"]) == 31
    assert provinces["measure"]["definition_hash"] == created.json()["definition_hash"]
    m0 = [u["m0"] for u in provinces["units"]]
    assert m0 == sorted(m0, reverse=True)
    profile = client.get("/api/units/IR-15/profile").json()
    mine = next(d for d in profile["multidimensional_deprivation"] if d["code"] == "af_api")
    assert mine["m0"] == pytest.approx(mine["h"] * mine["a"])
    assert set(mine["contributions"]) == {"unemployment_rate", "literacy_rate", "health_centres_per_10k"}
    missing = client.post("/api/deprivation", json={**DEFINITION, "code": "af_bad",
                                                    "indicators": [{"code": "nope", "cutoff": 1, "weight": 1}]})
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "indicator"
    assert client.get("/api/deprivation/af_bad?level=province").status_code == 404


def test_the_cli_computes_and_prints_h_a_m0(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "af.json"
    path.write_text(json.dumps({**DEFINITION, "code": "af_cli"}), encoding="utf-8")
    result = CliRunner().invoke(app, ["deprivation", str(path)])
    assert result.exit_code == 0, result.output
    assert "af_cli" in result.output and "M0 = " in result.output and "contribution" in result.output
    missing = CliRunner().invoke(app, ["deprivation", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 1 and "none.yaml" in missing.output
