"""Consolidating past plans («اجماع»): a unit's plans side by side, and one roadmap made of the
kept parts that names its sources, in its record and in its history."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.pages.history import Words
from spatial.errors import InvalidInput
from spatial.jalali import format_number
from spatial.messages import t
from spatial.planning.consolidation import consolidate, side_by_side
from spatial.planning.history import LocalEditor, events
from spatial.planning.past_plans import create_past_plan
from spatial.planning.roadmap_inputs import ActionIn, ConsolidationIn, FinancingIn, PastPlanIn, RoadmapIn
from spatial.planning.roadmaps import create_action, create_roadmap

UNIT = "IR-15-06"
EDITOR = LocalEditor("ali")
PLANS = (("Water helpers", "water", "succeeded", "Tie pilots to lasting money"),
         ("Home carpets", "handicrafts", "partial", "Secure buyers before training"),
         ("Greenhouse town", "agriculture", "failed", "Pair loans with extension"))
#: What each past plan cost, as recorded (the third did not say).
COSTS = (4_000_000_000, 750_000_000, None)


def three_past_plans(session: Session) -> list[dict[str, Any]]:
    return [create_past_plan(session, PastPlanIn(title=title, unit=UNIT, sector=sector, outcome=outcome,  # type: ignore[arg-type]
                                                 strengths="s", weaknesses="w", lessons=lessons, cost_rials=cost),
                             EDITOR)
            for (title, sector, outcome, lessons), cost in zip(PLANS, COSTS, strict=True)]


def test_three_past_plans_become_one_roadmap_whose_history_names_them(session: Session) -> None:
    plans = three_past_plans(session)
    ids = [p["id"] for p in plans]
    made = consolidate(session, ConsolidationIn(
        unit=UNIT, title="Consolidated", start_date=date(2025, 3, 21), end_date=date(2029, 3, 20), past_plans=ids,
        keep=[f"past_plan:{ids[0]}", f"lesson:{ids[1]}", f"lesson:{ids[2]}"]), EDITOR)
    assert [(s["kind"], s["id"], s["title"]) for s in made["sources"]] == [
        ("past_plan", i, title) for i, (title, *_rest) in zip(ids, PLANS, strict=True)]
    assert made["strategies"] == ["Secure buyers before training", "Pair loans with extension"]
    assert [(a["title"], a["sector"], a["source"]["id"]) for a in made["actions"]] == [("Water helpers", "water", ids[0])]
    # The kept past plan's money comes with it, as a financing line from that plan.
    assert [(f["source"], f["amount_rials"], f["note"]) for f in made["actions"][0]["financing"]] == [
        ("past_plan", COSTS[0], "Water helpers")]
    # The history of the new roadmap names its three sources when it was made, in words.
    created = [e for e in events(session, made["id"]) if e["entity"] == "roadmap" and e["operation"] == "create"]
    entry = Words(session, "en").entry(created[0])
    assert [s["title"] for s in entry["sources"]] == [title for title, *_rest in PLANS]


def test_roadmaps_side_by_side_keep_their_lines_and_actions(session: Session) -> None:
    old = create_roadmap(session, RoadmapIn(unit=UNIT, title="Old roadmap", start_date=date(2020, 1, 1),
                                            end_date=date(2024, 1, 1), strategies=["Dates", "Tourism"]), EDITOR)
    action = create_action(session, ActionIn(roadmap_id=old["id"], title="Date packaging", sector="agriculture",
                                             financing=[FinancingIn(source="bank_loan", amount_rials=700)]), EDITOR)
    plans = three_past_plans(session)
    plan = plans[2]
    columns = side_by_side(session, UNIT, [old["id"]], [plan["id"], plans[1]["id"]])
    assert [c["kind"] for c in columns] == ["roadmap", "past_plan", "past_plan"]
    assert columns[0]["cost_rials"] == 700 and columns[0]["sectors"] == ["agriculture"]
    assert [c["cost_rials"] for c in columns[1:]] == [None, COSTS[1]]  # money side by side, where recorded
    assert columns[1]["outcome"] == "failed" and columns[1]["lessons"] == "Pair loans with extension"
    made = consolidate(session, ConsolidationIn(
        unit=UNIT, title="New", start_date=date(2025, 3, 21), end_date=date(2029, 3, 20), roadmaps=[old["id"]],
        past_plans=[plan["id"]], keep=[f"strategy:{old['id']}:1", f"action:{action['id']}", f"past_plan:{plan['id']}"]),
        EDITOR)
    assert made["strategies"] == ["Tourism"]
    assert made["actions"][0]["source"]["kind"] == "action" and made["actions"][0]["financing"][0]["amount_rials"] == 700
    assert made["actions"][1]["financing"] == []  # a past plan that recorded no cost brings no money
    assert {s["kind"] for s in made["sources"]} == {"roadmap", "past_plan"}


@pytest.mark.parametrize("keep", ["strategy:1:0", "action:999999", "lesson:abc", "whatever"])
def test_a_part_not_of_the_chosen_plans_is_refused_naming_it(session: Session, keep: str) -> None:
    plan = three_past_plans(session)[0]
    with pytest.raises(InvalidInput) as refused:
        consolidate(session, ConsolidationIn(unit=UNIT, title="x", start_date=date(2025, 1, 1),
                                             end_date=date(2026, 1, 1), past_plans=[plan["id"]], keep=[keep]), EDITOR)
    assert refused.value.field == "keep.0"


def test_a_plan_of_another_unit_is_refused(session: Session) -> None:
    other = create_past_plan(session, PastPlanIn(title="Elsewhere", unit="IR-01", outcome="failed"), EDITOR)
    with pytest.raises(InvalidInput) as refused:
        side_by_side(session, UNIT, [], [other["id"]])
    assert refused.value.field == "past_plans.0"


def test_the_consolidation_page_lays_plans_side_by_side_and_makes_the_roadmap(client: TestClient) -> None:
    unit = "IR-15-07"
    ids = []
    for (title, sector, outcome, lessons), cost in zip(PLANS, COSTS, strict=True):
        made = client.post("/api/past-plans", json={"title": f"{title} (page)", "unit": unit, "sector": sector,
                                                     "outcome": outcome, "lessons": lessons, "cost_rials": cost})
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    unit_page = client.get(f"/units/{unit}")
    assert f"/units/{unit}/consolidate" in unit_page.text  # reached from the unit page
    chosen = client.get(f"/units/{unit}/consolidate", params={"plan": ids})
    assert chosen.status_code == 200 and chosen.text.count('data-testid="column"') == 3
    assert format_number(COSTS[0], "fa") in chosen.text and t("similar.cost_unknown", "fa") in chosen.text
    form = client.get(f"/units/{unit}/consolidate?plan={ids[0]}")
    assert 'data-testid="consolidation-form"' in form.text
    sent = client.post(f"/units/{unit}/consolidate", data={
        "plan": [str(i) for i in ids], "keep": [f"past_plan:{ids[0]}", f"lesson:{ids[1]}"],
        "title": "Consolidated on the page", "start_date": "1404/01/01", "end_date": "1408/01/01",
        "form_token": re.findall(r'name="form_token" value="([0-9a-f]{32})"', form.text)[0]}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    roadmap = client.get(sent.headers["location"])
    assert 'data-testid="roadmap-sources"' in roadmap.text and roadmap.text.count('data-testid="source"') == 4
    assert format_number(COSTS[0], "fa") in roadmap.text  # the kept plan's money, planned again
    history = client.get(sent.headers["location"] + "/history")
    assert history.text.count('data-testid="history-sources"') == 2  # the roadmap's three, the action's one



def test_the_api_consolidates_and_names_a_bad_part(client: TestClient) -> None:
    plans = [client.post("/api/past-plans", json={"title": f"API plan {i}", "unit": "IR-15-10", "outcome": "partial",
                                                  "lessons": f"lesson {i}"}).json()["id"] for i in range(2)]
    body = {"unit": "IR-15-10", "title": "Consolidated over the API", "start_date": "2025-03-21",
            "end_date": "2029-03-20", "past_plans": plans, "keep": [f"lesson:{plans[1]}"]}
    made = client.post("/api/roadmaps/consolidate", json=body)
    assert made.status_code == 201, made.text
    assert [s["id"] for s in made.json()["sources"]] == plans and made.json()["strategies"] == ["lesson 1"]
    refused = client.post("/api/roadmaps/consolidate", json={**body, "keep": ["action:0"]})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "keep.0"
