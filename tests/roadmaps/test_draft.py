"""A roadmap drafted from the evidence: each part follows the analysis it names, with its figure."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from spatial.analytics.advantage import location_quotient, sector_indicators
from spatial.analytics.indicators import indicator_matrix
from spatial.analytics.multidimensional import compute_af
from spatial.analytics.shift_share import shift_share
from spatial.planning.draft import roadmap_draft

PROVINCE = "IR-15"
#: The demo's sector jobs: the latest period, and the one before it (shift-share).
FINAL, BASE = "2024", "2023"
AF_DEFINITION = {
    "code": "af_draft", "name_fa": "محرومیت چندبعدی", "name_en": "Multidimensional deprivation",
    "level": "neighbourhood", "period": "2024", "k": 0.34,
    "indicators": [{"code": "unemployment_rate", "cutoff": 12, "weight": 0.34},
                   {"code": "literacy_rate", "cutoff": 85, "weight": 0.33},
                   {"code": "health_centres_per_10k", "cutoff": 2.5, "weight": 0.33}],
}
PARTS = ("current_state", "capacities", "advantages", "target_community", "deprivations", "strategies")


def expected_advantages(session: Session) -> dict[str, list[str]]:
    """Each county's sectors with LQ against its province above 1 and a positive regional
    shift, by LQ: computed here from the raw sector jobs with the analytics' formulas."""
    sectors = sector_indicators(session)
    codes = list(sectors.values())
    final = indicator_matrix(session, codes, "county", FINAL)
    base = indicator_matrix(session, codes, "county", BASE)
    jobs = final[codes].fillna(0.0)
    jobs = jobs[jobs.sum(axis=1) > 0]
    lq = location_quotient(jobs, final.loc[jobs.index, "parent_code"])
    regional = shift_share(base[codes].fillna(0.0), final[codes].fillna(0.0))["regional_shift"]
    by_indicator = {v: k for k, v in sectors.items()}
    expected = {}
    for county in final.index[final["parent_code"] == PROVINCE]:
        row = lq.loc[county].sort_values(ascending=False)
        expected[county] = [by_indicator[i] for i, value in row.items()
                            if value > 1 and regional.loc[(county, i)] > 0]
    return expected


def test_advantages_are_exactly_the_sectors_with_lq_above_one_and_a_positive_regional_shift(
        session: Session) -> None:
    expected = expected_advantages(session)
    assert len(expected) == 10 and any(len(v) >= 2 for v in expected.values()), "the demo has several to order"
    for county, sectors in expected.items():
        found = roadmap_draft(session, county, "en")
        assert [a["sector"] for a in found["advantages"]] == sectors, county
        assert all(a["figure"] > 1 and a["regional_shift"] > 0 for a in found["advantages"])
        assert [s["sector"] for s in found["strategies"]] == sectors  # one strategy line per advantage


def test_deprivations_are_the_top_contributors_of_the_stored_alkire_foster_measure(session: Session) -> None:
    county = "IR-15-01"
    # Cut-offs at the county's neighbourhood medians, so that every indicator deprives some of them.
    codes = [i["code"] for i in AF_DEFINITION["indicators"]]
    medians = indicator_matrix(session, codes, "neighbourhood", "2024", county)[codes].median()
    measure = compute_af(session, {**AF_DEFINITION, "indicators": [
        {**i, "cutoff": float(medians[i["code"]])} for i in AF_DEFINITION["indicators"]]})
    stored = session.execute(text(
        """SELECT r.contributions FROM af_result r JOIN admin_unit u ON u.id = r.unit_id
           WHERE r.measure_id = :m AND u.code = :c"""), {"m": measure["id"], "c": county}).scalar_one()
    top = sorted(((v, k) for k, v in stored.items() if v), reverse=True)[:3]
    assert len(top) >= 2, "the county has several contributors to order"
    found = [d for d in roadmap_draft(session, county, "en")["deprivations"] if d["measure"] == "af_draft"]
    assert [(d["figure"], d["indicator"]) for d in found] == top
    assert all(d["source"] == "alkire_foster" for d in found)


def test_every_item_names_its_source_and_figure(session: Session) -> None:
    compute_af(session, AF_DEFINITION)
    found = roadmap_draft(session, "IR-15-01", "fa")
    assert all(found[part] for part in PARTS), {part: len(found[part]) for part in PARTS}
    for part in PARTS:
        for item in found[part]:
            assert item["source"] and item["source_label"] and isinstance(item["figure"], float), (part, item)
            assert item["text"] and "_" not in item["text"], (part, item["text"])  # words, not codes
    # Capacities are capacity indicators in which the county ranks in the top third of its siblings.
    assert all(c["domain"] == "capacity" and c["rank"] <= 4 and c["peers"] == 10 for c in found["capacities"])
    groups = {i["group"] for i in found["target_community"]}
    assert groups == {"unemployed", "vulnerable"}


def test_the_api_and_the_cli_give_the_draft(client: TestClient) -> None:
    response = client.get("/api/units/IR-15-01/roadmap-draft?lang=en")
    assert response.status_code == 200 and set(PARTS) <= set(response.json())
    missing = client.get("/api/units/IR-99/roadmap-draft")
    assert missing.status_code == 404
    assert "IR-99" in missing.json()["error"]["message"]
    result = CliRunner().invoke(app, ["roadmaps", "draft", "IR-15-01"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unit"]["code"] == "IR-15-01"
    unknown = CliRunner().invoke(app, ["roadmaps", "draft", "IR-99"])
    assert unknown.exit_code != 0 and "IR-99" in unknown.output


def test_the_new_roadmap_form_offers_the_draft_and_takes_it_with_sources(client: TestClient) -> None:
    offered = client.get("/roadmaps/new?unit=IR-15-01")
    assert offered.status_code == 200 and 'data-testid="take-draft"' in offered.text
    assert "/roadmaps/new?unit=IR-15-01&amp;draft=1" in offered.text
    taken = client.get("/roadmaps/new?unit=IR-15-01&draft=1")
    assert taken.status_code == 200 and 'data-testid="take-draft"' not in taken.text
    draft = client.get("/api/units/IR-15-01/roadmap-draft").json()
    lines = len(draft["capacities"]) + len(draft["advantages"])
    assert taken.text.count('data-testid="draft-source"') == lines > 0
    for item in draft["capacities"] + draft["advantages"] + draft["strategies"]:
        assert item["text"] in taken.text  # filled into the form, to edit before saving
    assert 'data-testid="draft-current_state"' in taken.text and 'data-testid="draft-target_community"' in taken.text
