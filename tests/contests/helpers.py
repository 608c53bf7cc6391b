"""Helpers of the competition tests: timetables that put an event in each phase today, and an
event run through the core up to its scoring and its results."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from spatial.db.engine import session_scope

TODAY = date.today()


def days(*offsets: int) -> dict[str, str]:
    """A timetable whose four days lie ``offsets`` days from today."""
    names = ("opens_on", "submissions_close_on", "scoring_on", "results_on")
    return {name: (TODAY + timedelta(days=d)).isoformat() for name, d in zip(names, offsets, strict=True)}


#: Timetables putting an event in its open, scoring and results phase today.
OPEN, SCORING, RESULTS = days(-1, 1, 2, 3), days(-3, -2, -1, 1), days(-4, -3, -2, 0)


def run_to_scoring(title: str, targets: tuple[str, ...], jurors: list[str], groups: list[tuple[str, str]],
                   responsible_person_id: int | None = None) -> dict[str, Any]:
    """An event (through the core, as its organiser) whose entries — ``(target, group)`` each, with one
    action placed nowhere — are submitted, moved on to its scoring phase; returns the event."""
    from spatial.planning import contests, roadmaps
    from spatial.planning.contest_inputs import ContestIn, EntryIn, TimetablePatch
    from spatial.planning.history import LocalEditor
    from spatial.planning.roadmap_inputs import ActionIn

    organiser = LocalEditor("test-organiser")
    with session_scope() as session:
        made = contests.create_contest(session, ContestIn.model_validate({
            "title": title, "targets": list(targets), "jurors": jurors, **OPEN,
            "criteria": [{"name": "واقع‌بینی", "weight": 2}, {"name": "مشارکت مردم", "weight": 1}]}), organiser)
        for target, group in groups:
            entry = contests.create_entry(session, made["id"], EntryIn(target=target, title=f"نقشه {group}",
                                                                       group_name=group), organiser)
            roadmaps.create_action(session, ActionIn(roadmap_id=entry["roadmap_id"], title=f"اقدام {group}",
                                                     responsible_person_id=responsible_person_id), organiser)
            contests.submit_entry(session, entry["id"], organiser)
        return contests.update_timetable(session, made["id"], TimetablePatch.model_validate(SCORING), organiser)


def to_results(contest_id: int) -> None:
    """Close an event's scoring: its results are out today."""
    from spatial.planning import contests
    from spatial.planning.contest_inputs import TimetablePatch
    from spatial.planning.history import LocalEditor

    with session_scope() as session:
        contests.update_timetable(session, contest_id, TimetablePatch.model_validate(RESULTS),
                                  LocalEditor("test-organiser"))
