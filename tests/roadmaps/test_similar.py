"""Actions suggested from places like this one: near-identical places are similar, what worked
there is suggested first, and a place unlike any other hears so."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from spatial.analytics.indicators import indicator_names
from spatial.messages import indicator_name, t
from spatial.planning.history import LocalEditor
from spatial.planning.roadmap_inputs import (
    ActionIn, FinancingIn, KeyResultIn, MeasurementIn, PastPlanIn, RoadmapIn,
)
from spatial.planning.past_plans import create_past_plan
from spatial.planning.roadmaps import create_action, create_measurement, create_roadmap
from spatial.planning.similar import SIMILAR_WITHIN, level_profile, roadmap_suggestions, similar_units
from spatial.planning.sources import action_values, parse_ref

#: Twin counties: the second gets the first's indicators (within a thousandth).
MODEL, TWIN = "IR-15-02", "IR-15-03"
#: A county made unlike every other.
ODD = "IR-15-04"
EDITOR = LocalEditor("ali")


def copy_profile(session: Session, source: str, target: str, factor: float = 1.001) -> None:
    """Give ``target`` the values of ``source`` (times ``factor``) in the level's newest period."""
    period = level_profile(session, "county").period  # type: ignore[union-attr]
    session.execute(text(
        """UPDATE indicator_value b SET value = a.value * :f
           FROM indicator_value a, admin_unit ua, admin_unit ub
           WHERE ua.code = :s AND ub.code = :t AND ua.valid_to IS NULL AND ub.valid_to IS NULL
             AND a.unit_id = ua.id AND b.unit_id = ub.id AND a.indicator_id = b.indicator_id
             AND a.period = b.period AND a.period = :p"""), {"s": source, "t": target, "f": factor, "p": period})


def place_actions(session: Session, unit: str) -> dict[str, Any]:
    """A roadmap of ``unit`` with an achieved action (its key result reached), a behind one and a
    planned one without data; and a successful and a failed past plan."""
    today = date.today()
    start = today - timedelta(days=300)
    roadmap = create_roadmap(session, RoadmapIn(unit=unit, title="Model roadmap", start_date=start,
                                                end_date=start + timedelta(days=4 * 365)), EDITOR)

    def action(title: str, sector: str, reached: float | None, rials: int) -> dict[str, Any]:
        made = create_action(session, ActionIn(
            roadmap_id=roadmap["id"], title=title, sector=sector, status="in_progress", start_date=start,
            financing=[FinancingIn(source="investment_fund", amount_rials=rials)],
            key_results=[KeyResultIn(indicator="jobs", baseline=0, target=100,
                                     target_date=start + timedelta(days=600))]), EDITOR)
        if reached is not None:
            create_measurement(session, MeasurementIn(key_result_id=made["key_results"][0]["id"],
                                                      measured_on=today - timedelta(days=10), value=reached), EDITOR)
        return made

    return {
        "achieved": action("Saffron cooperative", "agriculture", 100, 5_000_000_000),
        "behind": action("Carpet workshop", "handicrafts", 5, 2_000_000_000),
        "no_data": action("Date packaging", "agriculture", None, 1_000_000_000),
        "succeeded": create_past_plan(session, PastPlanIn(title="Water helpers", unit=unit, sector="water",
                                                          outcome="succeeded", lessons="Tie pilots to money",
                                                          cost_rials=2_500_000_000), EDITOR),
        "failed": create_past_plan(session, PastPlanIn(title="Greenhouse town", unit=unit, sector="agriculture",
                                                       outcome="failed"), EDITOR),
    }


def test_the_achieved_action_of_a_near_identical_county_is_suggested_first_with_why(session: Session) -> None:
    copy_profile(session, MODEL, TWIN)
    # The model's only successes are the ones placed here (other tests leave done actions in its roadmaps).
    session.execute(text("""UPDATE roadmap SET archived_at = now() WHERE archived_at IS NULL
                            AND unit_id = (SELECT id FROM admin_unit WHERE code = :m AND valid_to IS NULL)"""),
                    {"m": MODEL})
    made = place_actions(session, MODEL)
    found = roadmap_suggestions(session, TWIN, "en")
    nearest = found["similar"][0]
    assert nearest["code"] == MODEL and nearest["distance"] < 0.01 <= SIMILAR_WITHIN
    # What made them similar: the indicators with the smallest standardised differences, by name.
    assert len(nearest["similar_by"]) == 3
    assert [b["difference"] for b in nearest["similar_by"]] == sorted(b["difference"] for b in nearest["similar_by"])
    # Each by its name as the catalogue gives it (other tests leave indicators whose English name is their code).
    names = {row["code"]: indicator_name(row, "en") for row in indicator_names(session)}
    assert all(b["name"] == names[b["indicator"]] for b in nearest["similar_by"])
    first = found["suggestions"][0]
    assert first["ref"] == f"action:{made['achieved']['id']}" and first["result"] == "achieved"
    assert first["sector"] == "agriculture" and first["cost_rials"] == 5_000_000_000 and first["unit"] == MODEL
    assert "Saffron cooperative" in first["text"] and "5,000,000,000" in first["text"]
    refs = {s["ref"]: s for s in found["suggestions"]}
    # A successful past plan of the same place, with the cost it recorded.
    assert refs[f"past_plan:{made['succeeded']['id']}"]["cost_rials"] == 2_500_000_000
    # Only what worked is suggested: not the behind action, nor the one without data, nor the failed plan.
    assert not refs.keys() & {f"action:{made['behind']['id']}", f"action:{made['no_data']['id']}",
                       f"past_plan:{made['failed']['id']}"}
    assert found["message"] is None


