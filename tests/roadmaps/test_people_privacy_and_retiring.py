"""People's phone and e-mail are personal (editors of their area only, never anonymous
readers); retiring a person asks for the handover first; core members by name."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from fastapi.testclient import TestClient

from spatial.accounts import users as accounts
from spatial.accounts.tokens import issue_token
from spatial.db.engine import session_scope
from tests.roadmaps.conftest import COUNTY

ANONYMOUS = {"Authorization": ""}  # overrides the test client's administrator token


def _person(client: TestClient, **fields: Any) -> dict[str, Any]:
    made = client.post("/api/people", json={"name": f"Person {uuid.uuid4().hex[:6]}", "role": "officer",
                                            "unit": COUNTY, "phone": "0913 123 4567", "email": "p@example.org",
                                            **fields})
    assert made.status_code == 201, made.text
    return dict(made.json())


def _headers(role: str, area: str | None = None) -> dict[str, str]:
    username = f"people-{role}-{uuid.uuid4().hex[:6]}"
    with session_scope() as s:
        accounts.create_user(s, username, secrets.token_urlsafe(16), role, area_code=area)
    return {"Authorization": f"Bearer {issue_token(username)}"}


def test_anonymous_readers_get_names_and_roles_but_no_phone_or_email(client: TestClient) -> None:
    person = _person(client)
    listed = client.get("/api/people", headers=ANONYMOUS)
    assert listed.status_code == 200
    assert listed.json(), "the demo and this test registered people"
    for row in listed.json():
        assert not {"phone", "email", "contact"} & set(row), row
    one = client.get(f"/api/people/{person['id']}", headers=ANONYMOUS).json()
    assert one["name"] == person["name"] and "phone" not in one and "email" not in one


def test_contact_is_shown_to_editors_of_the_persons_area_only(client: TestClient) -> None:
    person = _person(client)

    def seen(headers: dict[str, str]) -> bool:
        return "phone" in client.get(f"/api/people/{person['id']}", headers=headers).json()

    assert seen({})  # the administrator
    assert seen(_headers("planner"))
    assert seen(_headers("core", "IR-15"))  # the county lies in the member's province
    assert not seen(_headers("core", "IR-07"))
    assert not seen(_headers("viewer"))
    assert not seen(_headers("analyst"))


def test_a_malformed_phone_or_email_is_refused_naming_the_field(client: TestClient) -> None:
    bad = client.post("/api/people", json={"name": "X", "email": "not an address"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "email"
    bad = client.post("/api/people", json={"name": "X", "phone": "call me"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "phone"


def test_retiring_a_person_who_holds_a_roadmap_asks_for_the_handover_first(client: TestClient) -> None:
    holder, successor = _person(client), _person(client)
    roadmap = client.post("/api/roadmaps", json={"unit": COUNTY, "title": "Held", "start_date": "2025-01-01",
                                                 "end_date": "2027-01-01", "responsible_person_id": holder["id"]})
    assert roadmap.status_code == 201
    refused = client.post(f"/api/people/{holder['id']}/retire", json={"reason": "moved to Tehran"})
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "handover"
    assert client.post("/api/handovers", json={"from_person_id": holder["id"], "to_person_id": successor["id"],
                                               "handed_over_on": "2025-06-01"}).status_code == 201
    retired = client.post(f"/api/people/{holder['id']}/retire", json={"reason": "moved to Tehran"})
    assert retired.status_code == 200 and retired.json()["retired_at"]
    assert holder["id"] not in [p["id"] for p in client.get("/api/people").json()]
    assert holder["id"] in [p["id"] for p in client.get("/api/people", params={"retired": True}).json()]
    handed = client.post("/api/handovers", json={"from_person_id": successor["id"], "to_person_id": holder["id"],
                                                 "handed_over_on": "2025-07-01"})
    assert handed.status_code == 422 and handed.json()["error"]["field"] == "to_person_id"
    assert client.post(f"/api/people/{holder['id']}/restore", json={},
                       headers=_headers("planner")).status_code == 403
    assert client.post(f"/api/people/{holder['id']}/restore", json={}).json()["retired_at"] is None
    client.delete(f"/api/roadmaps/{roadmap.json()['id']}")


def test_a_core_names_its_members(client: TestClient) -> None:
    a, b = _person(client), _person(client)
    core = client.post("/api/cores", json={"name": f"Core {uuid.uuid4().hex[:6]}", "unit": COUNTY,
                                           "members_count": 5, "member_ids": [a["id"]]})
    assert core.status_code == 201, core.text
    assert [m["id"] for m in core.json()["members"]] == [a["id"]]
    changed = client.patch(f"/api/cores/{core.json()['id']}", json={"member_ids": [a["id"], b["id"]]}).json()
    assert sorted(m["id"] for m in changed["members"]) == sorted([a["id"], b["id"]])
    assert changed["members_count"] == 5
    unknown = client.patch(f"/api/cores/{core.json()['id']}", json={"member_ids": [987654321]})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "member_ids"


def test_funds_banks_and_charities_are_organisations_and_one_that_sponsors_is_retired_only_when_free(
        client: TestClient) -> None:
    for kind in ("fund", "bank", "charity"):
        made = client.post("/api/organisations", json={"name": f"{kind} {uuid.uuid4().hex[:6]}", "kind": kind})
        assert made.status_code == 201 and made.json()["kind"] == kind
    sponsor = client.post("/api/organisations", json={"name": f"Sponsor {uuid.uuid4().hex[:6]}",
                                                      "kind": "economic_sponsor"}).json()
    roadmap = client.post("/api/roadmaps", json={"unit": COUNTY, "title": "Sponsored", "start_date": "2025-01-01",
                                                 "end_date": "2027-01-01", "sponsor_id": sponsor["id"]}).json()
    refused = client.post(f"/api/organisations/{sponsor['id']}/retire", json={"reason": "closed"})
    assert refused.status_code == 409
    assert client.post(f"/api/roadmaps/{roadmap['id']}/archive", json={"reason": "replaced"}).status_code == 200
    retired = client.post(f"/api/organisations/{sponsor['id']}/retire", json={"reason": "closed"})
    assert retired.status_code == 200
    assert sponsor["id"] not in [o["id"] for o in client.get("/api/organisations").json()]
    client.delete(f"/api/roadmaps/{roadmap['id']}")
