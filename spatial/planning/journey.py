"""A progress core's journey: proposed → identified → assessed → selected → in training →
trained → drafting → submitted → adopted (or not selected, or paused, with a reason).

- Stages move only along :data:`TRANSITIONS`, each move kept in ``core_stage_event`` (who,
  when, why) and in the core's history. Organisers (planners and administrators: editors
  with no area restriction) move them; some moves follow from the work itself: a core's
  first score form makes it assessed, enrolling it in a course puts it in training, the
  attendance that meets its courses' requirement makes it trained, and its draft's
  start, submission and review move it to drafting, submitted, adopted.
- Assessment: a round holds its criteria and weights, so a later round may change them
  without touching earlier scores; each assessor named on the round fills their own form
  per core; the forms' mean per criterion is combined by weighted sum or TOPSIS
  (:func:`spatial.analytics.indices.closeness`) into a score 0..100 and a rank.
- Training: courses with sessions and attendance per member; a core is trained when each
  of its members attended the required number of sessions of every course it is in.
- Drafting: a trained core drafts a progress map (the same roadmap, ``core_id`` set) for a
  unit of its area, submits it, and planners ask for changes (comments per section and
  per action) or adopt it. Members act only on their own core's drafts, and not while
  one is under review.

Examples
--------
>>> move_stage(session, core_id, "identified", editor)                       # doctest: +SKIP
>>> score_core(session, round_id, core_id, {"commitment": 80}, assessor)    # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.indices import closeness
from spatial.errors import Conflict, Forbidden, InvalidInput, NotFound
from spatial.models.journey import (
    AssessmentRound, AssessmentScore, Attendance, CoreDraft, CoreStageEvent, Course, CourseCore, CourseSession,
    ReviewComment, ReviewEvent,
)
from spatial.models.roadmaps import Action, ProgressCore, Roadmap
from spatial.planning.cores import core_document
from spatial.planning.history import Editor, now, recorded_update, row_document
from spatial.planning.journey_inputs import CourseIn, DraftIn, ReviewIn, RoundIn, SessionIn
from spatial.planning.references import (
    EDITABLE_DRAFT, SUBTREE, get_or_404, guard, is_member, is_organiser, unit_filter, unit_ref, with_unit,
)
from spatial.planning.roadmap_inputs import RoadmapIn
from spatial.planning.roadmaps import create_roadmap, roadmap_document
from spatial.units.access import unit_within_area

#: The moves allowed from each stage (besides pausing, allowed from any stage but ``paused``;
#: a paused core resumes in the stage it was paused in).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("identified",),
    "identified": ("assessed",),
    "assessed": ("selected", "not_selected"),
    "selected": ("in_training",),
    "in_training": ("trained",),
    "trained": ("drafting",),
    "drafting": ("submitted",),
    "submitted": ("drafting", "adopted"),
    "adopted": ("drafting",),
    "not_selected": ("identified",),
    "paused": (),
}
#: Moves that need a reason.
REASON_NEEDED: frozenset[str] = frozenset({"selected", "not_selected", "paused"})
#: Stages only a draft's own steps lead to (start, submit, review), never a bare move.
BY_DRAFTS: frozenset[str] = frozenset({"drafting", "submitted", "adopted"})
#: Stages in which a core may be scored.
ASSESSABLE: frozenset[str] = frozenset({"identified", "assessed"})


# --- who ---------------------------------------------------------------------------------

def _organiser(editor: Editor) -> None:
    if not is_organiser(editor):
        raise Forbidden("Only organisers (planners) may do this.", reason="organisers_only")


def _organiser_or_member(session: Session, core_id: int, editor: Editor) -> None:
    if not is_organiser(editor) and not is_member(session, core_id, editor.username):
        raise Forbidden(f"Only organisers and members of progress core {core_id} may act on its drafts.",
                        reason="not_a_member")


# --- stages --------------------------------------------------------------------------------

def allowed_moves(session: Session, core: ProgressCore) -> list[str]:
    """The stages ``core`` may move to from where it stands."""
    if core.stage == "paused":
        before = session.execute(
            text("""SELECT from_stage FROM core_stage_event WHERE core_id = :id AND to_stage = 'paused'
                    ORDER BY at DESC, id DESC LIMIT 1"""), {"id": core.id}).scalar()
        return [before] if before else ["identified"]
    return [*TRANSITIONS[core.stage], "paused"]


def _move(session: Session, core: ProgressCore, to: str, editor: Editor, reason: str = "") -> None:
    """Move ``core`` to ``to`` (already checked), in the stage history and the core's history."""
    at = now(session)
    session.add(CoreStageEvent(core_id=core.id, from_stage=core.stage, to_stage=to, at=at, by=editor.username,
                               reason=reason))
    recorded_update(session, "core", core, {"stage": to}, editor, lambda c: with_unit(session, c),
                    reason=reason or None)


