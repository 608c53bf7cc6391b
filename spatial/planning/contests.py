"""Competitions (رویداد «طلوع پیشرفت»): groups design progress maps for target places and
a jury scores them.

An event has a title, target places (units), criteria with weights, a jury (accounts)
and a timetable of four stored days; its **phase** on a day (default today, injectable
for tests) is

- ``upcoming`` before ``opens_on``;
- ``open`` from ``opens_on``: groups enter and submit proposals;
- ``closed`` from ``submissions_close_on``: no more entries, scoring not yet open;
- ``scoring`` from ``scoring_on``: jurors score each submitted entry on each criterion
  (0–100) on their own form, and see only their own scores;
- ``results`` from ``results_on``: scoring is closed; every score is visible and the
  results rank the entries of each target.

An entry's progress map is an ordinary roadmap of the target unit (actions, key results,
the same pages), kept out of the ordinary lists and progress (:data:`NOT_A_PROPOSAL` in
:mod:`spatial.planning.references`) until the organiser adopts it: then it becomes an
approved roadmap of that place, and the target's other entries go to the past-plans
register (outcome ``not_adopted``) with their scores.

Combined score: the mean of the jurors' scores on each criterion, combined by the
weighted sum (weights normalised to sum to 1; :func:`spatial.analytics.indices.aggregate`);
a criterion no juror scored counts 0. Ranks per target: 1 for the highest, ties share it.

Who may do what: the organiser is a planner (or an administrator; an editor outside
HTTP, e.g. the CLI, with no area restriction); a juror scores only the events they sit
on; a core member enters and submits only for their own core, inside their area.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.indices import aggregate, rank_descending
from spatial.errors import Conflict, Forbidden, InvalidInput, NotFound
from spatial.jalali import format_number
from spatial.messages import t
from spatial.models.contests import (
    Contest, ContestCriterion, ContestEntry, ContestJuror, ContestTarget,
)
from spatial.models.roadmaps import ProgressCore
from spatial.planning import past_plans, roadmaps
from spatial.planning.contest_inputs import ContestIn, EntryIn, TimetablePatch
from spatial.planning.history import Editor, now
from spatial.planning.references import get_or_404, guard, unit_ref
from spatial.planning.roadmap_inputs import PastPlanIn, RoadmapIn, RoadmapPatch
from spatial.units.access import unit_within_area

PHASES: tuple[str, ...] = ("upcoming", "open", "closed", "scoring", "results")
#: Roles that organise events (no role of its own: planners do it).
ORGANISER_ROLES: tuple[str, ...] = ("admin", "planner")
#: A proposal's roadmap runs this many years from the results day.
PROPOSAL_YEARS = 5
_TIMETABLE = ("opens_on", "submissions_close_on", "scoring_on", "results_on")


# --- who ----------------------------------------------------------------------------------

def is_organiser(editor: Editor) -> bool:
    """Whether ``editor`` may organise events: a planner or an administrator (an editor
    outside HTTP without a role counts when it has no area restriction)."""
    role = getattr(editor, "role", None)
    return role in ORGANISER_ROLES if role is not None else editor.area_unit_id is None


def ensure_organiser(editor: Editor) -> None:
    """Refuse anyone but an organiser (:class:`Forbidden`)."""
    if not is_organiser(editor):
        raise Forbidden("Only the organiser (a planner) may do this.", reason="contest_organiser_only")


def is_juror(session: Session, contest_id: int, username: str) -> bool:
    """Whether ``username`` sits on event ``contest_id``'s jury."""
    return session.execute(text("SELECT 1 FROM contest_juror WHERE contest_id = :c AND username = :u"),
                           {"c": contest_id, "u": username}).first() is not None


# --- the timetable ----------------------------------------------------------------------

