"""A progress core's journey: stages moved only along the allowed transitions and kept with
who, when and why; assessment rounds whose combined scores are the weighted means (or TOPSIS)
of the assessors' forms; the trained rule; drafting, submitting, review and adoption; and who
may do each (403 and nothing written otherwise)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.accounts import users as accounts
from spatial.accounts.tokens import issue_token
from spatial.db.engine import session_scope
from spatial.errors import Conflict, Forbidden
from spatial.planning import journey
from spatial.planning.cores import create_core
from spatial.planning.history import LocalEditor
from spatial.planning.journey_inputs import CourseIn, CriterionIn, DraftIn, RoundIn, SessionIn
from spatial.planning.people import create_person
from spatial.planning.references import unit_ref
from spatial.planning.roadmap_inputs import ActionIn, CoreIn, PersonIn
from spatial.planning.roadmaps import create_action
from tests.roadmaps.conftest import COUNTY

ORGANISER = LocalEditor("organiser")
CRITERIA = [{"code": "commitment", "name": "تعهد", "weight": 3}, {"code": "local_knowledge", "name": "شناخت محلی",
                                                                   "weight": 1}]

#: The API and the pages commit: each test's rows go after it, so order does not matter.
pytestmark = pytest.mark.usefixtures("leaves_no_rows")


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def bearer(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(username)}"}


@pytest.fixture
def users(database_url: str) -> dict[str, str]:
    """Two assessors (planners), a planner who assesses nothing, and a core member's account in Kerman."""
    names = {"a": _name("assessor-a"), "b": _name("assessor-b"), "other": _name("planner"),
             "member": _name("member"), "stranger": _name("member")}
    with session_scope() as session:
        for key in ("a", "b", "other"):
            accounts.create_user(session, names[key], "a long test password 1403", "planner")
        for key in ("member", "stranger"):
            accounts.create_user(session, names[key], "a long test password 1403", "core", area_code="IR-15")
    return names


def stages_of(client: TestClient, core_id: int) -> list[str]:
    return [s["to_stage"] for s in client.get(f"/api/cores/{core_id}").json()["stages"]]