def _checked_move(session: Session, core: ProgressCore, to: str, editor: Editor, reason: str) -> None:
    if to not in allowed_moves(session, core):
        raise Conflict(f"A core that is '{core.stage}' cannot move to '{to}'; from here it may move to "
                       f"{', '.join(allowed_moves(session, core))}.", reason="stage_move_refused", field="to",
                       current=core.stage, wanted=to)
    _move(session, core, to, editor, reason)


def move_stage(session: Session, core_id: int, to: str, editor: Editor, reason: str = "") -> dict[str, Any]:
    """Move a core to stage ``to`` (organisers only), checked against :data:`TRANSITIONS`;
    selecting, not selecting and pausing need a ``reason``."""
    core = get_or_404(session, ProgressCore, core_id, "progress core")
    guard(session, editor, core.unit_id)
    _organiser(editor)
    if to in BY_DRAFTS and core.stage != "paused":
        raise Conflict(f"A core reaches '{to}' through its draft (start, submit, review), not by a move.",
                       reason="stage_by_drafts", field="to")
    if to in REASON_NEEDED and not reason.strip():
        raise InvalidInput(f"Say why the core is moved to '{to}'.", reason="reason_required", field="reason")
    if to == "assessed" and core.stage == "identified" and not _scored(session, core.id):
        raise Conflict("No assessor has scored this core yet; it is assessed once a score form is in.",
                       reason="not_scored_yet", field="to")
    if to == "trained" and core.stage == "in_training" and not core_is_trained(session, core.id):
        raise Conflict("Not every member has attended the sessions their courses require.",
                       reason="not_trained_yet", field="to")
    _checked_move(session, core, to, editor, reason.strip())
    return core_document(session, core.id)


# --- assessment ------------------------------------------------------------------------------

def _scored(session: Session, core_id: int) -> bool:
    return session.execute(text("SELECT 1 FROM assessment_score WHERE core_id = :id LIMIT 1"),
                           {"id": core_id}).first() is not None


def round_document(session: Session, assessment_round: AssessmentRound) -> dict[str, Any]:
    """A round's fields with its area's code."""
    return with_unit(session, assessment_round)


def create_round(session: Session, data: RoundIn, editor: Editor) -> dict[str, Any]:
    """Open an assessment round in an area, with its criteria, weights and assessors (organisers only)."""
    _organiser(editor)
    unit_id = unit_ref(session, data.unit)
    codes = [c.code for c in data.criteria]
    if len(set(codes)) != len(codes):
        raise InvalidInput("criteria: each criterion's code must be different.", reason="criteria_repeated",
                           field="criteria")
    known = set(session.execute(text("SELECT username FROM app_user WHERE username = ANY(:u) AND NOT disabled"),
                                {"u": data.assessors}).scalars())
    for i, name in enumerate(data.assessors):
        if name not in known:
            raise InvalidInput(f"assessors.{i}: no active account is named '{name}'.", reason="assessor_unknown",
                               field="assessors", name=name)
    made = AssessmentRound(unit_id=unit_id, title=data.title, method=data.method,
                           criteria=[c.model_dump() for c in data.criteria], assessors=sorted(set(data.assessors)),
                           created_at=now(session), created_by=editor.username)
    session.add(made)
    session.flush()
    return round_document(session, made)