def phase_on(timetable: Any, today: date | None = None) -> str:
    """The phase of an event with this timetable (an object or mapping with the four days) on ``today``."""
    day = today or date.today()
    for name, after in (("results_on", "results"), ("scoring_on", "scoring"),
                        ("submissions_close_on", "closed"), ("opens_on", "open")):
        value = timetable[name] if isinstance(timetable, dict) else getattr(timetable, name)
        if day >= _as_date(value):
            return after
    return "upcoming"


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _check_timetable(days: dict[str, date]) -> None:
    for earlier, later in zip(_TIMETABLE, _TIMETABLE[1:], strict=False):
        if days[later] < days[earlier]:
            raise InvalidInput(f"{later} {days[later]} is before {earlier} {days[earlier]}; the timetable runs "
                               "opens_on ≤ submissions_close_on ≤ scoring_on ≤ results_on.",
                               reason="contest_timetable_order", field=later)


def _in_phase(contest: Contest, wanted: str, today: date | None) -> None:
    current = phase_on(contest, today)
    if current == wanted:
        return
    message = f"Event {contest.id} is in its '{current}' phase; this needs the '{wanted}' phase."
    if wanted == "open":
        raise Conflict(message, reason="contest_not_open", field="phase")
    if wanted == "scoring":
        raise Conflict(message, reason="contest_not_scoring", field="phase")
    raise Conflict(message, reason="contest_not_results", field="phase")


# --- events -----------------------------------------------------------------------------

def create_contest(session: Session, data: ContestIn, editor: Editor) -> dict[str, Any]:
    """Create an event with its targets, criteria, jury and timetable (organisers only)."""
    ensure_organiser(editor)
    days = {name: getattr(data, name) for name in _TIMETABLE}
    _check_timetable(days)
    unit_ids = [unit_ref(session, code, f"targets.{i}") for i, code in enumerate(data.targets)]
    if len(set(unit_ids)) != len(unit_ids):
        raise InvalidInput("targets: a place is named twice.", reason="contest_target_twice", field="targets")
    known = set(session.execute(text("SELECT username FROM app_user WHERE username = ANY(:u) AND NOT disabled"),
                                {"u": data.jurors}).scalars())
    for i, username in enumerate(data.jurors):
        if username not in known:
            raise InvalidInput(f"jurors.{i}: no active account is called '{username}'.",
                               reason="contest_juror_unknown", field="jurors", name=username)
    contest = Contest(title=data.title, created_by=editor.username, **days)
    session.add(contest)
    session.flush()
    session.add_all([ContestTarget(contest_id=contest.id, unit_id=u) for u in unit_ids])
    session.add_all([ContestCriterion(contest_id=contest.id, name=c.name, weight=c.weight) for c in data.criteria])
    session.add_all([ContestJuror(contest_id=contest.id, username=u) for u in sorted(set(data.jurors))])
    session.flush()
    return get_contest(session, contest.id)


def update_timetable(session: Session, contest_id: int, patch: TimetablePatch, editor: Editor) -> dict[str, Any]:
    """Move days of an event's timetable (organisers only)."""
    contest = get_or_404(session, Contest, contest_id, "event")
    ensure_organiser(editor)
    days = {name: getattr(contest, name) for name in _TIMETABLE}
    days.update(patch.model_dump(exclude_unset=True, exclude_none=True))
    _check_timetable(days)
    for name, value in days.items():
        setattr(contest, name, value)
    session.flush()
    return get_contest(session, contest.id)


def get_contest(session: Session, contest_id: int, today: date | None = None) -> dict[str, Any]:
    """An event: title, timetable and phase, targets, criteria (weights and shares), jury and entries."""
    contest = get_or_404(session, Contest, contest_id, "event")
    criteria = [dict(r) for r in session.execute(
        text("SELECT id, name, weight FROM contest_criterion WHERE contest_id = :c ORDER BY id"),
        {"c": contest.id}).mappings()]
    total = sum(c["weight"] for c in criteria)
    for c in criteria:
        c["share"] = c["weight"] / total
    return {
        "id": contest.id, "title": contest.title, "phase": phase_on(contest, today),
        **{name: getattr(contest, name).isoformat() for name in _TIMETABLE},
        "created_by": contest.created_by,
        "targets": [dict(r) for r in session.execute(
            text("""SELECT u.code, u.level, u.name_fa, u.name_en FROM contest_target t
                    JOIN admin_unit u ON u.id = t.unit_id WHERE t.contest_id = :c ORDER BY u.code"""),
            {"c": contest.id}).mappings()],
        "criteria": criteria,
        "jurors": list(session.execute(
            text("SELECT username FROM contest_juror WHERE contest_id = :c ORDER BY username"),
            {"c": contest.id}).scalars()),
        "entries": _entries(session, "e.contest_id = :id", contest.id),
    }


