"""A competition from start to end, through the API: two target places, four entries (two
per place), three jurors. A juror sees only their own scores until scoring closes and
cannot score an event they do not sit on (403, nothing written); the results match the
weighted scores computed here independently; the organiser adopts each place's winner,
which becomes that place's roadmap, and the other entries are in the past-plans register
with their scores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from spatial.db.engine import session_scope
from tests.contests.conftest import Caller
from tests.contests.helpers import OPEN, RESULTS, SCORING

TARGETS = ("IR-15-01", "IR-15-02")
CRITERIA = [{"name": "Realism", "weight": 3}, {"name": "People's part", "weight": 2}, {"name": "Use of capacities",
                                                                                        "weight": 1}]
#: juror index -> entry index -> scores per criterion (entries 0, 1 for the first place; 2, 3 for the second).
SCORES = [
    [[80, 70, 60], [60, 90, 90], [50, 50, 50], [70, 40, 100]],
    [[90, 60, 70], [70, 80, 80], [40, 60, 50], [60, 50, 90]],
    [[70, 80, 50], [65, 85, 95], [55, 45, 60], [80, 30, 100]],
]


def expected_scores() -> list[float]:
    """Each entry's combined score: the mean over jurors per criterion, weighted by the criteria's shares."""
    weights = [c["weight"] / sum(c["weight"] for c in CRITERIA) for c in CRITERIA]
    return [sum(w * sum(SCORES[j][e][c] for j in range(3)) / 3 for c, w in enumerate(weights)) for e in range(4)]


def event(organiser: Caller, jurors: list[Caller], timetable: dict[str, str], title: str = "طلوع پیشرفت") -> Any:
    made = organiser("POST", "/api/contests", json={
        "title": title, "targets": list(TARGETS), "criteria": CRITERIA,
        "jurors": [j.username for j in jurors], **timetable})
    assert made.status_code == 201, made.text
    return made.json()


def enter(caller: Caller, contest_id: int, target: str, group: str) -> dict[str, Any]:
    """Enter a group with a proposal of one action, and submit it."""
    entry = caller("POST", f"/api/contests/{contest_id}/entries",
                   json={"target": target, "title": f"نقشه پیشرفت {group}", "group_name": group})
    assert entry.status_code == 201, entry.text
    action = caller("POST", "/api/actions", json={"roadmap_id": entry.json()["roadmap_id"], "title": f"اقدام {group}"})
    assert action.status_code == 201, action.text
    submitted = caller("POST", f"/api/contest-entries/{entry.json()['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    return dict(submitted.json())


def scores_written(entry_ids: list[int]) -> int:
    with session_scope() as session:
        return int(session.execute(text("SELECT count(*) FROM contest_score WHERE entry_id = ANY(:ids)"),
                                   {"ids": entry_ids}).scalar_one())


def test_a_competition_is_scored_by_its_jury_ranked_and_its_winners_adopted(
        account: Callable[..., Caller]) -> None:
    organiser = account("planner")
    jurors = [account("viewer"), account("viewer"), account("analyst")]
    stranger = account("viewer")
    contest = event(organiser, jurors, OPEN)
    other = event(organiser, [stranger], OPEN, title="رویداد دیگر")
    assert contest["phase"] == "open" and [t["code"] for t in contest["targets"]] == list(TARGETS)

    entries = [enter(organiser, contest["id"], TARGETS[i // 2], f"گروه {i + 1}") for i in range(4)]
    ids = [e["id"] for e in entries]
    # The proposals are out of the places' ordinary roadmap lists until one is adopted.
    for target in TARGETS:
        listed = {r["id"] for r in organiser("GET", "/api/roadmaps", params={"unit": target}).json()}
        assert listed.isdisjoint(e["roadmap_id"] for e in entries)
    # Nobody scores while entries are open.
    assert jurors[0]("PUT", f"/api/contest-entries/{ids[0]}/scores",
                     json={"scores": {str(contest["criteria"][0]["id"]): 50}}).status_code == 409

    assert organiser("PATCH", f"/api/contests/{contest['id']}", json=SCORING).json()["phase"] == "scoring"
    organiser("PATCH", f"/api/contests/{other['id']}", json=SCORING)
    criteria = [c["id"] for c in contest["criteria"]]
    for j, juror in enumerate(jurors):
        for e, entry_id in enumerate(ids):
            given = juror("PUT", f"/api/contest-entries/{entry_id}/scores",
                          json={"scores": {str(c): s for c, s in zip(criteria, SCORES[j][e], strict=True)}})
            assert given.status_code == 200, given.text
        # Before scoring closes, a juror sees their own scores only.
        mine = juror("GET", f"/api/contests/{contest['id']}/my-scores").json()
        assert mine == {str(i): {str(c): float(s) for c, s in zip(criteria, SCORES[j][e], strict=True)} for e, i in enumerate(ids)}
        assert juror("GET", f"/api/contests/{contest['id']}/scores").status_code == 409
        assert juror("GET", f"/api/contests/{contest['id']}/results").status_code == 409

    # A juror of another event cannot score this one: 403, nothing written.
    before = scores_written(ids)
    refused = stranger("PUT", f"/api/contest-entries/{ids[0]}/scores", json={"scores": {str(criteria[0]): 100}})
    assert refused.status_code == 403, refused.text
    assert scores_written(ids) == before == 3 * 4 * 3
    # Nor can the organiser, who is not on the jury.
    assert organiser("PUT", f"/api/contest-entries/{ids[0]}/scores",
                     json={"scores": {str(criteria[0]): 100}}).status_code == 403

    organiser("PATCH", f"/api/contests/{contest['id']}", json=RESULTS)
    assert len(jurors[1]("GET", f"/api/contests/{contest['id']}/scores").json()) == 3 * 4 * 3
    board = organiser("GET", f"/api/contests/{contest['id']}/results").json()
    expected = expected_scores()
    winners = []
    for t, target in enumerate(board["targets"]):
        ranked = target["entries"]
        assert [e["id"] for e in ranked] == sorted(ids[2 * t:2 * t + 2], key=lambda i: -expected[ids.index(i)])
        for e in ranked:
            assert e["score"] == pytest.approx(expected[ids.index(e["id"])])
            assert sum(b["weighted"] for b in e["breakdown"]) == pytest.approx(e["score"])
            assert e["jurors"] == 3
        assert [e["rank"] for e in ranked] == [1, 2]
        winners.append(ranked[0])

    for winner in winners:
        adopted = organiser("POST", f"/api/contest-entries/{winner['id']}/adopt")
        assert adopted.status_code == 200, adopted.text
    # A juror (no organiser) cannot adopt, nor can a place be decided twice.
    assert jurors[0]("POST", f"/api/contest-entries/{winners[0]['id']}/adopt").status_code == 403
    assert organiser("POST", f"/api/contest-entries/{winners[0]['id']}/adopt").status_code == 409

    for target, winner in zip(TARGETS, winners, strict=True):
        listed = {r["id"]: r for r in organiser("GET", "/api/roadmaps", params={"unit": target}).json()}
        assert winner["roadmap_id"] in listed and listed[winner["roadmap_id"]]["status"] == "approved"
        loser = next(e for e in entries if e["target"] == target and e["id"] != winner["id"])
        assert loser["roadmap_id"] not in listed
        plans = organiser("GET", "/api/past-plans", params={"unit": target, "outcome": "not_adopted"}).json()
        plan = next(p for p in plans if p["title"].startswith(loser["group_name"]))
        score = next(e["score"] for e in board["targets"][TARGETS.index(target)]["entries"] if e["id"] == loser["id"])
        assert f"{score:.1f}".translate(str.maketrans("0123456789.", "۰۱۲۳۴۵۶۷۸۹٫")) in plan["lessons"]
        assert "طلوع پیشرفت" in plan["lessons"]
        # The proposal stays with its event: it cannot be deleted (409, nothing deleted).
        assert organiser("DELETE", f"/api/roadmaps/{loser['roadmap_id']}").status_code == 409
        assert organiser("GET", f"/api/roadmaps/{loser['roadmap_id']}").status_code == 200
