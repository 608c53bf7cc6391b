"""Corrections: archive (not delete) roadmaps, actions, financing lines and key results;
withdraw and correct measurements; restore — each in the history with who and why, and
nothing written outside the editor's area."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.accounts import users as accounts
from spatial.accounts.tokens import issue_token
from spatial.db.engine import session_scope
from tests.roadmaps.conftest import COUNTY

OUTSIDE_AREA = "IR-07"  # a province that does not hold COUNTY (IR-15-01)


def _made(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def action(client: TestClient) -> Iterator[dict[str, Any]]:
    """A county roadmap (started 100 days ago) with one action: one financing line and one key
    result 0 → 100 due in a year."""
    begins = date.today() - timedelta(days=100)
    roadmap = _made(client.post("/api/roadmaps", json={
        "unit": COUNTY, "title": f"Corrections {uuid.uuid4().hex[:6]}", "start_date": begins.isoformat(),
        "end_date": (begins + timedelta(days=900)).isoformat()}))
    made = _made(client.post("/api/actions", json={
        "roadmap_id": roadmap["id"], "title": "Carpet workshop", "start_date": begins.isoformat(),
        "financing": [{"source": "sponsor", "amount_rials": 6_000_000}],
        "key_results": [{"indicator": "jobs", "baseline": 0, "target": 100,
                         "target_date": (begins + timedelta(days=365)).isoformat()}]}))
    yield made
    client.delete(f"/api/roadmaps/{roadmap['id']}")


def _token_of(role: str, area: str | None) -> dict[str, str]:
    """The bearer header of a new account with ``role`` restricted to ``area``."""
    username = f"fix-{role}-{uuid.uuid4().hex[:6]}"
    with session_scope() as s:
        accounts.create_user(s, username, secrets.token_urlsafe(16), role, area_code=area)
    return {"Authorization": f"Bearer {issue_token(username)}"}


def _history(action_id: int) -> list[dict[str, Any]]:
    with session_scope() as s:
        return [dict(r) for r in s.execute(text(
            "SELECT entity, entity_id, operation, author, reason FROM history WHERE entity = 'action' "
            "AND entity_id = :id ORDER BY at, id"), {"id": action_id}).mappings()]


def test_an_archived_action_leaves_its_roadmap_and_progress_and_an_admin_restores_it(
        client: TestClient, action: dict[str, Any]) -> None:
    rid = action["roadmap_id"]
    archived = client.post(f"/api/actions/{action['id']}/archive", json={"reason": "entered twice"})
    assert archived.status_code == 200, archived.text
    assert archived.json()["archive_reason"] == "entered twice"
    assert client.get(f"/api/roadmaps/{rid}").json()["actions"] == []
    assert action["id"] not in [a["id"] for a in client.get("/api/actions", params={"roadmap": rid}).json()]
    assert action["id"] not in [a["id"] for a in client.get("/api/progress", params={"unit": COUNTY}).json()["actions"]]
    last = _history(action["id"])[-1]
    assert (last["operation"], last["author"], last["reason"]) == ("archive", "local", "entered twice")
    # "As it was" before the archive still shows it; the history keeps it.
    events = client.get(f"/api/roadmaps/{rid}/history").json()
    assert any(e["operation"] == "archive" and e["reason"] == "entered twice" for e in events)

    restored = client.post(f"/api/actions/{action['id']}/restore", json={"reason": "not a duplicate"})
    assert restored.status_code == 200, restored.text
    assert [a["id"] for a in client.get(f"/api/roadmaps/{rid}").json()["actions"]] == [action["id"]]
    assert _history(action["id"])[-1]["operation"] == "restore"


def test_archiving_needs_a_reason_and_restoring_needs_an_administrator(
        client: TestClient, action: dict[str, Any]) -> None:
    refused = client.post(f"/api/actions/{action['id']}/archive", json={"reason": "  "})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "reason"
    assert client.post(f"/api/actions/{action['id']}/archive", json={"reason": "wrong unit"}).status_code == 200
    planner = _token_of("planner", None)
    assert client.post(f"/api/actions/{action['id']}/restore", json={}, headers=planner).status_code == 403
    assert client.get(f"/api/roadmaps/{action['roadmap_id']}").json()["actions"] == []


def test_an_editor_outside_the_area_cannot_archive_and_nothing_is_written(
        client: TestClient, action: dict[str, Any]) -> None:
    # Editors restricted to an area are progress-core members (planners work everywhere).
    outsider = _token_of("core", OUTSIDE_AREA)
    before = _history(action["id"])
    for path in (f"/api/actions/{action['id']}/archive", f"/api/roadmaps/{action['roadmap_id']}/archive"):
        refused = client.post(path, json={"reason": "not ours"}, headers=outsider)
        assert refused.status_code == 403, refused.text
    assert _history(action["id"]) == before
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM action WHERE id = :id AND archived_at IS NULL"),
                         {"id": action["id"]}).scalar() == 1
        assert s.execute(text("SELECT count(*) FROM roadmap WHERE id = :id AND archived_at IS NULL"),
                         {"id": action["roadmap_id"]}).scalar() == 1


def test_a_withdrawn_measurement_no_longer_counts_and_shows_in_history_with_its_reason(
        client: TestClient, action: dict[str, Any]) -> None:
    kr = action["key_results"][0]["id"]
    m = _made(client.post("/api/measurements", json={"key_result_id": kr, "measured_on": date.today().isoformat(),
                                                     "value": 100}))

    def status() -> str:
        return str(client.get("/api/actions", params={"roadmap": action["roadmap_id"]}).json()[0]["progress_status"])

    assert status() == "achieved"
    withdrawn = client.post(f"/api/measurements/{m['id']}/withdraw", json={"reason": "counted the whole county"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert status() == "no_data"
    listed = client.get("/api/measurements", params={"key_result": kr}).json()
    assert listed[0]["archive_reason"] == "counted the whole county"
    events = client.get(f"/api/roadmaps/{action['roadmap_id']}/history").json()
    withdraw = [e for e in events if e["entity"] == "measurement" and e["operation"] == "withdraw"]
    assert [(e["author"], e["reason"]) for e in withdraw] == [("local", "counted the whole county")]

    assert client.post(f"/api/measurements/{m['id']}/restore", json={}).status_code == 200
    assert status() == "achieved"
    corrected = client.post(f"/api/measurements/{m['id']}/correct", json={"value": 30, "reason": "typo"})
    assert corrected.status_code == 200 and corrected.json()["value"] == 30
    assert status() in ("on_track", "behind")
    assert client.get(f"/api/roadmaps/{action['roadmap_id']}/history").json()[-1]["reason"] == "typo"


def test_archived_financing_lines_and_key_results_leave_the_action_and_come_back(
        client: TestClient, action: dict[str, Any]) -> None:
    with session_scope() as s:
        line = s.execute(text("SELECT id FROM financing WHERE action_id = :id"), {"id": action["id"]}).scalar_one()
    kr = action["key_results"][0]["id"]
    after = client.post(f"/api/financing/{line}/archive", json={"reason": "the sponsor withdrew"}).json()
    assert after["financing"] == []
    after = client.post(f"/api/key-results/{kr}/archive", json={"reason": "not measurable"}).json()
    assert after["key_results"] == []
    # An edit of the action's lines leaves the archived ones alone.
    client.patch(f"/api/actions/{action['id']}", json={"financing": [{"source": "people", "amount_rials": 5}]})
    assert client.post(f"/api/financing/{line}/restore", json={}).status_code == 200
    assert client.post(f"/api/key-results/{kr}/restore", json={}).status_code == 200
    now = client.get(f"/api/actions/{action['id']}").json()
    assert sorted(f["source"] for f in now["financing"]) == ["people", "sponsor"]
    assert [k["id"] for k in now["key_results"]] == [kr]
    reasons = [e["reason"] for e in _history(action["id"]) if e["operation"] == "archive"]
    assert reasons == ["the sponsor withdrew", "not measurable"]


def test_an_archived_roadmap_leaves_the_lists_but_its_page_stays(client: TestClient, action: dict[str, Any]) -> None:
    rid = action["roadmap_id"]
    assert client.post(f"/api/roadmaps/{rid}/archive", json={"reason": "replaced by the 1404 plan"}).status_code == 200
    assert rid not in [r["id"] for r in client.get("/api/roadmaps", params={"unit": COUNTY}).json()]
    assert rid in [r["id"] for r in client.get("/api/roadmaps", params={"unit": COUNTY, "archived": True}).json()]
    assert client.get(f"/api/roadmaps/{rid}").json()["archive_reason"] == "replaced by the 1404 plan"
    again = client.post(f"/api/roadmaps/{rid}/archive", json={"reason": "twice"})
    assert again.status_code == 409
    assert client.post(f"/api/roadmaps/{rid}/restore", json={}).status_code == 200
    assert rid in [r["id"] for r in client.get("/api/roadmaps", params={"unit": COUNTY}).json()]