def list_contests(session: Session, today: date | None = None) -> list[dict[str, Any]]:
    """Every event, newest first, with its phase and counts of targets and entries."""
    rows = session.execute(text(
        """SELECT c.id, c.title, c.opens_on, c.submissions_close_on, c.scoring_on, c.results_on,
                  (SELECT count(*) FROM contest_target t WHERE t.contest_id = c.id) AS targets,
                  (SELECT count(*) FROM contest_entry e WHERE e.contest_id = c.id) AS entries
           FROM contest c ORDER BY c.opens_on DESC, c.id DESC""")).mappings().all()
    return [{**r, **{name: r[name].isoformat() for name in _TIMETABLE}, "phase": phase_on(r, today)}
            for r in (dict(row) for row in rows)]


# --- entries ----------------------------------------------------------------------------

_ENTRY_COLUMNS = """e.id, e.contest_id, c.title AS contest_title, e.group_name, e.core_id, e.state,
    e.roadmap_id, r.title, u.code AS target, u.name_fa AS target_name_fa, u.name_en AS target_name_en,
    e.submitted_at, e.past_plan_id, e.created_by,
    (SELECT count(*) FROM action a WHERE a.roadmap_id = e.roadmap_id AND a.archived_at IS NULL) AS actions"""


def _entries(session: Session, where: str, value: int) -> list[dict[str, Any]]:
    """Entries matching ``where`` (a fixed condition on ``e`` with the parameter ``:id``)."""
    return [dict(r) for r in session.execute(text(
        f"""SELECT {_ENTRY_COLUMNS} FROM contest_entry e JOIN contest c ON c.id = e.contest_id
            JOIN roadmap r ON r.id = e.roadmap_id JOIN admin_unit u ON u.id = e.unit_id
            WHERE {where} ORDER BY u.code, e.id"""), {"id": value}).mappings()]


def get_entry(session: Session, entry_id: int) -> dict[str, Any]:
    """One entry."""
    found = _entries(session, "e.id = :id", entry_id)
    if not found:
        raise NotFound(f"No competition entry has id {entry_id}.", field="id")
    return found[0]


def _may_enter_for(session: Session, editor: Editor, entry: ContestEntry) -> None:
    """Refuse an editor who is neither an organiser nor on the entering core's side (its area)."""
    guard(session, editor, entry.unit_id)
    if editor.area_unit_id is not None:
        if entry.core_id is None:
            raise Forbidden("A core member enters for their own core.", reason="contest_own_core_only",
                            field="core_id")
        guard(session, editor, session.get(ProgressCore, entry.core_id).unit_id)  # type: ignore[union-attr]


def create_entry(session: Session, contest_id: int, data: EntryIn, editor: Editor,
                 today: date | None = None) -> dict[str, Any]:
    """Enter a group (a progress core or an ad-hoc named group) for one target; its proposal is a new
    draft roadmap of the target, out of the ordinary lists until adopted."""
    contest = get_or_404(session, Contest, contest_id, "event")
    _in_phase(contest, "open", today)
    unit_id = unit_ref(session, data.target, "target")
    if session.execute(text("SELECT 1 FROM contest_target WHERE contest_id = :c AND unit_id = :u"),
                       {"c": contest.id, "u": unit_id}).first() is None:
        raise InvalidInput(f"target: {data.target} is not a target place of this event.",
                           reason="contest_not_a_target", field="target", code=data.target)
    name = (data.group_name or "").strip()
    if data.core_id is not None:
        core = session.get(ProgressCore, data.core_id)
        if core is None:
            raise InvalidInput(f"core_id: no progress core has id {data.core_id}.", reason="core_not_found",
                               field="core_id")
        name = name or core.name
    if not name:
        raise InvalidInput("group_name: name the group, or choose the progress core that enters.",
                           reason="contest_group_needed", field="group_name")
    start = contest.results_on
    end = date(start.year + PROPOSAL_YEARS, start.month, min(start.day, 28)) - timedelta(days=1)  # 29 Feb too
    entry = ContestEntry(contest_id=contest.id, unit_id=unit_id, core_id=data.core_id, group_name=name,
                         created_by=editor.username)
    _may_enter_for(session, editor, entry)
    proposal = roadmaps.create_roadmap(session, RoadmapIn(
        unit=data.target, title=data.title, start_date=start, end_date=end), editor)
    entry.roadmap_id = proposal["id"]
    session.add(entry)
    session.flush()
    return get_entry(session, entry.id)