def list_rounds(session: Session, unit: str | None = None) -> list[dict[str, Any]]:
    """Assessment rounds whose area lies in ``unit`` (or all), newest first."""
    unit_filter(session, unit)
    ids = session.execute(text(f"""{SUBTREE}
        SELECT r.id FROM assessment_round r
        WHERE CAST(:unit AS text) IS NULL OR r.unit_id IN (SELECT id FROM sub) ORDER BY r.id DESC"""),
        {"unit": unit}).scalars().all()
    return [round_document(session, get_or_404(session, AssessmentRound, i, "assessment round")) for i in ids]


def score_core(session: Session, round_id: int, core_id: int, scores: dict[str, float],
               editor: Editor) -> dict[str, Any]:
    """Save ``editor``'s score form for a core in a round (replacing their earlier one): a
    score 0..100 for every criterion of the round. Only the round's assessors score; the
    first form makes an identified core assessed."""
    assessment_round = get_or_404(session, AssessmentRound, round_id, "assessment round")
    if editor.username not in assessment_round.assessors:
        raise Forbidden(f"You are not an assessor of round {round_id}.", reason="not_an_assessor")
    core = get_or_404(session, ProgressCore, core_id, "progress core")
    if not unit_within_area(session, core.unit_id, assessment_round.unit_id):
        raise InvalidInput(f"Core {core_id} lies outside the area of round {round_id}.",
                           reason="outside_round_area", field="core_id")
    if core.stage not in ASSESSABLE:
        raise Conflict(f"A core that is '{core.stage}' is not assessed; identify it first.",
                       reason="core_not_assessable", field="core_id")
    codes = [c["code"] for c in assessment_round.criteria]
    for code in codes:
        if code not in scores:
            raise InvalidInput(f"scores.{code}: every criterion needs a score.", reason="score_missing",
                               field=f"scores.{code}")
        if not 0 <= scores[code] <= 100:
            raise InvalidInput(f"scores.{code} is {scores[code]:g}; scores run from 0 to 100.",
                               reason="score_out_of_range", field=f"scores.{code}")
    for code in scores:
        if code not in codes:
            raise InvalidInput(f"scores.{code}: round {round_id} has no such criterion.",
                               reason="criterion_unknown", field=f"scores.{code}")
    at = now(session)
    session.execute(text("DELETE FROM assessment_score WHERE round_id = :r AND core_id = :c AND assessor = :a"),
                    {"r": round_id, "c": core_id, "a": editor.username})
    session.add(AssessmentScore(round_id=round_id, core_id=core_id, assessor=editor.username,
                                scores={c: float(scores[c]) for c in codes}, at=at))
    session.flush()
    if core.stage == "identified":
        _move(session, core, "assessed", editor)
    return round_results(session, round_id)