def test_the_whole_journey_over_the_api(client: TestClient, users: dict[str, str]) -> None:
    people = [client.post("/api/people", json={"name": _name("عضو"), "unit": COUNTY}).json()["id"] for _ in range(2)]
    core = client.post("/api/cores", json={
        "name": _name("هسته جهادی"), "unit": COUNTY, "kind": "jihadi_group", "contacts": "مسجد جامع",
        "member_ids": people, "member_accounts": [{"person_id": people[0], "username": users["member"]}]})
    assert core.status_code == 201, core.text
    cid = core.json()["id"]
    assert core.json()["stage"] == "proposed" and core.json()["kind"] == "jihadi_group"
    assert client.post(f"/api/cores/{cid}/stage", json={"to": "identified"}).status_code == 200

    made = client.post("/api/cores/rounds", json={"unit": "IR-15", "title": "دور نخست", "criteria": CRITERIA,
                                                  "assessors": [users["a"], users["b"]]})
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    for who, scores in (("a", {"commitment": 80, "local_knowledge": 60}), ("b", {"commitment": 90,
                                                                                "local_knowledge": 70})):
        answer = client.put(f"/api/cores/rounds/{rid}/scores/{cid}", json={"scores": scores},
                            headers=bearer(users[who]))
        assert answer.status_code == 200, answer.text
    ranked = client.get(f"/api/cores/rounds/{rid}").json()["cores"]
    assert ranked[0]["core_id"] == cid and ranked[0]["score"] == pytest.approx((85 * 3 + 65) / 4)
    assert client.post(f"/api/cores/{cid}/stage", json={"to": "selected", "reason": "بالاترین امتیاز"}).json()[
        "stage"] == "selected"

    course = client.post("/api/cores/courses", json={"unit": "IR-15", "title": "تدوین نقشه", "required_sessions": 2})
    kid = course.json()["id"]
    for day in (date(2026, 10, 1), date(2026, 10, 8)):
        client.post(f"/api/cores/courses/{kid}/sessions", json={"held_on": day.isoformat(), "topic": "نقشه"})
    sessions = client.post(f"/api/cores/courses/{kid}/cores", json={"core_id": cid}).json()["sessions"]
    assert client.get(f"/api/cores/{cid}").json()["stage"] == "in_training"
    for held in sessions:
        client.put(f"/api/cores/courses/sessions/{held['id']}/attendance", json={"person_ids": people})
    assert client.get(f"/api/cores/{cid}").json()["stage"] == "trained"

    member = bearer(users["member"])
    draft = client.post(f"/api/cores/{cid}/drafts", headers=member, json={
        "unit": COUNTY, "title": _name("نقشه پیشرفت شهرستان"), "start_date": "2026-12-01", "end_date": "2029-12-01"})
    assert draft.status_code == 201, draft.text
    roadmap_id = draft.json()["roadmap_id"]
    actions = [client.post("/api/actions", headers=member, json={"roadmap_id": roadmap_id, "title": f"اقدام {i}"})
               for i in range(3)]
    assert [a.status_code for a in actions] == [201] * 3
    assert client.post(f"/api/cores/drafts/{roadmap_id}/submit", headers=member, json={}).status_code == 200
    locked = client.patch(f"/api/actions/{actions[0].json()['id']}", headers=member, json={"title": "تغییر"})
    assert locked.status_code == 409 and "under review" in locked.json()["error"]["message"]

    review = client.post(f"/api/cores/drafts/{roadmap_id}/review", json={
        "decision": "changes", "note": "هدف‌ها را روشن کنید",
        "comments": [{"section": "strategies", "text": "راهبرد گردشگری؟"},
                     {"section": "action", "action_id": actions[0].json()["id"], "text": "اشتغال را بنویسید"}]})
    assert review.status_code == 200, review.text
    assert review.json()["state"] == "changes_requested"
    revised = client.patch(f"/api/actions/{actions[0].json()['id']}", headers=member, json={"jobs_expected": 12})
    assert revised.status_code == 200, revised.text
    assert client.post(f"/api/cores/drafts/{roadmap_id}/submit", headers=member, json={}).status_code == 200
    adopted = client.post(f"/api/cores/drafts/{roadmap_id}/review", json={"decision": "adopt", "note": "تصویب شد"})
    assert adopted.json()["state"] == "adopted"
    assert client.get(f"/api/roadmaps/{roadmap_id}").json()["status"] == "approved"

    assert stages_of(client, cid) == ["proposed", "identified", "assessed", "selected", "in_training", "trained",
                                      "drafting", "submitted", "drafting", "submitted", "adopted"]
    steps = [s["step"] for s in client.get(f"/api/cores/drafts/{roadmap_id}").json()["steps"]]
    assert steps == ["started", "submitted", "changes_requested", "submitted", "adopted"]
    card = client.get(f"/api/cores/{cid}/card").json()
    assert len(card["sections"]) == 7 and core.json()["name"] in card["title"]  # the last: competitions entered


def _core(session: Session, stage: str = "proposed", members: int = 2, **extra: Any) -> dict[str, Any]:
    people = [create_person(session, PersonIn(name=_name("عضو"), unit=COUNTY), ORGANISER)["id"] for _ in range(members)]
    return create_core(session, CoreIn(name=_name("هسته"), unit=COUNTY, stage=stage, member_ids=people, **extra),
                       ORGANISER)


def _events(session: Session, core_id: int) -> int:
    return int(session.execute(text("SELECT count(*) FROM core_stage_event WHERE core_id = :c"),
                               {"c": core_id}).scalar_one())


@pytest.mark.parametrize(("start", "to", "reason"), [
    ("proposed", "selected", "leaps two stages"), ("identified", "trained", ""), ("assessed", "in_training", ""),
    ("trained", "adopted", ""), ("not_selected", "selected", "again")])
def test_a_stage_move_outside_the_transitions_is_refused_and_nothing_is_written(
        session: Session, start: str, to: str, reason: str) -> None:
    core = _core(session, stage=start)
    before = _events(session, core["id"])
    with pytest.raises(Conflict):
        journey.move_stage(session, core["id"], to, ORGANISER, reason)
    assert _events(session, core["id"]) == before
    assert session.execute(text("SELECT stage FROM progress_core WHERE id = :c"), {"c": core["id"]}).scalar() == start


