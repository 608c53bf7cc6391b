"""The group record card (کارنامه گروهی) of a progress core: what it is, its journey's
stages with their dates, its assessment scores, its training, the maps it drafted with
their review and progress — tables in the reader's language (:class:`spatial.tables.Table`),
shown as a page and printed as a PDF.

Each section is built by one function of :data:`SECTIONS`; another concern adds its own
section (a competition's entries and results) by adding its builder there.

Examples
--------
>>> title, tables = record_card(session, core_id, "fa")             # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.jalali import persian_digits
from spatial.messages import label, t
from spatial.planning import contests, journey
from spatial.planning.cores import core_document
from spatial.planning.roadmaps import list_roadmaps
from spatial.tables import Cell, Table

#: A section of the card: (session, core document, language) → a table in that language.
Section = Callable[[Session, dict[str, Any], str], Table]


def _day(moment: str | None) -> date | None:
    return date.fromisoformat(moment[:10]) if moment else None


def _digits(value: int, lang: str) -> str:
    return persian_digits(value) if lang == "fa" else str(value)


def facts_table(session: Session, core: dict[str, Any], lang: str) -> Table:
    """The core: its name, kind, area, stage, members by name and contacts."""
    area = session.execute(text("SELECT name_fa, name_en FROM admin_unit WHERE code = :c"),
                           {"c": core["unit"]}).one()
    rows: list[list[Cell]] = [
        [t("core.name", lang), core["name"]],
        [t("core.kind", lang), label("core_kind", core["kind"], lang)],
        [t("core.area_name", lang), area.name_fa if lang == "fa" else area.name_en],
        [t("core.stage", lang), label("core_stage", core["stage"], lang)],
        [t("core.member_names", lang), "، ".join(m["name"] for m in core["members"]) if lang == "fa"
         else ", ".join(m["name"] for m in core["members"])],
        [t("core.contacts", lang), core["contacts"]],
    ]
    return Table(t("card.facts", lang), [t("export.field", lang), t("export.value", lang)], rows)


def stages_table(session: Session, core: dict[str, Any], lang: str) -> Table:
    """Every stage the core reached: the day (first, as a chronicle reads), the stage, who moved it and why."""
    rows: list[list[Cell]] = [[_day(e["at"]), label("core_stage", e["to_stage"], lang), e["by"], e["reason"]]
                              for e in core["stages"]]
    return Table(t("card.stages", lang), [t("card.on", lang), t("core.stage", lang), t("card.by", lang),
                                          t("card.reason", lang)], rows)


def assessment_table(session: Session, core: dict[str, Any], lang: str) -> Table:
    """Each round's criteria with their weights and the core's mean score, then its combined score and rank."""
    rows: list[list[Cell]] = []
    for found in journey.core_assessments(session, core["id"]):
        for criterion in found["criteria"]:
            rows.append([found["title"], criterion["name"], criterion["weight"], found["means"][criterion["code"]]])
        rows.append([found["title"], label("assessment_method", found["method"], lang), None, found["score"]])
        rows.append([found["title"], t("card.rank", lang), None,
                     t("card.rank_of", lang, rank=_digits(found["rank"], lang), of=_digits(found["of"], lang))])
    return Table(t("card.assessment", lang), [t("assessment.round", lang), t("assessment.criterion", lang),
                                              t("assessment.weight", lang), t("core.score", lang)], rows)


def training_table(session: Session, core: dict[str, Any], lang: str) -> Table:
    """Each course: its requirement, and each member's attendance and whether they meet it."""
    rows: list[list[Cell]] = []
    for course in journey.core_training(session, core["id"]):
        for member in course["members"]:
            rows.append([course["title"], course["required_sessions"], member["name"], member["attended"],
                         t("common.yes" if member["attended"] >= course["required_sessions"] else "common.no", lang)])
    return Table(t("card.training", lang), [t("course.title", lang), t("course.required_sessions", lang),
                                            t("course.member", lang), t("course.attended", lang),
                                            t("course.meets", lang)], rows)


def drafts_table(session: Session, core: dict[str, Any], lang: str) -> Table:
    """Each map the core drafted: every step of its review with the day, who and the note."""
    rows: list[list[Cell]] = []
    for draft in journey.core_drafts(session, core["id"]):
        for step in draft["steps"]:
            said = [step["note"]] + [c["text"] for c in step["comments"]]
            rows.append([_day(step["at"]), label("review_step", step["step"], lang), draft["title"], step["by"],
                         "\n".join(s for s in said if s)])
    return Table(t("card.drafts", lang), [t("card.on", lang), t("journey.step", lang), t("journey.draft_title", lang),
                                          t("card.by", lang), t("card.reason", lang)], rows)


def roadmaps_table(session: Session, core: dict[str, Any], lang: str) -> Table:
    """The roadmaps the core drafted, adopted or not, with their actions and progress."""
    states = {d["roadmap_id"]: d["state"] for d in journey.core_drafts(session, core["id"])}
    rows: list[list[Cell]] = [
        [r["title"], r["unit_name_fa"] if lang == "fa" else r["unit_name_en"],
         label("draft_state", states[r["id"]], lang) if r["id"] in states else label("roadmap_status", r["status"], lang),
         r["actions"], label("progress", r["progress_status"], lang)]
        for r in list_roadmaps(session, core=core["id"])]
    return Table(t("card.roadmaps", lang), [t("journey.draft_title", lang), t("core.area_name", lang),
                                            t("journey.state", lang), t("card.actions", lang),
                                            t("card.progress", lang)], rows)


def entries_table(session: Session, core: dict[str, Any], lang: str) -> Table:
    """The competitions the core entered: each entry's event, target place, state, and its score and
    rank once the event's results are out (:func:`spatial.planning.contests.core_entries`)."""
    rows: list[list[Cell]] = [
        [e["contest_title"], e["target_name_fa"] if lang == "fa" else e["target_name_en"], e["title"],
         label("contest_entry_state", e["state"], lang), e["score"], _digits(e["rank"], lang) if e["rank"] else None]
        for e in contests.core_entries(session, core["id"])]
    return Table(t("card.entries", lang), [t("contest.name", lang), t("contest.target", lang),
                                           t("contest.proposal", lang), t("journey.state", lang),
                                           t("contest.score", lang), t("contest.rank", lang)], rows)


#: The card's sections, in order.
SECTIONS: list[Section] = [facts_table, stages_table, assessment_table, training_table, drafts_table, roadmaps_table,
                           entries_table]


def record_card(session: Session, core_id: int, lang: str) -> tuple[str, list[Table]]:
    """The card's title and its sections' tables, in ``lang``."""
    core = core_document(session, core_id)
    return t("card.title", lang, name=core["name"]), [section(session, core, lang) for section in SECTIONS]
