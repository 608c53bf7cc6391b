"""The analytics commands: results printed, bad input as a one-line error with exit code 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


@pytest.fixture
def definition(tmp_path: Path) -> Path:
    path = tmp_path / "index.yaml"
    path.write_text("""
code: cli_capacity
name_fa: ظرفیت
name_en: Capacity
domain: capacity
levels: [province]
period: "2024"
indicators: [literacy_rate, health_centres_per_10k]
weights: entropy
normalisation: min_max
""", encoding="utf-8")
    return path


def test_index_compute_prints_the_version_and_weights(database_url: str, definition: Path) -> None:
    result = runner.invoke(app, ["index", "compute", str(definition)])
    assert result.exit_code == 0, result.output
    assert "cli_capacity" in result.output and "31 scored" in result.output and "literacy_rate=" in result.output
    shown = runner.invoke(app, ["index", "scores", "cli_capacity", "--level", "province", "--top", "3"])
    assert shown.exit_code == 0 and "Capacity" in shown.output


def test_allocate_prints_a_total_equal_to_the_budget(database_url: str) -> None:
    result = runner.invoke(app, ["allocate", "--need", "index:deprivation_demo", "--level", "county",
                                 "--parent", "IR-15", "--budget", "1000000007", "--floor", "10000000"])
    assert result.exit_code == 0, result.output
    assert "total 1,000,000,007 of 1,000,000,007 rials" in result.output


def test_bad_inputs_exit_1_with_a_message(database_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("unit_code,period,unemployment_rate\nIR-99-99-999,2024,4\n", encoding="utf-8")
    imported = runner.invoke(app, ["indicators", "import", str(csv)])
    assert imported.exit_code == 1 and "IR-99-99-999" in imported.output and "Traceback" not in imported.output
    allocated = runner.invoke(app, ["allocate", "--need", "nope", "--level", "county", "--budget", "10"])
    assert allocated.exit_code == 1 and "nope" in allocated.output
    missing = runner.invoke(app, ["index", "compute", str(tmp_path / "missing.yaml")])
    assert missing.exit_code == 1 and "missing.yaml" in missing.output


def test_indicators_list_shows_the_demo_indicators(database_url: str) -> None:
    result = runner.invoke(app, ["indicators", "list", "--domain", "target_community"])
    assert result.exit_code == 0 and "Unemployed" in result.output


def test_access_prints_the_supply_reaching_people(database_url: str) -> None:
    result = runner.invoke(app, ["indicators", "access", "demo_health_centres", "--code", "cli_beds_access",
                                 "--period", "2024", "--catchment-m", "100000", "--level", "province",
                                 "--capacity", "beds", "--decay", "stepwise"])
    assert result.exit_code == 0, result.output
    assert "cli_beds_access: 31 province unit(s)" in result.output and "within 100000 m" in result.output