def test_selecting_needs_a_reason_and_assessing_needs_a_score_form(client: TestClient) -> None:
    cid = client.post("/api/cores", json={"name": _name("هسته"), "unit": COUNTY, "stage": "assessed"}).json()["id"]
    without = client.post(f"/api/cores/{cid}/stage", json={"to": "selected"})
    assert without.status_code == 422 and without.json()["error"]["field"] == "reason"
    other = client.post("/api/cores", json={"name": _name("هسته"), "unit": COUNTY, "stage": "identified"}).json()["id"]
    unscored = client.post(f"/api/cores/{other}/stage", json={"to": "assessed"})
    assert unscored.status_code == 409 and "scored" in unscored.json()["error"]["message"]
    assert stages_of(client, cid) == ["assessed"] and stages_of(client, other) == ["identified"]


def test_a_paused_core_resumes_where_it_was_paused(session: Session) -> None:
    core = _core(session, stage="selected")
    journey.move_stage(session, core["id"], "paused", ORGANISER, "members moved away")
    with pytest.raises(Conflict):
        journey.move_stage(session, core["id"], "identified", ORGANISER)
    resumed = journey.move_stage(session, core["id"], "selected", ORGANISER, "back at work")
    assert [(s["to_stage"], s["reason"]) for s in resumed["stages"]] == [
        ("selected", ""), ("paused", "members moved away"), ("selected", "back at work")]


def test_the_combined_score_is_the_weighted_mean_of_the_assessors_means(session: Session) -> None:
    for who in ("assessor-x", "assessor-y"):
        accounts.create_user(session, who, "a long test password 1403", "planner")
    cores = [_core(session, stage="identified")["id"] for _ in range(3)]
    weights = {"commitment": 5.0, "local_knowledge": 2.0, "planning": 1.0}
    made = journey.create_round(session, RoundIn(unit="IR-15", title="r", criteria=[
        CriterionIn(code=c, name=c, weight=w) for c, w in weights.items()], assessors=["assessor-x", "assessor-y"]),
        ORGANISER)
    forms = {("assessor-x", cores[0]): [70, 40, 90], ("assessor-y", cores[0]): [50, 60, 100],
             ("assessor-x", cores[1]): [90, 90, 10], ("assessor-y", cores[1]): [80, 70, 30],
             ("assessor-x", cores[2]): [30, 100, 100]}
    for (who, core_id), values in forms.items():
        journey.score_core(session, made["id"], core_id, dict(zip(weights, values, strict=True)), LocalEditor(who))
    results = {c["core_id"]: c for c in journey.round_results(session, made["id"])["cores"]}

    def expected(core_id: int) -> float:
        rows = [v for (_, c), v in forms.items() if c == core_id]
        means = [sum(r[i] for r in rows) / len(rows) for i in range(3)]
        return sum(m * w for m, w in zip(means, weights.values(), strict=True)) / sum(weights.values())

    assert {c: results[c]["score"] for c in cores} == pytest.approx({c: expected(c) for c in cores})
    assert [results[c]["rank"] for c in cores] == [2, 1, 3]  # 67.5, 80.0, 56.25
    assert all(session.execute(text("SELECT stage FROM progress_core WHERE id = :c"), {"c": c}).scalar() == "assessed"
               for c in cores)


def test_topsis_ranks_by_closeness_to_the_ideal_core() -> None:
    means = np.array([[60.0, 50.0], [85.0, 65.0], [30.0, 100.0]])
    weights = np.array([3.0, 1.0])
    w = weights / weights.sum()
    v = means / 100 * w
    plus = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    minus = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    assert journey.combine(means, weights, "topsis") == pytest.approx(100 * minus / (plus + minus))