def combine(means: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Each core's combined score 0..100 from its mean score per criterion (rows × criteria,
    0..100): the weighted mean, or TOPSIS closeness to the ideal × 100.

    Examples
    --------
    >>> combine(np.array([[80.0, 60.0]]), np.array([3.0, 1.0]), "weighted_sum").tolist()
    [75.0]
    """
    w = np.asarray(weights, dtype=float) / float(np.sum(weights))
    if method == "topsis":
        return closeness(np.asarray(means, dtype=float) / 100.0, w) * 100.0
    return np.asarray(means, dtype=float) @ w


def round_results(session: Session, round_id: int) -> dict[str, Any]:
    """A round with its cores ranked: each core's forms, its mean per criterion over its
    assessors, the combined score and its rank (1 = best)."""
    assessment_round = get_or_404(session, AssessmentRound, round_id, "assessment round")
    forms = session.execute(
        text("""SELECT s.core_id, c.name, c.stage, s.assessor, s.scores, s.at FROM assessment_score s
                JOIN progress_core c ON c.id = s.core_id WHERE s.round_id = :r ORDER BY s.core_id, s.assessor"""),
        {"r": round_id}).mappings().all()
    codes = [c["code"] for c in assessment_round.criteria]
    cores: dict[int, dict[str, Any]] = {}
    for form in forms:
        entry = cores.setdefault(form["core_id"], {"core_id": form["core_id"], "name": form["name"],
                                                   "stage": form["stage"], "forms": []})
        entry["forms"].append({"assessor": form["assessor"], "scores": form["scores"], "at": form["at"].isoformat()})
    ranked = list(cores.values())
    if ranked:
        means = np.array([[np.mean([f["scores"][c] for f in e["forms"]]) for c in codes] for e in ranked])
        combined = combine(means, np.array([c["weight"] for c in assessment_round.criteria]), assessment_round.method)
        for entry, row, score in zip(ranked, means, combined, strict=True):
            entry["means"] = dict(zip(codes, (float(v) for v in row), strict=True))
            entry["score"] = float(score)
        ranked.sort(key=lambda e: (-e["score"], e["core_id"]))
        for rank, entry in enumerate(ranked, start=1):
            entry["rank"] = rank
    return {**round_document(session, assessment_round), "cores": ranked}


def core_assessments(session: Session, core_id: int) -> list[dict[str, Any]]:
    """Each round that scored the core: its title, method, the core's means, score and rank."""
    round_ids = session.execute(text("SELECT DISTINCT round_id FROM assessment_score WHERE core_id = :c "
                                     "ORDER BY round_id"), {"c": core_id}).scalars().all()
    found = []
    for round_id in round_ids:
        results = round_results(session, round_id)
        mine = next(e for e in results["cores"] if e["core_id"] == core_id)
        found.append({"round_id": round_id, "title": results["title"], "method": results["method"],
                      "criteria": results["criteria"], "of": len(results["cores"]), **mine})
    return found


# --- training ---------------------------------------------------------------------------------

def course_document(session: Session, course: Course) -> dict[str, Any]:
    """A course with its sessions (and who attended each), its cores and whether each is trained."""
    doc = with_unit(session, course)
    sessions = session.execute(text("SELECT id, held_on, topic FROM course_session WHERE course_id = :c "
                                    "ORDER BY held_on, id"), {"c": course.id}).mappings().all()
    present = session.execute(text("""SELECT a.session_id, a.person_id FROM attendance a
        JOIN course_session s ON s.id = a.session_id WHERE s.course_id = :c"""), {"c": course.id}).all()
    doc["sessions"] = [{"id": s["id"], "held_on": s["held_on"].isoformat(), "topic": s["topic"],
                        "person_ids": sorted(p for sid, p in present if sid == s["id"])} for s in sessions]
    doc["cores"] = []
    for core_id, name, stage in session.execute(text(
            """SELECT c.id, c.name, c.stage FROM course_core cc JOIN progress_core c ON c.id = cc.core_id
               WHERE cc.course_id = :c ORDER BY c.id"""), {"c": course.id}).all():
        members = _attended(session, core_id, course.id)
        doc["cores"].append({"core_id": core_id, "name": name, "stage": stage, "members": members,
                             "meets": bool(members) and all(m["attended"] >= course.required_sessions
                                                             for m in members)})
    return doc


def get_course(session: Session, course_id: int) -> dict[str, Any]:
    """One course (:func:`course_document`)."""
    return course_document(session, get_or_404(session, Course, course_id, "course"))


def _attended(session: Session, core_id: int, course_id: int) -> list[dict[str, Any]]:
    """Each member of the core with the number of the course's sessions they attended."""
    return [dict(r) for r in session.execute(text(
        """SELECT p.id AS person_id, p.name,
                  (SELECT count(*) FROM attendance a JOIN course_session s ON s.id = a.session_id
                   WHERE s.course_id = :course AND a.person_id = p.id) AS attended
           FROM core_member m JOIN person p ON p.id = m.person_id WHERE m.core_id = :core
           ORDER BY p.name, p.id"""), {"course": course_id, "core": core_id}).mappings()]


