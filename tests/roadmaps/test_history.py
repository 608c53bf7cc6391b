"""History: every change recorded with author and diff; as_of returns each earlier state exactly."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from spatial.planning import history
from spatial.errors import NotFound
from spatial.planning.history import LocalEditor, parse_as_of
from spatial.planning.roadmap_inputs import ActionIn, ActionPatch, FinancingIn, RoadmapIn, RoadmapPatch
from spatial.planning.roadmaps import (
    create_action, create_roadmap, delete_action, delete_roadmap, get_roadmap, update_action, update_roadmap,
)
from tests.roadmaps.conftest import COUNTY, point_in


def _at(event: dict[str, Any]):
    return parse_as_of(event["at"])


def test_three_authors_history_lists_each_change_with_author_and_diff(session: Session) -> None:
    created = create_roadmap(session, RoadmapIn(unit=COUNTY, title="Draft roadmap", start_date=date(2025, 3, 21),
                                                end_date=date(2030, 3, 20)), LocalEditor("ali"))
    rid = created["id"]
    update_roadmap(session, rid, RoadmapPatch(title="Kerman county roadmap 1404-1408"), LocalEditor("bahar"))
    update_roadmap(session, rid, RoadmapPatch(status="approved", strategies=["tourism", "pistachio processing"]),
                   LocalEditor("cyrus"))

    events = history.events(session, rid)
    assert [(e["operation"], e["author"]) for e in events] == [
        ("create", "ali"), ("update", "bahar"), ("update", "cyrus")]
    assert events[0]["before"] is None and events[0]["after"]["title"] == "Draft roadmap"
    assert events[1]["changes"]["title"] == ["Draft roadmap", "Kerman county roadmap 1404-1408"]
    assert set(events[1]["changes"]) == {"title", "updated_at", "updated_by", "version"}
    assert events[2]["changes"]["status"] == ["draft", "approved"]
    assert events[2]["changes"]["strategies"] == [[], ["tourism", "pistachio processing"]]
    assert events[2]["changes"]["updated_by"] == ["bahar", "cyrus"]


def test_as_of_returns_each_earlier_state_exactly(session: Session) -> None:
    states = []
    doc = create_roadmap(session, RoadmapIn(unit=COUNTY, title="v1", start_date=date(2025, 3, 21),
                                            end_date=date(2030, 3, 20)), LocalEditor("ali"))
    rid = doc["id"]
    states.append(get_roadmap(session, rid))
    update_roadmap(session, rid, RoadmapPatch(title="v2"), LocalEditor("bahar"))
    states.append(get_roadmap(session, rid))
    update_roadmap(session, rid, RoadmapPatch(title="v3", status="approved"), LocalEditor("cyrus"))
    states.append(get_roadmap(session, rid))

    events = history.events(session, rid)
    for event, state in zip(events, states, strict=True):
        assert history.as_of(session, rid, _at(event)) == state
    # Just before the second change, the first state still holds.
    assert history.as_of(session, rid, _at(events[2]) - timedelta(microseconds=1)) == states[1]
    assert [history.as_of(session, rid, _at(e))["title"] for e in events] == ["v1", "v2", "v3"]


def test_as_of_includes_actions_as_they_were(session: Session) -> None:
    doc = create_roadmap(session, RoadmapIn(unit=COUNTY, title="With actions", start_date=date(2024, 1, 1),
                                            end_date=date(2026, 12, 31)), LocalEditor("ali"))
    rid = doc["id"]
    action = create_action(session, ActionIn(roadmap_id=rid, title="Greenhouses", geometry=point_in(session, COUNTY),
                                             financing=[FinancingIn(source="bank_loan", amount_rials=5_000_000_000)]),
                           LocalEditor("bahar"))
    with_action = get_roadmap(session, rid)
    update_action(session, action["id"], ActionPatch(status="in_progress",
                                                     financing=[FinancingIn(source="people", amount_rials=1)]),
                  LocalEditor("cyrus"))
    changed = get_roadmap(session, rid)
    delete_action(session, action["id"], LocalEditor("ali"))
    gone = get_roadmap(session, rid)

    events = history.events(session, rid)
    assert [(e["entity"], e["operation"]) for e in events] == [
        ("roadmap", "create"), ("action", "create"), ("action", "update"), ("action", "delete")]
    assert events[2]["changes"]["financing"][1] == [{"source": "people", "amount_rials": 1, "note": ""}]
    assert history.as_of(session, rid, _at(events[1])) == with_action
    assert history.as_of(session, rid, _at(events[2])) == changed
    assert history.as_of(session, rid, _at(events[3])) == gone and gone["actions"] == []
    assert with_action["actions"][0]["geometry"]["type"] == "Point"


def test_as_of_before_creation_and_after_deletion_is_not_found(session: Session) -> None:
    doc = create_roadmap(session, RoadmapIn(unit=COUNTY, title="Short-lived", start_date=date(2025, 1, 1),
                                            end_date=date(2025, 12, 31)), LocalEditor("ali"))
    created_at = parse_as_of(doc["created_at"])
    delete_roadmap(session, doc["id"], LocalEditor("bahar"))
    with pytest.raises(NotFound):
        history.as_of(session, doc["id"], created_at - timedelta(seconds=1))
    with pytest.raises(NotFound):
        history.as_of(session, doc["id"], parse_as_of("2999-01-01"))
    # Deleted, yet nothing is lost: the last state is in the history.
    last = history.events(session, doc["id"])[-1]
    assert last["operation"] == "delete" and last["before"]["title"] == "Short-lived"
