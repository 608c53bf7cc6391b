"""Shift-share: a published worked example, its identities, and the API, profile and CLI on the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from typer.testing import CliRunner

from api.cli import app
from spatial.analytics.shift_share import COMPONENTS, shift_share


def test_the_published_hypothetical_example() -> None:
    """Clarksville Partnership, "Shift-share explanation", its hypothetical example: local
    construction jobs grew 6 %, the U.S. economy 2 % and U.S. construction 3 %, so the U.S.
    economy share is 2 %, the U.S. industry share 1 % and the local industry share 3 % (of the
    base jobs). Here 100 local construction jobs in a nation of 2,000 built to those rates."""
    base = pd.DataFrame({"construction": [100.0, 900.0], "other": [0.0, 1000.0]}, index=["local", "rest"])
    final = pd.DataFrame({"construction": [106.0, 924.0], "other": [0.0, 1010.0]}, index=["local", "rest"])
    result = shift_share(base, final).loc[("local", "construction")]
    assert [round(result[c], 6) for c in COMPONENTS] == [2.0, 1.0, 3.0]
    assert result["change"] == pytest.approx(6.0)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (5, 3), elements=st.floats(1, 1e5)), arrays(np.float64, (5, 3), elements=st.floats(0, 1e5)))
def test_the_three_parts_add_up_and_regional_shifts_cancel_nationally(base: np.ndarray, final: np.ndarray) -> None:
    frame = shift_share(pd.DataFrame(base), pd.DataFrame(final))
    assert np.allclose(frame[list(COMPONENTS)].sum(axis=1), frame["change"], rtol=1e-9, atol=1e-6)
    by_sector = frame.groupby(level="indicator")[["regional_shift", "change", "national_share", "industry_mix"]].sum()
    assert np.allclose(by_sector["regional_shift"], 0.0, atol=1e-6 * base.sum())
    assert np.allclose(by_sector["national_share"] + by_sector["industry_mix"], by_sector["change"],
                       rtol=1e-9, atol=1e-6)


def test_a_sector_new_everywhere_is_all_regional_shift() -> None:
    frame = shift_share(pd.DataFrame({"a": [10.0, 10.0], "new": [0.0, 0.0]}),
                        pd.DataFrame({"a": [10.0, 10.0], "new": [5.0, 0.0]}))
    assert frame.loc[(0, "new"), "regional_shift"] == pytest.approx(5.0)


def test_the_api_splits_every_province_and_sector(client: TestClient) -> None:
    body = client.get("/api/stats/shift-share?level=province&base=2023&final=2024").json()
    rows = pd.DataFrame(body["rows"])
    assert len(rows) == 31 * 6 and set(rows["sector"]) >= {"tourism", "agriculture"}
    assert np.allclose(rows[list(COMPONENTS)].sum(axis=1), rows["change"])
    assert abs(rows.groupby("sector")["regional_shift"].sum()).max() < 1e-6 * rows["base"].sum()
    below = client.get("/api/stats/shift-share?level=county&base=2023&final=2024&parent=IR-15").json()["rows"]
    assert below and {r["parent_code"] for r in below} == {"IR-15"}


@pytest.mark.parametrize(("query", "status", "field"), [
    ("level=province&base=1990&final=2024", 404, "base"),
    ("level=province&base=2024&final=2024", 422, "final"),
    ("level=province&base=2023", 422, "final"),
])
def test_bad_periods_are_refused_naming_the_field(client: TestClient, query: str, status: int, field: str) -> None:
    response = client.get(f"/api/stats/shift-share?{query}")
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_the_profile_shows_the_units_shift_share(client: TestClient) -> None:
    profile = client.get("/api/units/IR-15-01/profile").json()
    shares = profile["shift_share"]
    assert (shares["base"], shares["final"]) == ("2023", "2024")
    assert len(shares["sectors"]) == 6
    totals = shares["totals"]
    assert totals["change"] == pytest.approx(sum(totals[c] for c in COMPONENTS))
    assert [s["regional_shift"] for s in shares["sectors"]] == sorted(
        (s["regional_shift"] for s in shares["sectors"]), reverse=True)


def test_the_cli_prints_the_split(database_url: str) -> None:
    result = CliRunner().invoke(app, ["shift-share", "--base", "2023", "--final", "2024", "--level", "province",
                                      "--unit", "IR-15"])
    assert result.exit_code == 0, result.output
    assert "regional shift" in result.output and result.output.count("IR-15 ") == 6
    bad = CliRunner().invoke(app, ["shift-share", "--base", "1990", "--final", "2024"])
    assert bad.exit_code == 1 and "1990" in bad.output and "Traceback" not in bad.output
