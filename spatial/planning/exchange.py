"""Exchange: a roadmap with its actions and progress as a JSON document (export and
import) and as an Excel workbook (offices work in Excel).

The workbook, and the tables of the pages' downloads (:func:`roadmap_tables`,
:func:`progress_table`), speak the reader's language (:mod:`spatial.tables`).

The JSON document is portable: it refers to the unit by code and to people,
organisations, the progress core and the parent roadmap by name, never by database id,
so it can move between installations. Exporting, importing and exporting again gives
the same document.

Examples
--------
>>> doc = export_json(session, 7)                                   # doctest: +SKIP
>>> new_id = import_json(session, doc, LocalEditor("bahar"))        # doctest: +SKIP
>>> Path("roadmap.xlsx").write_bytes(export_excel(session, 7))      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput
from spatial.planning.history import Editor
from spatial.analytics.indicators import indicator_names
from spatial.jalali import format_number
from spatial.messages import label, measure, t
from spatial.planning.progress import action_progress
from spatial.planning.roadmap_inputs import (
    ActionFields, ActionIn, CapacityIn, Day, FinancingIn, InputModel, KeyResultIn, MeasurementIn, RoadmapIn,
    RoadmapStatus, parse,
)
from spatial.planning.roadmaps import create_action, create_measurement, create_roadmap, get_roadmap
from spatial.tables import Table, to_xlsx

FORMAT = "pishraft-roadmap"
VERSION = 1


class MeasurementFile(InputModel):
    measured_on: Day
    value: float
    source: str = ""
    reported_by: str
    synthetic: bool = False


class KeyResultFile(KeyResultIn):
    measurements: list[MeasurementFile] = []


class ActionFile(ActionFields):
    responsible_person: str | None = None
    sponsor: str | None = None
    key_results: list[KeyResultFile] = []  # type: ignore[assignment]


class ParentRef(InputModel):
    unit: str
    title: str


class RoadmapFile(InputModel):
    unit: str
    title: str
    start_date: Day
    end_date: Day
    status: RoadmapStatus = "draft"
    responsible_person: str | None = None
    responsible_organisation: str | None = None
    sponsor: str | None = None
    parent_roadmap: ParentRef | None = None
    core: str | None = None
    current_state: dict[str, Any] = {}
    capacities: list[CapacityIn] = []
    advantages: list[CapacityIn] = []
    strategies: list[str] = []
    synthetic: bool = False


class ExchangeFile(InputModel):
    format: str
    version: int
    roadmap: RoadmapFile
    actions: list[ActionFile] = []


def _names(session: Session, table: str, ids: set[int]) -> dict[int, str]:
    # ``table`` is one of three literals below, never user input.
    return dict(session.execute(text(f"SELECT id, name FROM {table} WHERE id = ANY(:ids)"),  # noqa: S608
                                {"ids": list(ids)}).all())


def export_json(session: Session, roadmap_id: int) -> dict[str, Any]:
    """The roadmap, its actions, financing, key results and measurements as a portable document."""
    doc = get_roadmap(session, roadmap_id)
    actions = doc["actions"]
    people = _names(session, "person", {doc["responsible_person_id"]} | {a["responsible_person_id"] for a in actions})
    orgs = _names(session, "organisation", {doc["responsible_organisation_id"], doc["sponsor_id"]}
                  | {a["sponsor_id"] for a in actions})
    cores = _names(session, "progress_core", {doc["core_id"]})
    parent = session.execute(
        text("SELECT u.code AS unit, r.title FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id WHERE r.id = :id"),
        {"id": doc["parent_roadmap_id"]}).mappings().first()
    kr_ids = [k["id"] for a in actions for k in a["key_results"]]
    measurements: dict[int, list[dict[str, Any]]] = {i: [] for i in kr_ids}
    for m in session.execute(
            text("""SELECT key_result_id, measured_on, value, source, reported_by, synthetic FROM measurement
                    WHERE key_result_id = ANY(:ids) AND archived_at IS NULL ORDER BY measured_on, id"""), {"ids": kr_ids}).mappings():
        measurements[m["key_result_id"]].append(
            {**{k: v for k, v in m.items() if k != "key_result_id"}, "measured_on": m["measured_on"].isoformat()})
    return {
        "format": FORMAT,
        "version": VERSION,
        "roadmap": {
            "unit": doc["unit"]["code"], "title": doc["title"], "start_date": doc["start_date"],
            "end_date": doc["end_date"], "status": doc["status"],
            "responsible_person": people.get(doc["responsible_person_id"]),
            "responsible_organisation": orgs.get(doc["responsible_organisation_id"]),
            "sponsor": orgs.get(doc["sponsor_id"]),
            "parent_roadmap": dict(parent) if parent else None,
            "core": cores.get(doc["core_id"]),
            "current_state": doc["current_state"], "capacities": doc["capacities"],
            "advantages": doc["advantages"], "strategies": doc["strategies"], "synthetic": doc["synthetic"],
        },
        "actions": [
            {
                **{k: a[k] for k in ("title", "sector", "geometry", "target_group", "target_size", "jobs_expected",
                                     "start_date", "end_date", "status", "synthetic", "financing")},
                "responsible_person": people.get(a["responsible_person_id"]),
                "sponsor": orgs.get(a["sponsor_id"]),
                "key_results": [
                    {**{k: kr[k] for k in ("indicator", "unit_of_measure", "baseline", "target", "target_date")},
                     "measurements": measurements[kr["id"]]}
                    for kr in a["key_results"]
                ],
            }
            for a in actions
        ],
    }


def _id_by_name(session: Session, table: str, name: str | None, field: str) -> int | None:
    if name is None:
        return None
    ids = session.execute(text(f"SELECT id FROM {table} WHERE name = :n ORDER BY id"),  # noqa: S608
                          {"n": name}).scalars().all()
    if len(ids) != 1:
        what = "nothing" if not ids else f"{len(ids)} records"
        raise InvalidInput(f"{field}: '{name}' matches {what} in {table}; create it first or make its name unique.",
                           field=field)
    return int(ids[0])


@contextmanager
def _located(where: str) -> Iterator[None]:
    """Prefix the field of an :class:`InvalidInput` raised inside with its place in the document."""
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}", field=f"{where}.{exc.field}" if exc.field else where) from None


def import_json(session: Session, document: Any, editor: Editor) -> int:
    """Create a new roadmap from an exported document; returns its id.

    Everything goes through the same checks as the API; any error names the field
    (``actions.2.geometry``…) and, in the caller's transaction, nothing is written.
    """
    doc: ExchangeFile = parse(ExchangeFile, document)
    if doc.format != FORMAT or doc.version != VERSION:
        raise InvalidInput(f"format: expected a '{FORMAT}' document of version {VERSION}, got '{doc.format}' "
                           f"version {doc.version}.", field="format")
    r = doc.roadmap
    parent_id = None
    if r.parent_roadmap is not None:
        ids = session.execute(
            text("""SELECT r.id FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id
                    WHERE u.code = :unit AND r.title = :title"""),
            r.parent_roadmap.model_dump()).scalars().all()
        if len(ids) != 1:
            raise InvalidInput(f"roadmap.parent_roadmap: no single roadmap '{r.parent_roadmap.title}' of unit "
                               f"{r.parent_roadmap.unit}.", field="roadmap.parent_roadmap")
        parent_id = ids[0]
    created = create_roadmap(session, RoadmapIn(
        unit=r.unit, title=r.title, start_date=r.start_date, end_date=r.end_date, status=r.status,
        responsible_person_id=_id_by_name(session, "person", r.responsible_person, "roadmap.responsible_person"),
        responsible_organisation_id=_id_by_name(session, "organisation", r.responsible_organisation,
                                                "roadmap.responsible_organisation"),
        sponsor_id=_id_by_name(session, "organisation", r.sponsor, "roadmap.sponsor"),
        parent_roadmap_id=parent_id, core_id=_id_by_name(session, "progress_core", r.core, "roadmap.core"),
        capacities=r.capacities, advantages=r.advantages, strategies=r.strategies, synthetic=r.synthetic,
    ), editor, current_state=r.current_state or None)
    for i, a in enumerate(doc.actions):
        with _located(f"actions.{i}"):
            action = create_action(session, ActionIn(
                roadmap_id=created["id"],
                **a.model_dump(exclude={"responsible_person", "sponsor", "key_results", "financing",
                                         "responsible_person_id", "sponsor_id"}),
                financing=[FinancingIn(**f.model_dump()) for f in a.financing],
                key_results=[KeyResultIn(**k.model_dump(exclude={"measurements"})) for k in a.key_results],
                responsible_person_id=_id_by_name(session, "person", a.responsible_person, "responsible_person"),
                sponsor_id=_id_by_name(session, "organisation", a.sponsor, "sponsor"),
            ), editor)
        for k, (kr, kr_file) in enumerate(zip(action["key_results"], a.key_results, strict=True)):
            for j, m in enumerate(kr_file.measurements):
                with _located(f"actions.{i}.key_results.{k}.measurements.{j}"):
                    create_measurement(session, MeasurementIn(key_result_id=kr["id"], **m.model_dump()), editor)
    return int(created["id"])


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def roadmap_tables(session: Session, roadmap_id: int, lang: str = "fa", on: date | None = None) -> list[Table]:
    """The roadmap in five tables — the roadmap, its actions, financing lines, key results
    and measurements — in ``lang``'s words: catalogue headers, stored codes (sector,
    statuses, financing sources, shapes) as words, indicators by name. Statuses are those
    on ``on`` (default today); actions are numbered and the other tables refer to them."""
    doc = export_json(session, roadmap_id)
    stored = get_roadmap(session, roadmap_id)
    ids = [a["id"] for a in stored["actions"]]
    progress = action_progress(session, ids, on)
    names = {i["code"]: i["name_fa" if lang == "fa" else "name_en"] or i["code"]
             for i in indicator_names(session)}
    r = doc["roadmap"]
    unit = stored["unit"]

    def w(key: str) -> str:
        return t(key, lang)

    def indicator(code: str | None) -> str:
        return names.get(code or "", code or "")

    numbered = list(enumerate(zip(ids, doc["actions"], strict=True), start=1))
    return [
        Table(w("pw.roadmap"), [w("export.field"), w("export.value")], [
            [w("rm.title"), r["title"]],
            [w("rm.unit"), unit["name_fa"] if lang == "fa" else unit["name_en"]],
            [w("rm.status"), label("roadmap_status", r["status"], lang)],
            [w("rm.start_date"), _day(r["start_date"])], [w("rm.end_date"), _day(r["end_date"])],
            [w("rm.responsible_person"), r["responsible_person"]],
            [w("rm.responsible_organisation"), r["responsible_organisation"]],
            [w("rm.sponsor"), r["sponsor"]], [w("rm.core"), r["core"]],
            [w("rm.strategies"), "\n".join(r["strategies"])],
            [w("rm.capacities"), "\n".join(c["text"] for c in r["capacities"])],
            [w("rm.advantages"), "\n".join(c["text"] for c in r["advantages"])],
        ]),
        Table(w("rm.actions"), [w("export.number"), w("act.title"), w("act.sector"), w("act.status"),
                                w("rm.progress"), w("rm.start_date"), w("rm.end_date"), w("act.responsible"),
                                w("act.sponsor"), w("act.target_group"), w("act.target_size"), w("act.jobs"),
                                w("export.total_rials"), w("act.place")], [
            [n, a["title"], label("sector", a["sector"], lang) if a["sector"] else None,
             label("action_status", a["status"], lang), label("progress", progress[i]["status"], lang),
             _day(a["start_date"]), _day(a["end_date"]), a["responsible_person"], a["sponsor"], a["target_group"],
             a["target_size"], a["jobs_expected"], sum(f["amount_rials"] for f in a["financing"]),
             label("geometry", a["geometry"]["type"], lang) if a["geometry"] else w("act.no_place")]
            for n, (i, a) in numbered]),
        Table(w("act.financing"), [w("export.number"), w("act.title"), w("fin.source"), w("fin.amount"),
                                   w("fin.note")], [
            [n, a["title"], label("financing", f["source"], lang), f["amount_rials"], f["note"]]
            for n, (_, a) in numbered for f in a["financing"]]),
        Table(w("act.key_results"), [w("export.number"), w("act.title"), w("kr.indicator"), w("kr.unit_of_measure"),
                                     w("kr.baseline"), w("kr.target"), w("kr.target_date"), w("kr.latest"),
                                     w("rm.progress"), w("kr.progress")], [
            [n, a["title"], indicator(k["indicator"]), measure(k["unit_of_measure"], lang) or k["unit_of_measure"],
             k["baseline"], k["target"], _day(k["target_date"]), p["latest_value"],
             label("progress", p["status"], lang), p["progress"]]
            for n, (i, a) in numbered for k, p in zip(a["key_results"], progress[i]["key_results"], strict=True)]),
        Table(w("export.measurements"), [w("export.number"), w("act.title"), w("kr.indicator"), w("ms.measured_on"),
                                         w("ms.value"), w("ms.source"), w("export.reported_by")], [
            [n, a["title"], indicator(k["indicator"]), _day(m["measured_on"]), m["value"], m["source"],
             m["reported_by"]]
            for n, (_, a) in numbered for k in a["key_results"] for m in k["measurements"]]),
    ]


def progress_table(actions: list[dict[str, Any]], unit_name: str, names: Mapping[str, str],
                   lang: str = "fa") -> Table:
    """The progress watch's list (actions as :func:`spatial.planning.roadmaps.list_actions`
    gives them, in the page's order) as one table in ``lang``'s words; ``names`` are the
    indicators' names by code."""
    def w(key: str) -> str:
        return t(key, lang)

    def result(k: dict[str, Any]) -> str:
        latest = format_number(k["latest_value"], lang) if k["latest_value"] is not None else "—"
        return f"{names.get(k['indicator'], k['indicator'])}: {latest} / {format_number(k['target'], lang)}"

    return Table(t("pw.title", lang, unit=unit_name), [
        w("rm.progress"), w("act.title"), w("pw.roadmap"), w("unit.level"), w("act.sector"), w("act.responsible"),
        w("act.sponsor"), w("pw.due"), w("act.key_results")], [
        [label("progress", a["progress_status"], lang), a["title"], a["roadmap_title"], label("level", a["level"], lang),
         label("sector", a["sector"], lang) if a["sector"] else None, a["responsible"], a["sponsor"],
         _day(a["end_date"]), "\n".join(result(k) for k in a["key_results"])]
        for a in actions])


def export_excel(session: Session, roadmap_id: int, on: date | None = None, lang: str = "en") -> bytes:
    """The roadmap as an .xlsx workbook of :func:`roadmap_tables` in ``lang`` (right to
    left in Persian, with Jalali days)."""
    return to_xlsx(roadmap_tables(session, roadmap_id, lang, on), lang)