def test_a_core_is_trained_once_every_member_attended_the_required_sessions(session: Session) -> None:
    core = _core(session, stage="selected")
    course = journey.create_course(session, CourseIn(unit="IR-15", title="دوره", required_sessions=2), ORGANISER)
    for day in (1, 8, 15):
        journey.add_session(session, course["id"], SessionIn(held_on=date(2026, 10, day)), ORGANISER)
    held = [s["id"] for s in journey.enrol(session, course["id"], core["id"], ORGANISER)["sessions"]]
    first, second = core["member_ids"]
    journey.record_attendance(session, held[0], [first, second], ORGANISER)
    journey.record_attendance(session, held[1], [first], ORGANISER)
    assert not journey.core_is_trained(session, core["id"])  # the second member attended one of two
    with pytest.raises(Conflict):
        journey.move_stage(session, core["id"], "trained", ORGANISER)
    journey.record_attendance(session, held[2], [second], ORGANISER)
    assert journey.core_is_trained(session, core["id"])
    assert session.execute(text("SELECT stage FROM progress_core WHERE id = :c"),
                           {"c": core["id"]}).scalar() == "trained"


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_who_may_do_what_403_and_nothing_written(client: TestClient, users: dict[str, str]) -> None:
    cid = client.post("/api/cores", json={"name": _name("هسته"), "unit": COUNTY, "stage": "identified"}).json()["id"]
    rid = client.post("/api/cores/rounds", json={"unit": "IR-15", "title": "r", "criteria": CRITERIA,
                                                 "assessors": [users["a"]]}).json()["id"]
    with session_scope() as session:
        counts = [_count(session, t) for t in ("assessment_score", "assessment_round", "core_stage_event", "course")]
    form = {"scores": {"commitment": 50, "local_knowledge": 50}}
    refused = [
        client.put(f"/api/cores/rounds/{rid}/scores/{cid}", json=form, headers=bearer(users["other"])),
        client.put(f"/api/cores/rounds/{rid}/scores/{cid}", json=form, headers=bearer(users["member"])),
        client.post(f"/api/cores/{cid}/stage", json={"to": "paused", "reason": "x"}, headers=bearer(users["member"])),
        client.post("/api/cores/rounds", json={"unit": "IR-15", "title": "r", "criteria": CRITERIA,
                                               "assessors": [users["member"]]}, headers=bearer(users["member"])),
        client.post("/api/cores/courses", json={"unit": "IR-15", "title": "c", "required_sessions": 1},
                    headers=bearer(users["member"])),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    with session_scope() as session:
        assert [_count(session, t) for t in ("assessment_score", "assessment_round", "core_stage_event",
                                             "course")] == counts


def test_a_member_acts_only_on_their_own_core_draft(session: Session) -> None:
    accounts.create_user(session, "member-mine", "a long test password 1403", "core", area_code="IR-15")
    accounts.create_user(session, "member-other", "a long test password 1403", "core", area_code="IR-15")
    area = unit_ref(session, "IR-15")
    mine = _core(session, stage="trained")
    session.execute(text("UPDATE core_member SET username = 'member-mine' WHERE core_id = :c AND person_id = :p"),
                    {"c": mine["id"], "p": mine["member_ids"][0]})
    other = _core(session, stage="trained")
    session.execute(text("UPDATE core_member SET username = 'member-other' WHERE core_id = :c AND person_id = :p"),
                    {"c": other["id"], "p": other["member_ids"][0]})
    me, stranger = LocalEditor("member-mine", area), LocalEditor("member-other", area)
    spec = DraftIn(unit=COUNTY, title="نقشه", start_date=date(2026, 12, 1), end_date=date(2028, 1, 1))
    with pytest.raises(Forbidden):
        journey.start_draft(session, mine["id"], spec, stranger)
    draft = journey.start_draft(session, mine["id"], spec, me)
    actions = _count(session, "action")
    with pytest.raises(Forbidden):
        create_action(session, ActionIn(roadmap_id=draft["roadmap_id"], title="x"), stranger)
    with pytest.raises(Forbidden):
        journey.submit_draft(session, draft["roadmap_id"], stranger)
    assert _count(session, "action") == actions
    create_action(session, ActionIn(roadmap_id=draft["roadmap_id"], title="کارگاه"), me)
    assert journey.submit_draft(session, draft["roadmap_id"], me)["state"] == "submitted"
