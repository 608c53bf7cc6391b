"""Competitions (رویدادها) and the public watch in the workspace.

Events list and page (timetable in Jalali, phase, targets, criteria, jury, entries, and
the results once scoring has closed), the organiser's form for a new event and the button
that adopts a winner, the form to enter a group, a juror's own scoring form, the public
watch page of a published roadmap (no account needed) and the roadmap page's publish
toggle. The rules are :mod:`spatial.planning.contests` and :mod:`spatial.planning.watch`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal, require
from api.pages.forms import FormErrors
from api.pages.handovers import editor
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.roadmaps import may_write_somewhere
from api.pages.security import Submitted, form_for, viewer
from maps.actions import roadmap_map
from maps.assets import page_html
from spatial.db.engine import session_scope
from spatial.errors import Conflict, Forbidden, InvalidInput
from spatial.jalali import latin_digits
from spatial.planning import contests, watch
from spatial.planning.contest_inputs import ContestIn, EntryIn
from spatial.planning.cores import list_cores
from spatial.planning.roadmap_inputs import parse

router = page_router()

WRITE = "roadmaps:write"
LABELS = {"title": "contest.name", "targets": "contest.targets", "criteria": "contest.criteria",
          "jurors": "contest.jury", "opens_on": "contest.opens_on",
          "submissions_close_on": "contest.submissions_close_on", "scoring_on": "contest.scoring_on",
          "results_on": "contest.results_on"}
ENTRY_LABELS = {"target": "contest.target", "title": "contest.proposal_title", "core_id": "contest.core",
                "group_name": "contest.group"}
_SEPARATORS = re.compile(r"[\s,،]+")


def _words(text: str) -> list[str]:
    """Codes or usernames typed apart by spaces or commas (Persian or Latin)."""
    return [w for w in _SEPARATORS.split(text) if w]


def _criteria(errors: FormErrors, text: str) -> list[dict[str, Any]]:
    """Criteria typed one a line as ``name: weight`` (Persian or Western digits)."""
    found = []
    for number, line in enumerate((ln.strip() for ln in text.splitlines()), start=1):
        if not line:
            continue
        name, _, weight = line.rpartition(":")
        try:
            value = float(latin_digits(weight).replace("٫", ".").strip())
        except ValueError:
            value = 0.0
        if not name.strip() or not value > 0:
            errors.add("criteria", "contest.criteria", "contest.criteria_line", line=number)
            return []
        found.append({"name": name.strip(), "weight": value})
    if not found and not errors.get("criteria"):
        errors.add("criteria", "contest.criteria", "form.required")
    return found


@router.get("/contests")
def contests_page(request: Request, _: Principal = Depends(require("read")),
                  who: Principal | None = Depends(viewer)) -> Response:
    with session_scope() as session:
        found = contests.list_contests(session)
    return render(request, "contests.html", {"contests": found, "organiser": who is not None and
                                             contests.is_organiser(who)})


@router.get("/contests/new")
def new_contest_form(request: Request, _: Principal = Depends(require(WRITE))) -> Response:
    """The organiser's form (linked for organisers only; the event is refused to anyone else)."""
    return render(request, "contest_form.html", {"values": {}, "errors": FormErrors(lang_of(request))})


