"""The roadmaps API: CRUD, history and as_of over HTTP, and bad input refused with 422
and a clear message, with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.db.engine import session_scope
from tests.roadmaps.conftest import COUNTY, point_in, point_outside

TABLES = ("roadmap", "action", "financing", "key_result", "measurement", "history", "organisation", "person")


def _counts() -> dict[str, int]:
    with session_scope() as s:
        return {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}  # noqa: S608


def _points() -> tuple[dict[str, Any], dict[str, Any]]:
    with session_scope() as s:
        return point_in(s, COUNTY), point_outside(s, COUNTY)


@pytest.fixture(scope="module")
def setup(client: TestClient) -> dict[str, Any]:
    """A sponsor, a person, a county roadmap from 2024-01-01 and an action with one key result."""
    sponsor = client.post("/api/organisations", json={"name": "API test sponsor", "kind": "economic_sponsor"}).json()
    person = client.post("/api/people", json={"name": "API test person", "role": "officer"}).json()
    roadmap = client.post("/api/roadmaps", json={
        "unit": COUNTY, "title": "API roadmap", "start_date": "2024-01-01", "end_date": "2026-12-31",
        "sponsor_id": sponsor["id"], "responsible_person_id": person["id"]}).json()
    inside, outside = _points()
    action = client.post("/api/actions", json={
        "roadmap_id": roadmap["id"], "title": "Date palm cooperative", "sector": "agriculture", "geometry": inside,
        "financing": [{"source": "investment_fund", "amount_rials": 12_000_000_000}],
        "key_results": [{"indicator": "members", "baseline": 0, "target": 200, "target_date": "2025-12-31"}],
    }).json()
    return {"sponsor": sponsor, "person": person, "roadmap": roadmap, "action": action, "inside": inside,
            "outside": outside}


def test_create_read_update_a_roadmap(client: TestClient, setup: dict[str, Any]) -> None:
    rid = setup["roadmap"]["id"]
    got = client.get(f"/api/roadmaps/{rid}").json()
    assert got["unit"]["code"] == COUNTY and got["actions"][0]["title"] == "Date palm cooperative"
    assert got["created_by"] == "local" and got["current_state"]["values"]
    patched = client.patch(f"/api/roadmaps/{rid}", json={"status": "approved"})
    assert patched.status_code == 200 and patched.json()["status"] == "approved"
    listed = client.get("/api/roadmaps", params={"unit": "IR-15", "level": "county", "status": "approved",
                                                 "sponsor": setup["sponsor"]["id"]}).json()
    assert [r["id"] for r in listed] == [rid]
    assert listed[0]["progress_status"] == "no_data"


def test_history_and_as_of_over_http(client: TestClient, setup: dict[str, Any]) -> None:
    rid = setup["roadmap"]["id"]
    before = client.get(f"/api/roadmaps/{rid}").json()
    client.patch(f"/api/roadmaps/{rid}", json={"strategies": ["date palm value chain"]})
    events = client.get(f"/api/roadmaps/{rid}/history").json()
    last = events[-1]
    assert last["author"] == "local" and last["changes"]["strategies"][1] == ["date palm value chain"]
    previous_at = events[-2]["at"]
    assert client.get(f"/api/roadmaps/{rid}", params={"as_of": previous_at}).json() == before
    assert client.get(f"/api/roadmaps/{rid}", params={"as_of": "1999-01-01"}).status_code == 404
    bad = client.get(f"/api/roadmaps/{rid}", params={"as_of": "yesterday"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "as_of"


def _roadmap(setup: dict[str, Any], **change: Any) -> tuple[str, dict[str, Any]]:
    body = {"unit": COUNTY, "title": "Bad", "start_date": "2024-01-01", "end_date": "2026-12-31", **change}
    return "/api/roadmaps", body


def _action(setup: dict[str, Any], **change: Any) -> tuple[str, dict[str, Any]]:
    body = {"roadmap_id": setup["roadmap"]["id"], "title": "Bad action", **change}
    return "/api/actions", body


BAD: dict[str, tuple[Callable[[dict[str, Any]], tuple[str, dict[str, Any]]], str, str]] = {
    "roadmap end before start": (lambda s: _roadmap(s, end_date="2023-12-31"), "end_date", "before start_date"),
    "action end before start": (lambda s: _action(s, start_date="2025-01-01", end_date="2024-01-01"),
                                "end_date", "before start_date"),
    "negative amount": (lambda s: _action(s, financing=[{"source": "bank_loan", "amount_rials": -5}]),
                        "financing.0.amount_rials", "cannot be negative"),
    "negative jobs": (lambda s: _action(s, jobs_expected=-1), "jobs_expected", "cannot be negative"),
    "geometry outside unit": (lambda s: _action(s, geometry=s["outside"]), "geometry", "outside unit IR-15-01"),
    "unknown unit": (lambda s: _roadmap(s, unit="IR-99-99"), "unit", "IR-99-99"),
    "unknown roadmap sponsor": (lambda s: _roadmap(s, sponsor_id=987654), "sponsor_id", "987654"),
    "sponsor not an economic sponsor": (
        lambda s: _roadmap(s, sponsor_id=_government()), "sponsor_id", "economic_sponsor"),
    "unknown action sponsor": (lambda s: _action(s, sponsor_id=987654), "sponsor_id", "987654"),
    "unknown person": (lambda s: _roadmap(s, responsible_person_id=987654), "responsible_person_id", "987654"),
    "unknown action person": (lambda s: _action(s, responsible_person_id=987654), "responsible_person_id", "987654"),
    "key result without target": (
        lambda s: _action(s, key_results=[{"indicator": "jobs", "baseline": 0, "target_date": "2025-01-01"}]),
        "key_results.0.target", "needs a target"),
    "measurement before roadmap start": (
        lambda s: ("/api/measurements", {"key_result_id": s["action"]["key_results"][0]["id"],
                                         "measured_on": "2023-06-01", "value": 3}),
        "measured_on", "before the roadmap starts"),
    "malformed amount": (lambda s: _action(s, financing=[{"source": "bank_loan", "amount_rials": "lots"}]),
                         "financing.0.amount_rials", "integer"),
    "unknown field": (lambda s: _roadmap(s, colour="green"), "colour", "Extra inputs"),
}


def _government() -> int:
    with session_scope() as s:
        found = s.execute(text("SELECT id FROM organisation WHERE kind = 'government' ORDER BY id LIMIT 1")).scalar()
        if found is None:
            found = s.execute(text("""INSERT INTO organisation (name, kind, created_at, created_by, updated_at,
                                      updated_by) VALUES ('Governorate', 'government', now(), 't', now(), 't')
                                      RETURNING id""")).scalar_one()
        return int(found)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_422_naming_the_field_and_writes_nothing(client: TestClient, setup: dict[str, Any],
                                                              case: str) -> None:
    build, field, words = BAD[case]
    path, body = build(setup)
    before = _counts()
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and error["field"] == field
    assert words in error["message"]
    assert _counts() == before


def test_a_bad_patch_leaves_the_action_as_it_was(client: TestClient, setup: dict[str, Any]) -> None:
    aid = setup["action"]["id"]
    before, counts = client.get(f"/api/actions/{aid}").json(), _counts()
    response = client.patch(f"/api/actions/{aid}", json={"title": "Moved", "geometry": setup["outside"]})
    assert response.status_code == 422 and response.json()["error"]["field"] == "geometry"
    assert client.get(f"/api/actions/{aid}").json() == before and _counts() == counts


def test_progress_endpoint_lists_actions_under_a_unit(client: TestClient, setup: dict[str, Any]) -> None:
    body = client.get("/api/progress", params={"unit": "IR-15", "level": "county"}).json()
    ours = [a for a in body["actions"] if a["id"] == setup["action"]["id"]]
    assert ours and ours[0]["progress_status"] == "no_data" and ours[0]["unit_code"] == COUNTY
    fc = client.get("/api/progress", params={"unit": COUNTY, "format": "geojson"}).json()
    assert fc["type"] == "FeatureCollection" and setup["action"]["id"] in [f["id"] for f in fc["features"]]
    assert client.get("/api/progress", params={"unit": "IR-99"}).status_code == 404


def test_actions_filter_by_sector_and_unit(client: TestClient, setup: dict[str, Any]) -> None:
    found = client.get("/api/actions", params={"unit": COUNTY, "sector": "agriculture"}).json()
    assert setup["action"]["id"] in [a["id"] for a in found]
    assert client.get("/api/actions", params={"unit": COUNTY, "sector": "mining-x"}).json() == []


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/api/roadmaps/99999999999", None),
    ("get", "/api/actions?sponsor=99999999999", None),
    ("get", "/api/past-plans?q=a%00b", None),
    ("post", "/api/actions", {"roadmap_id": 1, "title": "x", "financing": [
        {"source": "people", "amount_rials": 10**30}]}),
    ("post", "/api/actions", {"roadmap_id": 1, "title": "x\u0000"}),
    ("post", "/api/actions", {"roadmap_id": 1, "title": "x", "jobs_expected": 10**12}),
    ("post", "/api/actions", {"roadmap_id": 1, "title": "x", "geometry": {"type": "Point"}}),
    ("post", "/api/actions", {"roadmap_id": 1, "title": "x", "geometry": {"type": "Polygon", "coordinates": [[1, 2]]}}),
    ("post", "/api/roadmaps", {"unit": COUNTY, "title": "x", "start_date": "0001-01-01", "end_date": "2020-01-01"}),
])
def test_odd_input_is_refused_not_a_server_error(client: TestClient, setup: dict[str, Any], method: str, path: str,
                                                 body: dict[str, Any] | None) -> None:
    if body and body.get("roadmap_id") == 1:
        body = {**body, "roadmap_id": setup["roadmap"]["id"]}
    response = client.request(method, path, json=body)
    assert response.status_code in (404, 422), response.text
    assert response.json()["error"]["code"] in ("invalid_input", "not_found")