def core_is_trained(session: Session, core_id: int) -> bool:
    """True when the core has members, is in at least one course, and each member attended at
    least the required number of sessions of every course it is in."""
    return bool(session.execute(text(
        """SELECT EXISTS (SELECT 1 FROM course_core WHERE core_id = :core)
              AND EXISTS (SELECT 1 FROM core_member WHERE core_id = :core)
              AND NOT EXISTS (
                SELECT 1 FROM course_core cc JOIN course k ON k.id = cc.course_id
                JOIN core_member m ON m.core_id = cc.core_id
                WHERE cc.core_id = :core
                  AND (SELECT count(*) FROM attendance a JOIN course_session s ON s.id = a.session_id
                       WHERE s.course_id = k.id AND a.person_id = m.person_id) < k.required_sessions)"""),
        {"core": core_id}).scalar())


def core_training(session: Session, core_id: int) -> list[dict[str, Any]]:
    """The courses the core is in, each with its requirement, sessions and its members' attendance."""
    courses = session.execute(text("""SELECT k.id FROM course_core cc JOIN course k ON k.id = cc.course_id
                                      WHERE cc.core_id = :c ORDER BY k.id"""), {"c": core_id}).scalars().all()
    found = []
    for course_id in courses:
        doc = course_document(session, get_or_404(session, Course, course_id, "course"))
        mine = next(c for c in doc["cores"] if c["core_id"] == core_id)
        found.append({"course_id": course_id, "title": doc["title"], "required_sessions": doc["required_sessions"],
                      "sessions": len(doc["sessions"]), "members": mine["members"], "meets": mine["meets"]})
    return found


def create_course(session: Session, data: CourseIn, editor: Editor) -> dict[str, Any]:
    """Open a training course in an area (organisers only)."""
    _organiser(editor)
    course = Course(unit_id=unit_ref(session, data.unit), title=data.title, required_sessions=data.required_sessions,
                    created_at=now(session), created_by=editor.username)
    session.add(course)
    session.flush()
    return course_document(session, course)


def list_courses(session: Session, unit: str | None = None) -> list[dict[str, Any]]:
    """Courses whose area lies in ``unit`` (or all), newest first."""
    unit_filter(session, unit)
    ids = session.execute(text(f"""{SUBTREE}
        SELECT k.id FROM course k WHERE CAST(:unit AS text) IS NULL OR k.unit_id IN (SELECT id FROM sub)
        ORDER BY k.id DESC"""), {"unit": unit}).scalars().all()
    return [course_document(session, get_or_404(session, Course, i, "course")) for i in ids]


def add_session(session: Session, course_id: int, data: SessionIn, editor: Editor) -> dict[str, Any]:
    """Add a session to a course (organisers only)."""
    course = get_or_404(session, Course, course_id, "course")
    _organiser(editor)
    session.add(CourseSession(course_id=course.id, held_on=data.held_on, topic=data.topic))
    session.flush()
    return course_document(session, course)


def enrol(session: Session, course_id: int, core_id: int, editor: Editor) -> dict[str, Any]:
    """Put a selected core in a course (organisers only): it is in training from then on."""
    course = get_or_404(session, Course, course_id, "course")
    core = get_or_404(session, ProgressCore, core_id, "progress core")
    _organiser(editor)
    if core.stage not in ("selected", "in_training"):
        raise Conflict(f"Only selected cores are trained; this one is '{core.stage}'.",
                       reason="core_not_selected", field="core_id")
    if not unit_within_area(session, core.unit_id, course.unit_id):
        raise InvalidInput(f"Core {core_id} lies outside the course's area.", reason="outside_course_area",
                           field="core_id")
    if session.get(CourseCore, (course.id, core.id)) is None:
        session.add(CourseCore(course_id=course.id, core_id=core.id))
        session.flush()
    if core.stage == "selected":
        _move(session, core, "in_training", editor)
    return course_document(session, course)