def submit_entry(session: Session, entry_id: int, editor: Editor, today: date | None = None) -> dict[str, Any]:
    """Submit an entry's proposal for scoring (while entries are open; it needs an action)."""
    entry = get_or_404(session, ContestEntry, entry_id, "competition entry")
    _may_enter_for(session, editor, entry)
    _in_phase(get_or_404(session, Contest, entry.contest_id, "event"), "open", today)
    if entry.state != "draft":
        raise Conflict(f"Entry {entry.id} was already submitted.", reason="contest_entry_submitted", field="id")
    if not get_entry(session, entry.id)["actions"]:
        raise InvalidInput("The proposal has no action yet; add its actions, then submit it.",
                           reason="contest_entry_empty", field="actions")
    entry.state, entry.submitted_at = "submitted", now(session)
    session.flush()
    return get_entry(session, entry.id)


def core_entries(session: Session, core_id: int, today: date | None = None) -> list[dict[str, Any]]:
    """A core's competition entries and their results, for its record card: each entry with its
    event, target, state and proposal, and — once the event's results are out — its combined
    ``score`` and ``rank`` among the target's entries (``None`` before)."""
    found = _entries(session, "e.core_id = :id", core_id)
    ranked: dict[int, dict[str, Any]] = {}
    for contest_id in {e["contest_id"] for e in found}:
        contest = get_or_404(session, Contest, contest_id, "event")
        if phase_on(contest, today) == "results":
            for target in results(session, contest_id, today)["targets"]:
                ranked.update({e["id"]: e for e in target["entries"]})
    return [{**e, "score": ranked.get(e["id"], {}).get("score"), "rank": ranked.get(e["id"], {}).get("rank")}
            for e in found]


# --- scoring ----------------------------------------------------------------------------

def score_entry(session: Session, entry_id: int, scores: dict[int, float], editor: Editor,
                today: date | None = None) -> dict[int, float]:
    """A juror's scores (0–100) of one entry, criterion by criterion, replacing their earlier ones.

    Refused with :class:`Forbidden` (nothing written) for anyone not on the event's jury."""
    entry = get_or_404(session, ContestEntry, entry_id, "competition entry")
    if not is_juror(session, entry.contest_id, editor.username):
        raise Forbidden("You do not sit on this event's jury; only its jurors score its entries.",
                        reason="contest_not_juror")
    _in_phase(get_or_404(session, Contest, entry.contest_id, "event"), "scoring", today)
    if entry.state == "draft":
        raise Conflict(f"Entry {entry.id} was not submitted; only submitted entries are scored.",
                       reason="contest_entry_not_submitted", field="id")
    criteria = set(session.execute(text("SELECT id FROM contest_criterion WHERE contest_id = :c"),
                                   {"c": entry.contest_id}).scalars())
    for criterion_id, score in scores.items():
        if criterion_id not in criteria:
            raise InvalidInput(f"scores.{criterion_id}: no criterion of this event has that id.",
                               reason="contest_criterion_unknown", field=f"scores.{criterion_id}")
        if not 0 <= score <= 100:
            raise InvalidInput(f"scores.{criterion_id} is {score}; scores run from 0 to 100.",
                               reason="contest_score_range", field=f"scores.{criterion_id}")
    for criterion_id, score in scores.items():
        session.execute(text(
            """INSERT INTO contest_score (entry_id, criterion_id, juror, score, scored_at)
               VALUES (:e, :c, :j, :s, clock_timestamp())
               ON CONFLICT (entry_id, criterion_id, juror) DO UPDATE SET score = :s, scored_at = clock_timestamp()"""),
            {"e": entry.id, "c": criterion_id, "j": editor.username, "s": score})
    return juror_scores(session, entry.contest_id, editor.username).get(entry.id, {})