def test_an_indicator_measured_in_two_places_does_not_decide_likeness(session: Session) -> None:
    """Over two values any difference standardises to ±1: such an indicator stays out of the profile."""
    from spatial.analytics.indicators import define_indicator

    stray = define_indicator(session, {"code": "stray_two_places", "name_fa": "شاخص دو جا", "name_en": "Two places",
                                       "domain": "capacity", "direction": "higher_is_better"})
    period = level_profile(session, "county").period  # type: ignore[union-attr]
    session.execute(text(
        """INSERT INTO indicator_value (indicator_id, unit_id, period, value)
           SELECT :i, id, :p, CASE WHEN code = :m THEN 1 ELSE 2 END FROM admin_unit
           WHERE code IN (:m, :t) AND valid_to IS NULL"""), {"i": stray, "p": period, "m": MODEL, "t": TWIN})
    copy_profile(session, MODEL, TWIN)

    assert "stray_two_places" not in level_profile(session, "county").codes  # type: ignore[union-attr]
    assert [s["code"] for s in similar_units(session, TWIN, "en")["similar"]][:1] == [MODEL]


def test_a_county_unlike_any_other_has_no_similar_place(session: Session) -> None:
    period = level_profile(session, "county").period  # type: ignore[union-attr]
    session.execute(text(
        """UPDATE indicator_value v SET value = v.value * 40 + 1000 FROM admin_unit u
           WHERE u.code = :c AND u.valid_to IS NULL AND v.unit_id = u.id AND v.period = :p"""),
        {"c": ODD, "p": period})
    found = roadmap_suggestions(session, ODD, "fa")
    assert found["similar"] == [] and found["suggestions"] == []
    assert found["message"] == t("similar.none")
    assert similar_units(session, ODD, "en")["message"] == t("similar.none", "en")


def test_a_taken_action_names_where_it_came_from(session: Session) -> None:
    made = place_actions(session, MODEL)
    mine = create_roadmap(session, RoadmapIn(unit=TWIN, title="New", start_date=date(2025, 1, 1),
                                             end_date=date(2028, 1, 1)), EDITOR)
    ref = parse_ref(f"action:{made['achieved']['id']}", "suggested")
    taken = create_action(session, ActionIn(roadmap_id=mine["id"], **action_values(session, ref)), EDITOR)
    assert taken["title"] == "Saffron cooperative" and taken["status"] == "planned"
    assert [f["amount_rials"] for f in taken["financing"]] == [5_000_000_000]  # its cost, to plan again
    assert taken["source"]["kind"] == "action" and taken["source"]["id"] == made["achieved"]["id"]
    assert taken["source"]["unit"] == MODEL and taken["source"]["roadmap_id"] == made["achieved"]["roadmap_id"]
    # A past plan taken brings the cost it recorded, as a financing line from that plan.
    plan = create_action(session, ActionIn(roadmap_id=mine["id"], **action_values(
        session, parse_ref(f"past_plan:{made['succeeded']['id']}", "suggested"))), EDITOR)
    assert [(f["source"], f["amount_rials"]) for f in plan["financing"]] == [("past_plan", 2_500_000_000)]


def test_the_api_and_the_cli_give_the_suggestions(client: TestClient) -> None:
    response = client.get("/api/units/IR-15-01/roadmap-suggestions?lang=en")
    assert response.status_code == 200
    assert {"similar", "suggestions", "message", "period", "within"} <= set(response.json())
    missing = client.get("/api/units/IR-99/roadmap-suggestions")
    assert missing.status_code == 404 and "IR-99" in missing.json()["error"]["message"]
    result = CliRunner().invoke(app, ["roadmaps", "suggest", "IR-15-01"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unit"]["code"] == "IR-15-01"
    unknown = CliRunner().invoke(app, ["roadmaps", "suggest", "IR-99"])
    assert unknown.exit_code != 0 and "IR-99" in unknown.output


def test_a_source_that_does_not_exist_is_refused_naming_the_field(client: TestClient) -> None:
    body = {"unit": "IR-15-01", "title": "x", "start_date": "2025-01-01", "end_date": "2026-01-01",
            "sources": [{"kind": "past_plan", "id": 999999}]}
    response = client.post("/api/roadmaps", json=body)
    assert response.status_code == 422 and response.json()["error"]["field"] == "sources.0"