def record_attendance(session: Session, session_id: int, person_ids: list[int], editor: Editor) -> dict[str, Any]:
    """Who attended a course session (replacing what was recorded; organisers only). Each must
    be a member of a core in the course. A core in training whose members now meet its
    courses' requirement becomes trained."""
    held = get_or_404(session, CourseSession, session_id, "course session")
    _organiser(editor)
    members: dict[int, int] = dict(session.execute(text("""SELECT m.person_id, m.core_id FROM core_member m
        JOIN course_core cc ON cc.core_id = m.core_id WHERE cc.course_id = :c"""), {"c": held.course_id}).all())
    for i, person_id in enumerate(person_ids):
        if person_id not in members:
            raise InvalidInput(f"person_ids.{i}: person {person_id} is not a member of a core in this course.",
                               reason="not_in_course", field="person_ids")
    session.execute(text("DELETE FROM attendance WHERE session_id = :s"), {"s": held.id})
    at = now(session)
    for person_id in sorted(set(person_ids)):
        session.add(Attendance(session_id=held.id, person_id=person_id, recorded_by=editor.username, recorded_at=at))
    session.flush()
    for core_id in sorted(set(members.values())):
        core = get_or_404(session, ProgressCore, core_id, "progress core")
        if core.stage == "in_training" and core_is_trained(session, core_id):
            _move(session, core, "trained", editor)
    return get_course(session, held.course_id)


# --- drafting and review --------------------------------------------------------------------------

def start_draft(session: Session, core_id: int, data: DraftIn, editor: Editor) -> dict[str, Any]:
    """A trained core (or one whose map was adopted) starts drafting a progress map of a unit
    in its area: a roadmap marked as drafted by the core. Members of the core and organisers."""
    core = get_or_404(session, ProgressCore, core_id, "progress core")
    _organiser_or_member(session, core.id, editor)
    if core.stage not in ("trained", "adopted"):
        raise Conflict(f"A core drafts its map once trained; this one is '{core.stage}'.",
                       reason="core_not_trained", field="core_id")
    made = create_roadmap(session, RoadmapIn(unit=data.unit, title=data.title, start_date=data.start_date,
                                             end_date=data.end_date, core_id=core.id), editor)
    session.add(CoreDraft(roadmap_id=made["id"], core_id=core.id, state="drafting"))
    _step(session, made["id"], "started", editor)
    _move(session, core, "drafting", editor)
    return draft_document(session, made["id"])


def _step(session: Session, roadmap_id: int, step: str, editor: Editor, note: str = "") -> ReviewEvent:
    event = ReviewEvent(roadmap_id=roadmap_id, step=step, note=note, by=editor.username, at=now(session))
    session.add(event)
    session.flush()
    return event


def _draft(session: Session, roadmap_id: int) -> CoreDraft:
    draft = session.get(CoreDraft, roadmap_id)
    if draft is None:
        raise NotFound(f"Roadmap {roadmap_id} is not a progress core's draft.", reason="not_a_draft", field="id")
    return draft


def submit_draft(session: Session, roadmap_id: int, editor: Editor, note: str = "") -> dict[str, Any]:
    """The core submits its draft for review (members of the core and organisers): it needs
    at least one action, and is then closed to its members until the review."""
    draft = _draft(session, roadmap_id)
    _organiser_or_member(session, draft.core_id, editor)
    if draft.state not in EDITABLE_DRAFT:
        raise Conflict(f"This draft is '{draft.state}' and cannot be submitted now.", reason="draft_locked",
                       field="id")
    if session.execute(text("SELECT 1 FROM action WHERE roadmap_id = :r AND archived_at IS NULL LIMIT 1"),
                       {"r": roadmap_id}).first() is None:
        raise InvalidInput("A draft is submitted with at least one action.", reason="draft_without_actions",
                           field="actions")
    draft.state = "submitted"
    _step(session, roadmap_id, "submitted", editor, note.strip())
    core = get_or_404(session, ProgressCore, draft.core_id, "progress core")
    if core.stage == "drafting":
        _move(session, core, "submitted", editor, note.strip())
    return draft_document(session, roadmap_id)


