"""Organisations, people and handovers; progress cores; the past plans register."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from spatial.jalali import format_number
from spatial.planning import history
from spatial.errors import Conflict, Forbidden, InvalidInput
from spatial.planning.history import LocalEditor
from spatial.planning.people import create_person, delete_person, hand_over, list_handovers
from spatial.planning.references import unit_ref
from spatial.planning.roadmap_inputs import ActionIn, HandoverIn, PersonIn, RoadmapPatch
from spatial.planning.roadmaps import create_action, get_roadmap, update_roadmap
from tests.roadmaps.conftest import COUNTY, HOOD

EDITOR = LocalEditor("ali")


def test_handover_moves_responsibility_and_is_recorded(session: Session, roadmap: dict[str, Any],
                                                       person: dict[str, Any]) -> None:
    update_roadmap(session, roadmap["id"], RoadmapPatch(responsible_person_id=person["id"]), EDITOR)
    action = create_action(session, ActionIn(roadmap_id=roadmap["id"], title="Bakery",
                                             responsible_person_id=person["id"]), EDITOR)
    successor = create_person(session, PersonIn(name="Successor", role="officer"), EDITOR)
    event = hand_over(session, HandoverIn(from_person_id=person["id"], to_person_id=successor["id"],
                                          handed_over_on=date(2025, 1, 5), note="new manager"), LocalEditor("boss"))
    assert event["transferred"] == {"roadmaps": [roadmap["id"]], "actions": [action["id"]]}
    now = get_roadmap(session, roadmap["id"])
    assert now["responsible_person_id"] == successor["id"]
    assert now["actions"][0]["responsible_person_id"] == successor["id"]
    last = history.events(session, roadmap["id"])[-1]
    assert last["author"] == "boss" and last["changes"]["responsible_person_id"] == [person["id"], successor["id"]]
    assert [h["id"] for h in list_handovers(session, person=successor["id"])] == [event["id"]]
    with pytest.raises(Conflict):
        delete_person(session, person["id"], EDITOR)


def test_handover_of_nothing_is_refused(session: Session, person: dict[str, Any]) -> None:
    other = create_person(session, PersonIn(name="Other"), EDITOR)
    with pytest.raises(InvalidInput) as err:
        hand_over(session, HandoverIn(from_person_id=person["id"], to_person_id=other["id"],
                                      handed_over_on=date(2025, 1, 5)), EDITOR)
    assert err.value.field == "from_person_id"


def test_a_core_member_may_edit_only_inside_the_core_area(session: Session, roadmap: dict[str, Any]) -> None:
    member_of_other_county = LocalEditor("core member", area_unit_id=unit_ref(session, "IR-15-02"))
    with pytest.raises(Forbidden):
        update_roadmap(session, roadmap["id"], RoadmapPatch(title="Hijacked"), member_of_other_county)
    member_here = LocalEditor("core member", area_unit_id=unit_ref(session, COUNTY))
    assert update_roadmap(session, roadmap["id"], RoadmapPatch(title="Ours"), member_here)["updated_by"] == (
        "core member")


def test_cores_over_http(client: TestClient) -> None:
    created = client.post("/api/cores", json={
        "name": "Test core", "unit": COUNTY, "members_count": 9, "stage": "assessed",
        "assessment": {"commitment": 80, "skills": 60},
        "training": [{"title": "Mapping", "held_on": "2025-02-01", "hours": 6, "participants": 9}]})
    assert created.status_code == 201
    core = created.json()
    assert core["unit"] == COUNTY and core["mean_score"] == 70 and core["training"][0]["held_on"] == "2025-02-01"
    # A stage moves only along the journey (tests/roadmaps/test_core_journey.py), never by a patch.
    assert client.patch(f"/api/cores/{core['id']}", json={"stage": "trained"}).status_code == 422
    moved = client.post(f"/api/cores/{core['id']}/stage", json={"to": "selected", "reason": "top score"}).json()
    assert moved["stage"] == "selected"
    assert core["id"] in [c["id"] for c in client.get("/api/cores", params={"unit": "IR-15", "stage": "selected"}
                                                      ).json()]
    bad = client.post("/api/cores", json={"name": "x", "unit": COUNTY, "assessment": {"commitment": 140}})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "assessment.commitment"
    rid = client.post("/api/roadmaps", json={"unit": HOOD, "title": "Drafted by the core", "core_id": core["id"],
                                             "start_date": "2025-01-01", "end_date": "2027-01-01"}).json()["id"]
    assert [r["id"] for r in client.get(f"/api/cores/{core['id']}").json()["roadmaps"]] == [rid]
    outside = client.post("/api/roadmaps", json={"unit": "IR-15-02", "title": "Elsewhere", "core_id": core["id"],
                                                 "start_date": "2025-01-01", "end_date": "2027-01-01"})
    assert outside.status_code == 422 and outside.json()["error"]["field"] == "core_id"


def test_past_plans_are_searchable_by_unit_sector_outcome_and_text(client: TestClient) -> None:
    body = {"title": "Village water helpers", "unit": HOOD, "start_year": 2012, "end_year": 2016,
            "sector": "water-test", "outcome": "succeeded", "strengths": "volunteers",
            "weaknesses": "one budget", "spread": "no funding after pilot", "lessons": "tie pilots to funds"}
    plan = client.post("/api/past-plans", json=body)
    assert plan.status_code == 201
    pid = plan.json()["id"]
    search = {"unit": COUNTY, "sector": "water-test", "outcome": "succeeded", "q": "pilot"}
    assert [p["id"] for p in client.get("/api/past-plans", params=search).json()] == [pid]
    assert client.get("/api/past-plans", params={**search, "outcome": "failed"}).json() == []
    bad = client.post("/api/past-plans", json={**body, "end_year": 2000})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "end_year"
    assert client.delete(f"/api/past-plans/{pid}").status_code == 204
    assert client.get(f"/api/past-plans/{pid}").status_code == 404


def test_a_past_plan_records_its_estimated_cost_over_the_api_and_on_its_pages(client: TestClient) -> None:
    body = {"title": "Carpet looms for homes", "unit": HOOD, "sector": "handicrafts", "outcome": "partial",
            "cost_rials": 12_500_000_000}
    made = client.post("/api/past-plans", json=body)
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    try:
        assert client.get(f"/api/past-plans/{pid}").json()["cost_rials"] == 12_500_000_000
        changed = client.patch(f"/api/past-plans/{pid}", json={"cost_rials": 9_000_000_000})
        assert changed.status_code == 200 and changed.json()["cost_rials"] == 9_000_000_000
        # Optional, but never negative: refused naming the field.
        refused = client.patch(f"/api/past-plans/{pid}", json={"cost_rials": -1})
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "cost_rials"
        # The register and the plan's page say it in Persian digits, the English page in Western ones.
        assert format_number(9_000_000_000, "fa") in client.get("/past-plans", params={"q": "Carpet looms"}).text
        assert format_number(9_000_000_000, "fa") in client.get(f"/past-plans/{pid}").text
        assert "9,000,000,000" in client.get(f"/past-plans/{pid}", params={"lang": "en"}).text
    finally:
        assert client.delete(f"/api/past-plans/{pid}").status_code == 204


def test_organisations_and_people_over_http(client: TestClient) -> None:
    org = client.post("/api/organisations", json={"name": "Carpet coop HTTP", "kind": "cooperative",
                                                  "unit": COUNTY}).json()
    assert org["unit"] == COUNTY
    person = client.post("/api/people", json={"name": "Coop chair", "role": "chair",
                                              "organisation_id": org["id"]}).json()
    assert [p["id"] for p in client.get("/api/people", params={"organisation": org["id"]}).json()] == [person["id"]]
    assert org["id"] in [o["id"] for o in client.get("/api/organisations", params={"kind": "cooperative",
                                                                                   "q": "coop HTTP"}).json()]
    bad = client.post("/api/people", json={"name": "Nobody", "organisation_id": 987654})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "organisation_id"
    assert client.delete(f"/api/organisations/{org['id']}").status_code == 409
