"""Progress status on hand-computed cases.

The action runs from 2024-01-01 and its key result's target date is 2024-04-10, 100
days later, so with baseline 0 and target 100 the straight line stands at ``d`` on day
``d``: on 2024-02-20 (day 50) it is at 50.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from spatial.planning import history
from spatial.planning.history import LocalEditor
from spatial.planning.progress import action_progress, progress_for_unit, progress_geojson, roadmap_progress, roll_up
from spatial.planning.roadmap_inputs import ActionIn, ActionPatch, KeyResultIn, MeasurementIn
from spatial.planning.roadmaps import create_action, create_measurement, update_action
from tests.roadmaps.conftest import COUNTY, point_in

START = date(2024, 1, 1)
TARGET_DATE = date(2024, 4, 10)
DAY_50 = date(2024, 2, 20)
EDITOR = LocalEditor("watcher")


def _action(session: Session, roadmap: dict[str, Any], *measurements: tuple[date, float], baseline: float = 0,
            target: float = 100, status: str = "in_progress") -> dict[str, Any]:
    action = create_action(session, ActionIn(
        roadmap_id=roadmap["id"], title="Carpet workshop", start_date=START, status=status,
        key_results=[KeyResultIn(indicator="jobs", baseline=baseline, target=target, target_date=TARGET_DATE)],
    ), EDITOR)
    for day, value in measurements:
        create_measurement(session, MeasurementIn(key_result_id=action["key_results"][0]["id"], measured_on=day,
                                                  value=value), EDITOR)
    return action


def _status(session: Session, action: dict[str, Any], on: date) -> dict[str, Any]:
    return action_progress(session, [action["id"]], on)[action["id"]]["key_results"][0]


@pytest.mark.parametrize(("measurements", "on", "status", "progress"), [
    ([(DAY_50, 100)], date(2024, 3, 1), "achieved", 1.0),
    ([(DAY_50, 100)], date(2024, 6, 1), "achieved", 1.0),          # achieved stays achieved after the date
    ([(DAY_50, 60)], date(2024, 3, 1), "on_track", 0.6),            # line at 50
    ([(DAY_50, 50)], date(2024, 3, 1), "on_track", 0.5),            # exactly on the line
    ([(DAY_50, 40)], date(2024, 3, 1), "behind", 0.4),
    ([(date(2024, 3, 31), 95)], date(2024, 5, 1), "overdue", 0.95),  # target date passed, not reached
    ([], date(2024, 3, 1), "no_data", 0.0),
    ([(DAY_50, 40), (date(2024, 3, 10), 75)], date(2024, 3, 11), "on_track", 0.75),  # latest wins: line at 69
    ([(DAY_50, 40), (date(2024, 3, 10), 75)], date(2024, 3, 5), "behind", 0.4),      # later value not yet known
])
def test_key_result_status_hand_computed(session: Session, roadmap: dict[str, Any], measurements, on, status,
                                         progress) -> None:
    kr = _status(session, _action(session, roadmap, *measurements), on)
    assert kr["status"] == status
    assert kr["progress"] == pytest.approx(progress)


def test_a_falling_target_is_on_track_below_the_line(session: Session, roadmap: dict[str, Any]) -> None:
    # Unemployment from 20 % to 10 %: on day 50 the line is at 15.
    on_track = _action(session, roadmap, (DAY_50, 14), baseline=20, target=10)
    behind = _action(session, roadmap, (DAY_50, 16), baseline=20, target=10)
    achieved = _action(session, roadmap, (DAY_50, 9.5), baseline=20, target=10)
    day = date(2024, 3, 1)
    assert _status(session, on_track, day)["status"] == "on_track"
    assert _status(session, on_track, day)["expected"] == pytest.approx(15)
    assert _status(session, behind, day)["status"] == "behind"
    assert _status(session, achieved, day)["status"] == "achieved"


def test_the_line_starts_at_the_roadmap_start_when_the_action_has_none(session: Session,
                                                                      roadmap: dict[str, Any]) -> None:
    action = create_action(session, ActionIn(roadmap_id=roadmap["id"], title="No start date", key_results=[
        KeyResultIn(indicator="x", baseline=0, target=100, target_date=TARGET_DATE)]), EDITOR)
    create_measurement(session, MeasurementIn(key_result_id=action["key_results"][0]["id"], measured_on=DAY_50,
                                              value=50), EDITOR)
    kr = _status(session, action, date(2024, 3, 1))
    assert kr["start_date"] == roadmap_start(roadmap) and kr["status"] == "on_track"


def roadmap_start(roadmap: dict[str, Any]) -> date:
    return date.fromisoformat(roadmap["start_date"])


@pytest.mark.parametrize(("parts", "whole"), [
    (["achieved", "achieved"], "achieved"),
    (["achieved", "on_track"], "on_track"),
    (["achieved", "no_data"], "on_track"),
    (["on_track", "behind", "achieved"], "behind"),
    (["behind", "overdue"], "overdue"),
    (["no_data", "no_data"], "no_data"),
    ([], "no_data"),
])
def test_roll_up_rule(parts: list[str], whole: str) -> None:
    assert roll_up(parts) == whole


def test_actions_and_roadmaps_roll_up_their_parts(session: Session, roadmap: dict[str, Any]) -> None:
    day = date(2024, 3, 1)
    achieved = _action(session, roadmap, (DAY_50, 100))
    behind = _action(session, roadmap, (DAY_50, 10))
    cancelled = _action(session, roadmap, (DAY_50, 0), status="cancelled")
    update_action(session, cancelled["id"], ActionPatch(status="cancelled"), EDITOR)
    statuses = action_progress(session, [achieved["id"], behind["id"]], day)
    assert statuses[achieved["id"]]["status"] == "achieved" and statuses[behind["id"]]["status"] == "behind"
    assert roadmap_progress(session, [roadmap["id"]], day) == {roadmap["id"]: "behind"}


def test_progress_of_a_unit_lists_every_action_below_it(session: Session, roadmap: dict[str, Any]) -> None:
    placed = create_action(session, ActionIn(roadmap_id=roadmap["id"], title="Placed", start_date=START,
                                             geometry=point_in(session, COUNTY)), EDITOR)
    _action(session, roadmap, (DAY_50, 60))
    listing = progress_for_unit(session, "IR-15", on=date(2024, 3, 1))
    ours = {a["id"]: a for a in listing["actions"] if a["roadmap_id"] == roadmap["id"]}
    assert sorted(a["progress_status"] for a in ours.values()) == ["no_data", "on_track"]
    assert listing["counts"]["on_track"] >= 1
    provincial = progress_for_unit(session, "IR-15", level="province", on=date(2024, 3, 1))["actions"]
    assert {a["level"] for a in provincial} <= {"province"}
    assert not [a for a in provincial if a["roadmap_id"] == roadmap["id"]]
    fc = progress_geojson(session, COUNTY, on=date(2024, 3, 1))
    placed_features = [f for f in fc["features"] if f["id"] == placed["id"]]
    assert placed_features[0]["geometry"]["type"] == "Point"
    assert placed_features[0]["properties"]["progress_status"] == "no_data"
    assert all(f["geometry"] is not None for f in fc["features"])


def test_editing_key_results_keeps_measurements_of_kept_ones(session: Session, roadmap: dict[str, Any]) -> None:
    action = _action(session, roadmap, (DAY_50, 40))
    kr = action["key_results"][0]
    kept = KeyResultIn(id=kr["id"], indicator="jobs", baseline=0, target=80, target_date=TARGET_DATE)
    added = KeyResultIn(indicator="trainees", baseline=0, target=10, target_date=TARGET_DATE)
    updated = update_action(session, action["id"], ActionPatch(key_results=[kept, added]), EDITOR)
    assert [k["id"] for k in updated["key_results"]][0] == kr["id"] and len(updated["key_results"]) == 2
    # 40 of 80 on day 50 of 100 is exactly on the (new) line.
    assert _status(session, action, date(2024, 3, 1))["status"] == "on_track"
    update_action(session, action["id"], ActionPatch(key_results=[added]), EDITOR)
    deleted = [e for e in history.events(session, roadmap["id"], "measurement") if e["operation"] == "delete"]
    assert len(deleted) == 1 and deleted[0]["before"]["value"] == 40
