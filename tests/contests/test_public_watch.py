"""The public watch (دیده‌بان پیشرفت): an adopted map, once published from its roadmap page,
is readable without signing in — its actions, their status and the map — and shows no
person: no phone, no e-mail, no name. An unpublished roadmap (or a proposal never adopted)
answers 404 to anonymous readers, on the page and in the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spatial.db.engine import session_scope
from spatial.planning import contests
from spatial.planning.history import LocalEditor
from spatial.planning.people import create_person
from spatial.planning.roadmap_inputs import PersonIn
from tests.conftest import committed_rows_removed
from tests.contests.helpers import run_to_scoring, to_results

TARGET = "IR-15-04"
PHONE, EMAIL, NAME = "09131234567", "watch.responsible@example.org", "Responsible Person Watch"


@pytest.fixture(scope="module")
def adopted(database_url: str) -> Iterator[dict[str, Any]]:
    """An event for one place run to its end: the winner's map adopted, the other entry not;
    the actions' responsible person has a phone and an e-mail. Removed after the module."""
    with committed_rows_removed():
        with session_scope() as session:
            person = create_person(session, PersonIn(name=NAME, role="مسئول توسعه", unit=TARGET, phone=PHONE,
                                                     email=EMAIL), LocalEditor("test-setup"))
        contest = run_to_scoring(f"رویداد دیده‌بان {uuid.uuid4().hex[:6]}", (TARGET,), ["demo-viewer"],
                                 [(TARGET, "گروه یکم"), (TARGET, "گروه دوم")], responsible_person_id=person["id"])
        winner, other = contest["entries"]
        with session_scope() as session:
            for entry, score in ((winner, 90), (other, 40)):
                contests.score_entry(session, entry["id"], {c["id"]: score for c in contest["criteria"]},
                                     LocalEditor("demo-viewer"))
        to_results(contest["id"])
        with session_scope() as session:
            contests.adopt_entry(session, winner["id"], LocalEditor("test-organiser"))
        yield {"winner": winner, "other": other}


@pytest.fixture
def anonymous(client: TestClient) -> TestClient:
    """The same app, called without any credentials."""
    return TestClient(client.app)


def test_an_unpublished_adopted_map_is_not_found_by_anonymous_readers(
        adopted: dict[str, Any], client: TestClient, anonymous: TestClient) -> None:
    roadmap_id = adopted["winner"]["roadmap_id"]
    assert client.put(f"/api/roadmaps/{roadmap_id}/published", json={"published": False}).status_code == 200
    assert anonymous.get(f"/watch/{roadmap_id}").status_code == 404
    assert anonymous.get(f"/watch/{roadmap_id}/map").status_code == 404
    assert anonymous.get(f"/api/watch/{roadmap_id}").status_code == 404


def test_a_published_adopted_map_is_read_without_signing_in_and_shows_no_person(
        adopted: dict[str, Any], client: TestClient, anonymous: TestClient) -> None:
    roadmap_id = adopted["winner"]["roadmap_id"]
    assert client.put(f"/api/roadmaps/{roadmap_id}/published", json={"published": True}).json()["published"]
    page = anonymous.get(f"/watch/{roadmap_id}")
    assert page.status_code == 200
    assert "اقدام گروه یکم" in page.text and "دیده‌بان پیشرفت" in page.text
    document = anonymous.get(f"/api/watch/{roadmap_id}")
    assert document.status_code == 200
    assert [f["properties"]["title"] for f in document.json()["actions"]["features"]] == ["اقدام گروه یکم"]
    shown = anonymous.get(f"/watch/{roadmap_id}/map")
    assert shown.status_code == 200
    for body in (page.text, document.text, shown.text):
        assert PHONE not in body and EMAIL not in body and NAME not in body
    # The planner's roadmap page says it is published and links to the public page.
    assert f'href="/watch/{roadmap_id}"' in client.get(f"/roadmaps/{roadmap_id}").text


def test_a_proposal_never_adopted_cannot_be_published_to_the_public(
        adopted: dict[str, Any], client: TestClient, anonymous: TestClient) -> None:
    roadmap_id = adopted["other"]["roadmap_id"]
    client.put(f"/api/roadmaps/{roadmap_id}/published", json={"published": True})
    assert anonymous.get(f"/watch/{roadmap_id}").status_code == 404