@router.post("/contests/new")
def create_contest(request: Request, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    title = errors.text(sent, "title", LABELS["title"], max_len=300)
    targets = _words(errors.text(sent, "targets", LABELS["targets"], max_len=5000))
    jurors = _words(errors.text(sent, "jurors", LABELS["jurors"], max_len=5000))
    criteria = _criteria(errors, sent.text("criteria"))
    days = {name: errors.date(sent, name, LABELS[name]) for name in
            ("opens_on", "submissions_close_on", "scoring_on", "results_on")}
    if not errors:
        try:
            with session_scope() as session:
                made = contests.create_contest(session, parse(ContestIn, {
                    "title": title, "targets": targets, "criteria": criteria, "jurors": jurors, **days}), principal)
                return redirect(request, f"/contests/{made['id']}")
        except InvalidInput as exc:
            errors.from_domain(exc, {**LABELS, **{f"targets.{i}": LABELS["targets"] for i in range(len(targets))}})
    values = {k: sent.text(k) for k in sent.form if k != "csrf_token"}
    return render(request, "contest_form.html", {"values": values, "errors": errors}, status_code=422)


def _contest_values(request: Request, contest_id: int, who: Principal | None,
                    errors: FormErrors | None = None, entry: dict[str, str] | None = None) -> dict[str, Any]:
    with session_scope() as session:
        contest = contests.get_contest(session, contest_id)
        board = contests.results(session, contest_id) if contest["phase"] == "results" else None
        juror = who is not None and contests.is_juror(session, contest_id, who.username)
        cores = list_cores(session) if who is not None and may_write_somewhere(who) else []
    return {"contest": contest, "board": board, "juror": juror, "cores": cores,
            "organiser": who is not None and contests.is_organiser(who),
            "may_enter": contest["phase"] == "open" and may_write_somewhere(who),
            "errors": errors or FormErrors(lang_of(request)), "entry": entry or {}}


@router.get("/contests/{contest_id}")
def contest_page(request: Request, contest_id: int, _: Principal = Depends(require("read")),
                 who: Principal | None = Depends(viewer)) -> Response:
    return render(request, "contest.html", _contest_values(request, contest_id, who))


@router.post("/contests/{contest_id}/entries")
def create_entry(request: Request, contest_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    target = errors.text(sent, "target", ENTRY_LABELS["target"], max_len=64)
    title = errors.text(sent, "title", ENTRY_LABELS["title"], max_len=300)
    core = sent.text("core_id")
    group = errors.text(sent, "group_name", ENTRY_LABELS["group_name"], required=False, max_len=200)
    if core and not (core.isdigit() and len(core) < 10):
        errors.add("core_id", ENTRY_LABELS["core_id"], "form.bad_choice")
    if not errors:
        try:
            with session_scope() as session:
                made = contests.create_entry(session, contest_id, parse(EntryIn, {
                    "target": target, "title": title, "core_id": int(core) if core else None,
                    "group_name": group or None}), principal)
                return redirect(request, f"/roadmaps/{made['roadmap_id']}")
        except (InvalidInput, Conflict) as exc:
            errors.from_domain(exc, ENTRY_LABELS)
    entry = {k: sent.text(k) for k in ("target", "title", "core_id", "group_name")}
    return render(request, "contest.html", _contest_values(request, contest_id, principal, errors, entry),
                  status_code=422)


@router.post("/contest-entries/{entry_id}/submit")
def submit_entry(request: Request, entry_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    with session_scope() as session:
        done = contests.submit_entry(session, entry_id, editor(sent))
        return redirect(request, f"/contests/{done['contest_id']}")


@router.post("/contest-entries/{entry_id}/adopt")
def adopt_entry(request: Request, entry_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    with session_scope() as session:
        board = contests.adopt_entry(session, entry_id, editor(sent), lang=lang_of(request))
        return redirect(request, f"/contests/{board['contest']['id']}")


def _score_values(contest_id: int, who: Principal) -> dict[str, Any]:
    """A juror's form: the event's submitted entries and the juror's own scores (403 for others)."""
    with session_scope() as session:
        contest = contests.get_contest(session, contest_id)
        if not contests.is_juror(session, contest_id, who.username):
            raise Forbidden("You do not sit on this event's jury.", reason="contest_not_juror")
        mine = contests.juror_scores(session, contest_id, who.username)
    entries = [e for e in contest["entries"] if e["state"] != "draft"]
    return {"contest": contest, "entries": entries, "mine": mine}


@router.get("/contests/{contest_id}/score")
def score_form(request: Request, contest_id: int, who: Principal = Depends(require("read")),
               saved: bool = False) -> Response:
    values = _score_values(contest_id, who)
    return render(request, "contest_score.html", {**values, "errors": FormErrors(lang_of(request)), "typed": {},
                                                  "saved": saved})


@router.post("/contests/{contest_id}/score")
def save_scores(request: Request, contest_id: int, sent: Submitted = Depends(form_for(None))) -> Response:
    """Every score on the form in one transaction: all saved, or none (the form shown again).

    The form needs no permission beyond its CSRF token: who sends it must be signed in (401) and
    sit on the event's jury (403), whatever their role."""
    errors = FormErrors(lang_of(request))
    who = editor(sent)
    values = _score_values(contest_id, who)
    given: dict[int, dict[int, float]] = {}
    for e in values["entries"]:
        for c in values["contest"]["criteria"]:
            name = f"score.{e['id']}.{c['id']}"
            score = errors.number(sent, name, "contest.score", required=False)
            if score is not None:
                given.setdefault(e["id"], {})[c["id"]] = score
    if not errors:
        try:
            with session_scope() as session:
                for entry_id, scores in given.items():
                    contests.score_entry(session, entry_id, scores, who)
                return redirect(request, f"/contests/{contest_id}/score", saved="1")
        except (InvalidInput, Conflict) as exc:
            errors.from_domain(exc, {"phase": "contest.phase"})
    typed = {k: sent.text(k) for k in sent.form if k.startswith("score.")}
    return render(request, "contest_score.html", {**values, "errors": errors, "typed": typed, "saved": False},
                  status_code=422)


# --- the public watch -------------------------------------------------------------------

@router.post("/roadmaps/{roadmap_id}/published")
def set_published(request: Request, roadmap_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    """The roadmap page's toggle: publish to the public watch, or take it back."""
    with session_scope() as session:
        watch.set_published(session, roadmap_id, sent.text("published") == "1", editor(sent))
        return redirect(request, f"/roadmaps/{roadmap_id}")


@router.get("/watch/{roadmap_id}")
def watch_page(request: Request, roadmap_id: int) -> Response:
    """A published roadmap for citizens, read-only, without signing in (404 for any other)."""
    with session_scope() as session:
        data = watch.public_roadmap(session, roadmap_id)
    return render(request, "watch.html", {"data": data, "today": date.today()})


@router.get("/watch/{roadmap_id}/map")
def watch_map(request: Request, roadmap_id: int) -> Response:
    """The public watch's map: the place and the actions coloured by status, nothing personal."""
    with session_scope() as session:
        data = watch.public_roadmap(session, roadmap_id)
    return HTMLResponse(page_html(roadmap_map(data, lang_of(request))))