def juror_scores(session: Session, contest_id: int, username: str) -> dict[int, dict[int, float]]:
    """One juror's own scores of an event: ``{entry_id: {criterion_id: score}}``."""
    get_or_404(session, Contest, contest_id, "event")
    mine: dict[int, dict[int, float]] = {}
    for row in session.execute(text(
            """SELECT s.entry_id, s.criterion_id, s.score FROM contest_score s
               JOIN contest_entry e ON e.id = s.entry_id WHERE e.contest_id = :c AND s.juror = :u"""),
            {"c": contest_id, "u": username}):
        mine.setdefault(row.entry_id, {})[row.criterion_id] = row.score
    return mine


def all_scores(session: Session, contest_id: int, today: date | None = None) -> list[dict[str, Any]]:
    """Every juror's scores of an event, once scoring has closed (before, :class:`Conflict`: no one
    sees others' scores while they are being given)."""
    _in_phase(get_or_404(session, Contest, contest_id, "event"), "results", today)
    return [dict(r) for r in session.execute(text(
        """SELECT s.entry_id, s.criterion_id, s.juror, s.score FROM contest_score s
           JOIN contest_entry e ON e.id = s.entry_id WHERE e.contest_id = :c
           ORDER BY s.entry_id, s.criterion_id, s.juror"""), {"c": contest_id}).mappings()]


def results(session: Session, contest_id: int, today: date | None = None) -> dict[str, Any]:
    """The ranking of each target's submitted entries, once scoring has closed.

    ``targets``: per target place, its entries best first, each with ``score`` (the weighted sum
    of the criteria's mean scores, 0–100), ``rank``, ``jurors`` (how many scored it) and
    ``breakdown`` (per criterion: ``name``, ``share`` of the weight, ``mean``, ``weighted``)."""
    contest = get_contest(session, contest_id, today)
    if contest["phase"] != "results":
        raise Conflict(f"Event {contest_id}'s scoring closes on {contest['results_on']}; the results come then.",
                       reason="contest_not_results", field="phase")
    entries = [e for e in contest["entries"] if e["state"] != "draft"]
    criteria = contest["criteria"]
    means = np.zeros((len(entries), len(criteria)))
    jurors = {e["id"]: 0 for e in entries}
    row_of = {e["id"]: i for i, e in enumerate(entries)}
    col_of = {c["id"]: j for j, c in enumerate(criteria)}
    for r in session.execute(text(
            """SELECT s.entry_id, s.criterion_id, avg(s.score) AS mean FROM contest_score s
               JOIN contest_entry e ON e.id = s.entry_id WHERE e.contest_id = :c
               GROUP BY s.entry_id, s.criterion_id"""), {"c": contest_id}):
        if r.entry_id in row_of:
            means[row_of[r.entry_id], col_of[r.criterion_id]] = r.mean
    for r in session.execute(text(
            """SELECT s.entry_id, count(DISTINCT s.juror) AS n FROM contest_score s
               JOIN contest_entry e ON e.id = s.entry_id WHERE e.contest_id = :c GROUP BY s.entry_id"""),
            {"c": contest_id}):
        if r.entry_id in jurors:
            jurors[r.entry_id] = r.n
    shares = np.array([c["share"] for c in criteria])
    combined = aggregate(means, shares, "arithmetic") if entries else np.zeros(0)
    ranks = rank_descending(pd.Series(combined), pd.Series([e["target"] for e in entries])) if entries else []
    scored = [{**e, "score": float(combined[i]), "rank": int(ranks[i]), "jurors": jurors[e["id"]],
               "breakdown": [{"criterion_id": c["id"], "name": c["name"], "share": c["share"],
                              "mean": float(means[i, j]), "weighted": float(means[i, j] * c["share"])}
                             for j, c in enumerate(criteria)]}
              for i, e in enumerate(entries)]
    targets = []
    for target in contest["targets"]:
        mine = sorted((e for e in scored if e["target"] == target["code"]), key=lambda e: (e["rank"], e["id"]))
        adopted = next((e["id"] for e in mine if e["state"] == "adopted"), None)
        targets.append({**target, "adopted_entry_id": adopted, "entries": mine})
    return {"contest": {k: v for k, v in contest.items() if k != "entries"}, "targets": targets}