def review_draft(session: Session, roadmap_id: int, data: ReviewIn, editor: Editor) -> dict[str, Any]:
    """A planner's review of a submitted draft: ask for changes (a note or comments per section
    and per action) or adopt it, which approves the roadmap. Organisers only."""
    draft = _draft(session, roadmap_id)
    roadmap = get_or_404(session, Roadmap, roadmap_id, "roadmap")
    _organiser(editor)
    guard(session, editor, roadmap.unit_id)
    if draft.state != "submitted":
        raise Conflict(f"Only a submitted draft is reviewed; this one is '{draft.state}'.",
                       reason="draft_not_submitted", field="id")
    for i, comment in enumerate(data.comments):
        if (comment.section == "action") != (comment.action_id is not None):
            raise InvalidInput(f"comments.{i}: a comment on an action names it (action_id), and only then.",
                               reason="comment_action", field=f"comments.{i}.action_id")
        if comment.action_id is not None:
            action = session.get(Action, comment.action_id)
            if action is None or action.roadmap_id != roadmap_id:
                raise InvalidInput(f"comments.{i}.action_id: action {comment.action_id} is not in this draft.",
                                   reason="comment_action", field=f"comments.{i}.action_id")
    note = data.note.strip()
    if data.decision == "changes" and not note and not data.comments:
        raise InvalidInput("Say what should change: a note or a comment.", reason="reason_required", field="note")
    core = get_or_404(session, ProgressCore, draft.core_id, "progress core")
    if data.decision == "changes":
        draft.state = "changes_requested"
        event = _step(session, roadmap_id, "changes_requested", editor, note)
        if core.stage == "submitted":
            _move(session, core, "drafting", editor, note)
    else:
        draft.state = "adopted"
        event = _step(session, roadmap_id, "adopted", editor, note)
        recorded_update(session, "roadmap", roadmap, {"status": "approved"}, editor,
                        lambda r: roadmap_document(session, r), roadmap_id=roadmap.id, reason=note or None)
        if core.stage == "submitted":
            _move(session, core, "adopted", editor, note)
    for comment in data.comments:
        session.add(ReviewComment(event_id=event.id, section=comment.section, action_id=comment.action_id,
                                  text=comment.text))
    session.flush()
    return draft_document(session, roadmap_id)


def draft_document(session: Session, roadmap_id: int) -> dict[str, Any]:
    """A draft: its roadmap, core, state, and every step of its review with its comments."""
    draft = _draft(session, roadmap_id)
    roadmap = get_or_404(session, Roadmap, roadmap_id, "roadmap")
    comments = session.execute(text(
        """SELECT c.event_id, c.section, c.action_id, c.text, a.title AS action_title FROM review_comment c
           JOIN review_event e ON e.id = c.event_id LEFT JOIN action a ON a.id = c.action_id
           WHERE e.roadmap_id = :r ORDER BY c.id"""), {"r": roadmap_id}).mappings().all()
    steps = [{**row_document(e, skip=("roadmap_id",)),
              "comments": [{k: c[k] for k in ("section", "action_id", "text", "action_title")}
                           for c in comments if c["event_id"] == e.id]}
             for e in session.query(ReviewEvent).filter(ReviewEvent.roadmap_id == roadmap_id)
             .order_by(ReviewEvent.at, ReviewEvent.id)]
    return {"roadmap_id": roadmap_id, "core_id": draft.core_id, "state": draft.state, "title": roadmap.title,
            "status": roadmap.status, "steps": steps}


def draft_state(session: Session, roadmap_id: int) -> str | None:
    """Where the review of a core's draft stands; ``None`` for a roadmap that is no core's draft."""
    draft = session.get(CoreDraft, roadmap_id)
    return draft.state if draft is not None else None


def core_drafts(session: Session, core_id: int) -> list[dict[str, Any]]:
    """The core's drafts, oldest first."""
    ids = session.execute(text("SELECT roadmap_id FROM core_draft WHERE core_id = :c ORDER BY roadmap_id"),
                          {"c": core_id}).scalars().all()
    return [draft_document(session, i) for i in ids]
