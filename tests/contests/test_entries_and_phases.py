"""An event's phase comes from its stored days and "now" (injected here); a core's entries
and their results (for its record card) appear once scoring has closed; a core member
enters only for their own core, inside their area; nobody but the organiser creates events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import Conflict, Forbidden
from spatial.planning import contests, roadmaps
from spatial.planning.contest_inputs import ContestIn, EntryIn
from spatial.planning.cores import create_core
from spatial.planning.history import LocalEditor
from spatial.planning.roadmap_inputs import ActionIn, CoreIn

DAY = date(2026, 3, 1)
TIMETABLE = {"opens_on": DAY, "submissions_close_on": DAY + timedelta(days=10),
             "scoring_on": DAY + timedelta(days=12), "results_on": DAY + timedelta(days=20)}
ORGANISER = LocalEditor("organiser")


@pytest.mark.parametrize(("offset", "phase"), [(-1, "upcoming"), (0, "open"), (9, "open"), (10, "closed"),
                                               (12, "scoring"), (19, "scoring"), (20, "results"), (400, "results")])
def test_the_phase_follows_the_stored_days(offset: int, phase: str) -> None:
    assert contests.phase_on(TIMETABLE, DAY + timedelta(days=offset)) == phase


def test_a_cores_entries_carry_their_score_and_rank_once_results_are_out(session: Session) -> None:
    core = create_core(session, CoreIn(name="هسته پیشرفت رفسنجان", unit="IR-15-01"), ORGANISER)
    made = contests.create_contest(session, ContestIn(
        title="طلوع پیشرفت ۱۴۰۵", targets=["IR-15-01"], criteria=[{"name": "Realism", "weight": 1}],
        jurors=["demo-viewer"], **TIMETABLE), ORGANISER)
    entry = contests.create_entry(session, made["id"], EntryIn(target="IR-15-01", title="نقشه هسته",
                                                               core_id=core["id"]), ORGANISER, today=DAY)
    assert entry["group_name"] == "هسته پیشرفت رفسنجان"
    roadmaps.create_action(session, ActionIn(roadmap_id=entry["roadmap_id"], title="اقدام"), ORGANISER)
    contests.submit_entry(session, entry["id"], ORGANISER, today=DAY)
    with pytest.raises(Conflict):  # entries closed
        contests.create_entry(session, made["id"], EntryIn(target="IR-15-01", title="دیر", group_name="دیر"),
                              ORGANISER, today=DAY + timedelta(days=11))
    scoring = DAY + timedelta(days=12)
    contests.score_entry(session, entry["id"], {made["criteria"][0]["id"]: 64}, LocalEditor("demo-viewer"),
                         today=scoring)
    [before] = contests.core_entries(session, core["id"], today=scoring)
    assert before["contest_title"] == "طلوع پیشرفت ۱۴۰۵" and before["score"] is None and before["rank"] is None
    [after] = contests.core_entries(session, core["id"], today=DAY + timedelta(days=20))
    assert (after["score"], after["rank"], after["state"]) == (64.0, 1, "submitted")
    contests.adopt_entry(session, entry["id"], ORGANISER, today=DAY + timedelta(days=20))
    # Adopted in the core's own area: the core's map, on the core's record.
    assert roadmaps.get_roadmap(session, entry["roadmap_id"])["core_id"] == core["id"]


def test_a_core_member_enters_only_for_their_own_core_and_organises_nothing(session: Session) -> None:
    area = session.execute(text("SELECT id FROM admin_unit WHERE code = 'IR-15-01' AND valid_to IS NULL")).scalar_one()
    member = LocalEditor("core-member", area_unit_id=area)
    theirs = create_core(session, CoreIn(name="هسته خودی", unit="IR-15-01"), ORGANISER)
    elsewhere = create_core(session, CoreIn(name="هسته دیگر", unit="IR-15-02"), ORGANISER)
    made = contests.create_contest(session, ContestIn(
        title="رویداد", targets=["IR-15-01", "IR-15-02"], criteria=[{"name": "Realism", "weight": 1}],
        jurors=["demo-viewer"], **TIMETABLE), ORGANISER)
    assert contests.create_entry(session, made["id"], EntryIn(target="IR-15-01", title="نقشه",
                                                              core_id=theirs["id"]), member, today=DAY)["core_id"]
    for entry in (EntryIn(target="IR-15-01", title="نقشه", group_name="گروه آزاد"),
                  EntryIn(target="IR-15-01", title="نقشه", core_id=elsewhere["id"]),
                  EntryIn(target="IR-15-02", title="نقشه", core_id=theirs["id"])):
        with pytest.raises(Forbidden):
            contests.create_entry(session, made["id"], entry, member, today=DAY)
    with pytest.raises(Forbidden):
        contests.create_contest(session, ContestIn(
            title="x", targets=["IR-15-01"], criteria=[{"name": "a", "weight": 1}], jurors=["demo-viewer"],
            **TIMETABLE), member)


def test_a_submitted_proposal_changes_no_more_until_it_is_adopted(session: Session) -> None:
    made = contests.create_contest(session, ContestIn(
        title="طلوع پیشرفت ۱۴۰۶", targets=["IR-15-01"], criteria=[{"name": "Realism", "weight": 1}],
        jurors=["demo-viewer"], **TIMETABLE), ORGANISER)
    entry = contests.create_entry(session, made["id"], EntryIn(target="IR-15-01", title="نقشه گروه",
                                                               group_name="گروه جهادی"), ORGANISER, today=DAY)
    roadmaps.create_action(session, ActionIn(roadmap_id=entry["roadmap_id"], title="اقدام نخست"), ORGANISER)
    contests.submit_entry(session, entry["id"], ORGANISER, today=DAY)

    with pytest.raises(Conflict) as refused:
        roadmaps.create_action(session, ActionIn(roadmap_id=entry["roadmap_id"], title="اقدام دیرهنگام"), ORGANISER)
    assert refused.value.reason == "contest_proposal_sent"
    assert [a["title"] for a in roadmaps.get_roadmap(session, entry["roadmap_id"])["actions"]] == ["اقدام نخست"]
    contests.adopt_entry(session, entry["id"], ORGANISER, today=DAY + timedelta(days=20))
    roadmaps.create_action(session, ActionIn(roadmap_id=entry["roadmap_id"], title="اقدام پس از پذیرش"), ORGANISER)