# --- adoption ---------------------------------------------------------------------------

def adopt_entry(session: Session, entry_id: int, editor: Editor, today: date | None = None,
                lang: str = "fa") -> dict[str, Any]:
    """The organiser adopts an entry as its target's roadmap (approved, in the ordinary lists from
    now on); the target's other submitted entries go to the past-plans register, outcome
    ``not_adopted``, with their scores written in ``lang``. Returns the event's results."""
    entry = get_or_404(session, ContestEntry, entry_id, "competition entry")
    ensure_organiser(editor)
    board = results(session, entry.contest_id, today)
    target = next(t_ for t_ in board["targets"] if any(e["id"] == entry.id for e in t_["entries"])) \
        if entry.state != "draft" else None
    if target is None:
        raise Conflict(f"Entry {entry.id} was not submitted; only a submitted entry can be adopted.",
                       reason="contest_entry_not_submitted", field="id")
    if target["adopted_entry_id"] is not None:
        raise Conflict(f"Entry {target['adopted_entry_id']} was already adopted for {target['code']}.",
                       reason="contest_target_decided", field="id")
    at = now(session)
    patch: dict[str, Any] = {"status": "approved"}
    if entry.core_id is not None:
        core = session.get(ProgressCore, entry.core_id)
        if core is not None and unit_within_area(session, entry.unit_id, core.unit_id):
            patch["core_id"] = core.id  # the core's own map of a place in its area
    entry.state, entry.decided_at, entry.decided_by = "adopted", at, editor.username
    session.flush()
    roadmaps.update_roadmap(session, entry.roadmap_id, RoadmapPatch(**patch), editor)
    count = len(target["entries"])
    for other in target["entries"]:
        if other["id"] == entry.id or other["state"] != "submitted":
            continue
        _to_past_plans(session, other, count, board["contest"]["title"], editor, lang)
        row = get_or_404(session, ContestEntry, other["id"], "competition entry")
        row.state, row.decided_at, row.decided_by = "not_adopted", at, editor.username
    session.flush()
    return results(session, entry.contest_id, today)


def _to_past_plans(session: Session, entry: dict[str, Any], count: int, contest_title: str, editor: Editor,
                   lang: str) -> None:
    """Keep an entry not adopted in the past-plans register, with its score, rank and breakdown."""
    proposal = roadmaps.get_roadmap(session, entry["roadmap_id"])
    breakdown = "؛ " if lang == "fa" else "; "
    parts = breakdown.join(t("contest.breakdown_item", lang, name=b["name"], mean=format_number(b["mean"], lang))
                           for b in entry["breakdown"])
    lessons = t("contest.past_plan_scores", lang, contest=contest_title, score=format_number(entry["score"], lang),
                rank=format_number(entry["rank"], lang), count=format_number(count, lang), breakdown=parts)
    plan = past_plans.create_past_plan(session, PastPlanIn(
        title=f"{entry['group_name']}: {entry['title']}", unit=entry["target"],
        start_year=int(proposal["start_date"][:4]), end_year=int(proposal["end_date"][:4]),
        outcome="not_adopted", lessons=lessons), editor)
    get_or_404(session, ContestEntry, entry["id"], "competition entry").past_plan_id = plan["id"]
