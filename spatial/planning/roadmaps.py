"""Roadmaps (نقشه راه), their actions and the measurements of their key results.

Every write checks the input against the database first (references exist, dates in
order, amounts not negative, the action's geometry lies within the roadmap's unit…),
raising :class:`InvalidInput` naming the field before anything is written; then it
writes and records the before/after documents in the history (:mod:`spatial.planning.history`).
The caller's transaction makes each call all-or-nothing.

Examples
--------
>>> editor = LocalEditor("bahar")                                          # doctest: +SKIP
>>> doc = create_roadmap(session, RoadmapIn(unit="IR-15", title="Kerman 1404-1408",
...                      start_date=date(2025, 3, 21), end_date=date(2030, 3, 20)), editor)  # doctest: +SKIP
>>> update_roadmap(session, doc["id"], RoadmapPatch(status="approved"), editor)  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import shape
from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from spatial.units.access import unit_within_area
from spatial.errors import Conflict, InvalidInput, NotFound, OutsideUnit
from spatial.planning.history import (
    Editor, compose, now, record, recorded_create, recorded_delete, recorded_update, row_document,
)
from spatial.analytics.indicators import known_indicator_codes, unit_snapshot
from spatial.models.roadmaps import Action, Financing, KeyResult, Measurement, ProgressCore, Roadmap
from spatial.planning.progress import action_features, roadmap_progress
from spatial.planning.references import (
    NOT_A_PROPOSAL, SUBTREE, check_draft_write, get_or_404, guard, organisation_ref, person_ref, required, unit_filter,
    unit_ref, unit_summary,
)
from spatial.planning.roadmap_inputs import (
    ActionIn, ActionPatch, KeyResultIn, MeasurementIn, MeasurementPatch, RoadmapIn, RoadmapPatch,
)
from spatial.planning.sources import source_document
from spatial.planning.versions import Opened, reconcile
from spatial.units.hierarchy import check_level

#: Fields of a key result its document leaves out (archived ones are not in the document at all).
_KEY_RESULT_BOOKKEEPING = ("action_id", "archived_at", "archived_by", "archive_reason")
_GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


# --- documents -------------------------------------------------------------------------

def roadmap_document(session: Session, roadmap: Roadmap) -> dict[str, Any]:
    """The roadmap's own fields as recorded in the history (without its actions)."""
    doc = row_document(roadmap, skip=("unit_id",))
    doc["unit"] = unit_summary(session, roadmap.unit_id)
    return doc


def action_document(action: Action) -> dict[str, Any]:
    """An action with its financing lines and key results, as recorded in the history."""
    doc = row_document(action)
    doc["financing"] = [{"source": f.source, "amount_rials": f.amount_rials, "note": f.note}
                        for f in action.financing]
    doc["key_results"] = [row_document(k, skip=_KEY_RESULT_BOOKKEEPING) for k in action.key_results]
    return doc


def measurement_document(measurement: Measurement) -> dict[str, Any]:
    """A measurement as recorded in the history."""
    return row_document(measurement)


def get_roadmap(session: Session, roadmap_id: int) -> dict[str, Any]:
    """The current roadmap with its actions; the same shape :func:`spatial.planning.history.as_of` returns."""
    # Three queries in all (roadmap, actions, their lines and key results), not one per action.
    roadmap = session.scalars(select(Roadmap).where(Roadmap.id == roadmap_id).options(
        selectinload(Roadmap.actions).selectinload(Action.financing),
        selectinload(Roadmap.actions).selectinload(Action.key_results))).first()
    if roadmap is None:
        raise NotFound(f"No roadmap has id {roadmap_id}.", reason="roadmap_not_found", field="id")
    return compose(roadmap_document(session, roadmap), [action_document(a) for a in roadmap.actions])


def list_roadmaps(
    session: Session, unit: str | None = None, level: str | None = None, status: str | None = None,
    sponsor: int | None = None, responsible: int | None = None, core: int | None = None,
    on: date | None = None, archived: bool = False,
) -> list[dict[str, Any]]:
    """Roadmaps of ``unit`` and the units below it, filtered; each with its progress status.
    Archived roadmaps are left out, or (``archived=True``) the only ones listed."""
    unit_filter(session, unit)
    if level is not None:
        check_level(level)
    rows = session.execute(
        text(f"""{SUBTREE}
            SELECT r.id, r.title, r.status, r.start_date, r.end_date, u.code AS unit, u.level,
                   u.name_fa AS unit_name_fa, u.name_en AS unit_name_en,
                   r.responsible_person_id, p.name AS responsible_name, r.sponsor_id, r.parent_roadmap_id,
                   r.core_id, r.synthetic,
                   (SELECT count(*) FROM action a WHERE a.roadmap_id = r.id AND a.archived_at IS NULL) AS actions
            FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id LEFT JOIN person p ON p.id = r.responsible_person_id
            WHERE (CAST(:unit AS text) IS NULL OR r.unit_id IN (SELECT id FROM sub))
              AND (CAST(:level AS text) IS NULL OR u.level = :level)
              AND (CAST(:status AS text) IS NULL OR r.status = :status)
              AND (CAST(:sponsor AS integer) IS NULL OR r.sponsor_id = :sponsor)
              AND (CAST(:responsible AS integer) IS NULL OR r.responsible_person_id = :responsible)
              AND (CAST(:core AS integer) IS NULL OR r.core_id = :core)
              AND (r.archived_at IS NOT NULL) = :archived AND {NOT_A_PROPOSAL}
            ORDER BY u.code, r.id"""),
        {"unit": unit, "level": level, "status": status, "sponsor": sponsor, "responsible": responsible,
         "core": core, "archived": archived},
    ).mappings().all()
    statuses = roadmap_progress(session, [r["id"] for r in rows], on)
    return [{**r, "start_date": r["start_date"].isoformat(), "end_date": r["end_date"].isoformat(),
             "progress_status": statuses[r["id"]]} for r in rows]


# --- roadmaps ----------------------------------------------------------------------------

def _check_roadmap(session: Session, values: dict[str, Any], unit_id: int, roadmap_id: int | None = None) -> None:
    if values["end_date"] < values["start_date"]:
        raise InvalidInput(f"end_date {values['end_date']} is before start_date {values['start_date']}; "
                           "a roadmap must end on or after the day it starts.", reason="end_before_start", field="end_date")
    person_ref(session, values.get("responsible_person_id"), "responsible_person_id")
    organisation_ref(session, values.get("responsible_organisation_id"), "responsible_organisation_id")
    organisation_ref(session, values.get("sponsor_id"), "sponsor_id", kind="economic_sponsor")
    parent_id = values.get("parent_roadmap_id")
    if parent_id is not None:
        parent = session.get(Roadmap, parent_id)
        if parent is None:
            raise InvalidInput(f"parent_roadmap_id: no roadmap has id {parent_id}.", reason="roadmap_not_found", field="parent_roadmap_id")
        if parent_id == roadmap_id or parent.unit_id == unit_id or not unit_within_area(
                session, unit_id, parent.unit_id):
            raise InvalidInput(f"parent_roadmap_id: roadmap {parent_id} is not for a unit above this one; a "
                               "county roadmap serves its province's, a neighbourhood's its county's.",
                               reason="parent_not_above", field="parent_roadmap_id")
    core_id = values.get("core_id")
    if core_id is not None:
        core = session.get(ProgressCore, core_id)
        if core is None:
            raise InvalidInput(f"core_id: no progress core has id {core_id}.", reason="core_not_found", field="core_id")
        if not unit_within_area(session, unit_id, core.unit_id):
            raise InvalidInput(f"core_id: this unit lies outside the area of progress core {core_id}.",
                               reason="outside_core_area", field="core_id")
    for name in ("capacities", "advantages"):
        codes = [c["indicator"] for c in values.get(name) or [] if c.get("indicator")]
        unknown = set(codes) - known_indicator_codes(session, codes)
        for i, item in enumerate(values.get(name) or []):
            if item.get("indicator") in unknown:
                raise InvalidInput(f"{name}.{i}.indicator: no indicator has code '{item['indicator']}'. "
                                   "List them with GET /api/indicators.", reason="indicator_not_found", field=f"{name}.{i}.indicator")


def take_current_state(session: Session, unit_id: int) -> dict[str, Any]:
    """A snapshot of the unit's indicators now, for a roadmap's current state."""
    return {"taken_at": now(session).isoformat(), "values": unit_snapshot(session, unit_id)}


def create_roadmap(session: Session, data: RoadmapIn, editor: Editor,
                   current_state: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create a roadmap, with a snapshot of its unit's indicators as the current state
    (or ``current_state`` as given, when importing a roadmap that already has one)."""
    unit_id = unit_ref(session, data.unit)
    guard(session, editor, unit_id)
    values = data.model_dump(exclude={"unit", "sources"})
    _check_roadmap(session, values, unit_id)
    values["sources"] = [source_document(session, ref, ("roadmap", "past_plan"), f"sources.{i}")
                         for i, ref in enumerate(data.sources)]
    state = current_state if current_state is not None else take_current_state(session, unit_id)
    roadmap = Roadmap(unit_id=unit_id, **values, current_state=state)
    doc = recorded_create(session, "roadmap", roadmap, editor, lambda r: roadmap_document(session, r))
    return compose(doc, [])


def _apply_roadmap(session: Session, roadmap: Roadmap, changes: dict[str, Any], editor: Editor) -> dict[str, Any]:
    return recorded_update(session, "roadmap", roadmap, changes, editor,
                           lambda r: roadmap_document(session, r), roadmap_id=roadmap.id)


def update_roadmap(session: Session, roadmap_id: int, patch: RoadmapPatch, editor: Editor,
                   opened: Opened | None = None) -> dict[str, Any]:
    """Change some fields of a roadmap (its unit cannot change: create a new roadmap instead).
    ``opened``: the version the edit was made against (see :mod:`spatial.planning.versions`)."""
    roadmap = get_or_404(session, Roadmap, roadmap_id, "roadmap")
    guard(session, editor, roadmap.unit_id)
    check_draft_write(session, editor, roadmap.id)
    changes = reconcile(session, "roadmap", roadmap, patch.model_dump(exclude_unset=True),
                        lambda r: roadmap_document(session, r), opened)
    required(changes, ("title", "start_date", "end_date", "status", "capacities", "advantages", "strategies"))
    merged = {**row_document(roadmap), **changes}
    merged["start_date"] = changes.get("start_date", roadmap.start_date)
    merged["end_date"] = changes.get("end_date", roadmap.end_date)
    _check_roadmap(session, merged, roadmap.unit_id, roadmap.id)
    if "start_date" in changes:
        earliest = session.execute(
            text("""SELECT min(m.measured_on) FROM measurement m JOIN key_result k ON k.id = m.key_result_id
                    JOIN action a ON a.id = k.action_id WHERE a.roadmap_id = :id AND m.archived_at IS NULL"""),
            {"id": roadmap.id}).scalar()
        if earliest is not None and earliest < changes["start_date"]:
            raise InvalidInput(f"start_date: measurements exist from {earliest}; the roadmap cannot start "
                               "after its first measurement.", reason="start_after_measurements", field="start_date")
    _apply_roadmap(session, roadmap, changes, editor)
    return get_roadmap(session, roadmap.id)


def refresh_current_state(session: Session, roadmap_id: int, editor: Editor) -> dict[str, Any]:
    """Take a new snapshot of the unit's indicators as the roadmap's current state."""
    roadmap = get_or_404(session, Roadmap, roadmap_id, "roadmap")
    guard(session, editor, roadmap.unit_id)
    check_draft_write(session, editor, roadmap.id)
    _apply_roadmap(session, roadmap, {"current_state": take_current_state(session, roadmap.unit_id)}, editor)
    return get_roadmap(session, roadmap.id)


def delete_roadmap(session: Session, roadmap_id: int, editor: Editor, opened: Opened | None = None) -> None:
    """Delete a roadmap with its actions and measurements; all of it stays in the history."""
    roadmap = get_or_404(session, Roadmap, roadmap_id, "roadmap")
    guard(session, editor, roadmap.unit_id)
    check_draft_write(session, editor, roadmap.id)
    reconcile(session, "roadmap", roadmap, {}, lambda r: roadmap_document(session, r), opened)
    if session.execute(text("SELECT 1 FROM contest_entry WHERE roadmap_id = :id"), {"id": roadmap.id}).first():
        raise Conflict(f"Roadmap {roadmap.id} is a competition entry's proposal; it stays with its event "
                       "(archive it instead).", reason="contest_proposal_kept", field="id")
    for child in session.scalars(select(Roadmap).where(Roadmap.parent_roadmap_id == roadmap.id)):
        _apply_roadmap(session, child, {"parent_roadmap_id": None}, editor)
    for action in session.scalars(select(Action).where(Action.roadmap_id == roadmap.id)):  # archived ones too
        _record_action_delete(session, action, editor)
    # The roadmap's delete cascades to its actions, their lines, key results and measurements.
    recorded_delete(session, "roadmap", roadmap, editor, lambda r: roadmap_document(session, r))


# --- actions -----------------------------------------------------------------------------

def _geometry(session: Session, geojson: dict[str, Any] | None, unit_id: int) -> Any:
    """Parse a GeoJSON geometry and check that it lies within the unit (``ST_CoveredBy``)."""
    if geojson is None:
        return None
    if geojson.get("type") not in _GEOMETRY_TYPES:
        raise InvalidInput(f"geometry: type '{geojson.get('type')}' is not one of {', '.join(_GEOMETRY_TYPES)}.",
                           reason="bad_geometry", field="geometry")
    try:
        geom = shapely.force_2d(shape(geojson))
        finite = bool(np.isfinite(shapely.get_coordinates(geom)).all())
    except Exception as exc:  # noqa: BLE001 - any failure to parse user GeoJSON is bad input
        raise InvalidInput(f"geometry: not a valid GeoJSON geometry ({type(exc).__name__}: {exc}).",
                           reason="bad_geometry", field="geometry") from None
    if not finite:
        raise InvalidInput("geometry: coordinates must be finite numbers.", reason="bad_geometry", field="geometry")
    if geom.is_empty or not geom.is_valid:
        raise InvalidInput(f"geometry: {shapely.is_valid_reason(geom) if not geom.is_empty else 'empty'}; "
                           "send a valid geometry in longitude/latitude (EPSG:4326).", reason="bad_geometry", field="geometry")
    inside = session.execute(
        text("""SELECT ST_CoveredBy(ST_GeomFromText(:wkt, 4326), geom), code FROM admin_unit WHERE id = :id"""),
        {"wkt": geom.wkt, "id": unit_id},
    ).one()
    if not inside[0]:
        raise OutsideUnit(f"geometry lies outside unit {inside[1]}, the roadmap's unit; an action must be placed "
                           "within it (coordinates are longitude, latitude).", reason="place_outside_unit", field="geometry")
    return from_shape(geom, srid=4326)


def _check_action(session: Session, values: dict[str, Any], financing: list[dict[str, Any]],
                  key_results: list[dict[str, Any]], roadmap: Roadmap) -> None:
    start, end = values.get("start_date"), values.get("end_date")
    if start is not None and end is not None and end < start:
        raise InvalidInput(f"end_date {end} is before start_date {start}; an action must end on or after the "
                           "day it starts.", reason="end_before_start", field="end_date")
    for name in ("target_size", "jobs_expected"):
        if values.get(name) is not None and values[name] < 0:
            raise InvalidInput(f"{name} is {values[name]}; it cannot be negative.", reason="negative", field=name)
    person_ref(session, values.get("responsible_person_id"), "responsible_person_id")
    organisation_ref(session, values.get("sponsor_id"), "sponsor_id")
    for i, line in enumerate(financing):
        if line["amount_rials"] < 0:
            raise InvalidInput(f"financing.{i}.amount_rials is {line['amount_rials']}; amounts cannot be "
                               "negative.", reason="negative", field=f"financing.{i}.amount_rials")
    line_start = start or roadmap.start_date
    for i, kr in enumerate(key_results):
        for name in ("target", "target_date"):
            if kr.get(name) is None:
                raise InvalidInput(f"key_results.{i}.{name} is missing; a key result needs a target value and "
                                   "a target date.", reason="required", field=f"key_results.{i}.{name}")
        if kr["target_date"] <= line_start:
            raise InvalidInput(f"key_results.{i}.target_date {kr['target_date']} is not after the start "
                               f"{line_start}; progress is measured from the start to the target date.",
                               reason="target_not_after_start", field=f"key_results.{i}.target_date")


def _financing(lines: list[dict[str, Any]]) -> list[Financing]:
    return [Financing(**line) for line in lines]


def create_action(session: Session, data: ActionIn, editor: Editor) -> dict[str, Any]:
    """Add an action (with its financing and key results) to a roadmap."""
    roadmap = session.get(Roadmap, data.roadmap_id)
    if roadmap is None:
        raise InvalidInput(f"roadmap_id: no roadmap has id {data.roadmap_id}.", reason="roadmap_not_found", field="roadmap_id")
    guard(session, editor, roadmap.unit_id)
    check_draft_write(session, editor, roadmap.id)
    values = data.model_dump(exclude={"roadmap_id", "financing", "key_results", "geometry", "source"})
    values["source"] = (source_document(session, data.source, ("action", "past_plan"), "source")
                        if data.source is not None else None)
    financing = [f.model_dump() for f in data.financing]
    key_results = [k.model_dump(exclude={"id"}) for k in data.key_results]
    _check_action(session, values, financing, key_results, roadmap)
    geom = _geometry(session, data.geometry, roadmap.unit_id)
    at = now(session)
    action = Action(roadmap_id=roadmap.id, geom=geom, **values, financing=_financing(financing),
                    key_results=[KeyResult(**k) for k in key_results],
                    created_at=at, created_by=editor.username, updated_at=at, updated_by=editor.username)
    session.add(action)
    session.flush()
    doc = action_document(action)
    record(session, "action", action.id, "create", before=None, after=doc, author=editor.username, at=at,
           roadmap_id=roadmap.id)
    return doc


def get_action(session: Session, action_id: int) -> dict[str, Any]:
    """One action's document."""
    return action_document(get_or_404(session, Action, action_id, "action"))


def update_action(session: Session, action_id: int, patch: ActionPatch, editor: Editor,
                  opened: Opened | None = None) -> dict[str, Any]:
    """Change an action. ``financing`` replaces all lines; ``key_results`` is the new list, where
    items with an ``id`` keep that key result (and its measurements) and the others are new.
    ``opened``: the version the edit was made against (see :mod:`spatial.planning.versions`)."""
    action = get_or_404(session, Action, action_id, "action")
    roadmap = action.roadmap
    guard(session, editor, roadmap.unit_id)
    check_draft_write(session, editor, roadmap.id)
    changes = reconcile(session, "action", action, patch.model_dump(exclude_unset=True), action_document, opened)
    patch = ActionPatch.model_validate(changes)
    required(changes, ("title", "sector", "target_group", "status", "financing", "key_results"))
    plain = {k: v for k, v in changes.items() if k not in ("financing", "key_results", "geometry")}
    merged = {**{k: getattr(action, k) for k in ("start_date", "end_date", "target_size", "jobs_expected",
                                                 "responsible_person_id", "sponsor_id")}, **plain}
    financing = ([f.model_dump() for f in patch.financing] if patch.financing is not None
                 else [{"source": f.source, "amount_rials": f.amount_rials, "note": f.note} for f in action.financing])
    new_krs: list[KeyResultIn] = (
        patch.key_results if patch.key_results is not None
        else [KeyResultIn(**row_document(k, skip=_KEY_RESULT_BOOKKEEPING)) for k in action.key_results])
    own = {k.id: k for k in action.key_results}
    for i, kr in enumerate(new_krs):
        if kr.id is not None and kr.id not in own:
            raise InvalidInput(f"key_results.{i}.id: key result {kr.id} does not belong to action {action.id}; "
                               "leave id out to add a new one.", reason="key_result_elsewhere", field=f"key_results.{i}.id")
    _check_action(session, merged, financing, [k.model_dump() for k in new_krs], roadmap)
    geom = _geometry(session, changes["geometry"], roadmap.unit_id) if "geometry" in changes else action.geom

    before = action_document(action)
    at = now(session)
    for name, value in plain.items():
        setattr(action, name, value)
    action.geom = geom
    if patch.financing is not None:
        action.financing = _financing(financing)
    if patch.key_results is not None:
        keep = {k.id for k in new_krs if k.id is not None}
        for kr_id in set(own) - keep:
            _record_measurement_deletes(session, [kr_id], roadmap.id, editor, at)
        kept = []
        for kr in new_krs:
            fields = kr.model_dump(exclude={"id"})
            target = own[kr.id] if kr.id is not None else KeyResult()
            for name, value in fields.items():
                setattr(target, name, value)
            kept.append(target)
        action.key_results = kept
    action.updated_at, action.updated_by = at, editor.username
    session.flush()
    session.refresh(action)
    after = action_document(action)
    record(session, "action", action.id, "update", before=before, after=after, author=editor.username, at=at,
           roadmap_id=roadmap.id)
    return after


def _record_measurement_deletes(session: Session, key_result_ids: list[int], roadmap_id: int, editor: Editor,
                         at: Any) -> None:
    for m in session.scalars(select(Measurement).where(Measurement.key_result_id.in_(key_result_ids))):
        record(session, "measurement", m.id, "delete", before=measurement_document(m), after=None,
               author=editor.username, at=at, roadmap_id=roadmap_id)


def _record_action_delete(session: Session, action: Action, editor: Editor) -> None:
    at = now(session)
    _record_measurement_deletes(session, [k.id for k in action.key_results], action.roadmap_id, editor, at)
    record(session, "action", action.id, "delete", before=action_document(action), after=None,
           author=editor.username, at=at, roadmap_id=action.roadmap_id)


def delete_action(session: Session, action_id: int, editor: Editor, opened: Opened | None = None) -> None:
    """Delete an action with its measurements; all of it stays in the history."""
    action = get_or_404(session, Action, action_id, "action")
    guard(session, editor, action.roadmap.unit_id)
    check_draft_write(session, editor, action.roadmap_id)
    reconcile(session, "action", action, {}, action_document, opened)
    _record_action_delete(session, action, editor)
    session.delete(action)
    session.flush()


def list_actions(
    session: Session, roadmap: int | None = None, unit: str | None = None, level: str | None = None,
    status: str | None = None, sector: str | None = None, sponsor: int | None = None,
    responsible: int | None = None,
) -> list[dict[str, Any]]:
    """Actions filtered by roadmap, unit (and below), level, status, sector, sponsor, responsible person
    (archived actions, and those of archived roadmaps, left out)."""
    unit_filter(session, unit)
    if level is not None:
        check_level(level)
    ids = list(session.execute(
        text(f"""{SUBTREE}
            SELECT a.id FROM action a JOIN roadmap r ON r.id = a.roadmap_id JOIN admin_unit u ON u.id = r.unit_id
            WHERE (CAST(:roadmap AS integer) IS NULL OR a.roadmap_id = :roadmap)
              AND (CAST(:unit AS text) IS NULL OR r.unit_id IN (SELECT id FROM sub))
              AND (CAST(:level AS text) IS NULL OR u.level = :level)
              AND (CAST(:status AS text) IS NULL OR a.status = :status)
              AND (CAST(:sector AS text) IS NULL OR a.sector = :sector)
              AND (CAST(:sponsor AS integer) IS NULL OR a.sponsor_id = :sponsor)
              AND (CAST(:responsible AS integer) IS NULL OR a.responsible_person_id = :responsible)
              AND a.archived_at IS NULL AND r.archived_at IS NULL
              AND (CAST(:roadmap AS integer) IS NOT NULL OR {NOT_A_PROPOSAL})
            ORDER BY a.id"""),
        {"roadmap": roadmap, "unit": unit, "level": level, "status": status, "sector": sector,
         "sponsor": sponsor, "responsible": responsible},
    ).scalars())
    return [{**f["properties"], "geometry": f["geometry"]} for f in action_features(session, ids)]


# --- measurements ------------------------------------------------------------------------

def _check_measurement(measured_on: date, roadmap: Roadmap) -> None:
    if measured_on < roadmap.start_date:
        raise InvalidInput(f"measured_on {measured_on} is before the roadmap starts ({roadmap.start_date}); "
                           "a measurement must fall within the roadmap.", reason="measured_before_start", field="measured_on")
    if measured_on > date.today():
        raise InvalidInput(f"measured_on {measured_on} is in the future; record values once measured.",
                           reason="measured_in_future", field="measured_on")


def create_measurement(session: Session, data: MeasurementIn, editor: Editor) -> dict[str, Any]:
    """Record a measured value of a key result."""
    kr = session.get(KeyResult, data.key_result_id)
    if kr is None:
        raise InvalidInput(f"key_result_id: no key result has id {data.key_result_id}.", reason="key_result_not_found", field="key_result_id")
    roadmap = session.get(Action, kr.action_id).roadmap  # type: ignore[union-attr]
    guard(session, editor, roadmap.unit_id)
    _check_measurement(data.measured_on, roadmap)
    m = Measurement(key_result_id=kr.id, measured_on=data.measured_on, value=data.value, source=data.source,
                    reported_by=data.reported_by or editor.username, synthetic=data.synthetic)
    return recorded_create(session, "measurement", m, editor, measurement_document, roadmap_id=roadmap.id)


def measurement_roadmap(session: Session, m: Measurement) -> Roadmap:
    """The roadmap a measurement belongs to (through its key result and action)."""
    return session.get(Action, session.get(KeyResult, m.key_result_id).action_id).roadmap  # type: ignore[union-attr]


def update_measurement(session: Session, measurement_id: int, patch: MeasurementPatch,
                       editor: Editor, opened: Opened | None = None, reason: str | None = None) -> dict[str, Any]:
    """Correct a measurement (the old value stays in the history, with ``reason`` if given)."""
    m = get_or_404(session, Measurement, measurement_id, "measurement")
    roadmap = measurement_roadmap(session, m)
    guard(session, editor, roadmap.unit_id)
    changes = reconcile(session, "measurement", m, patch.model_dump(exclude_unset=True), measurement_document, opened)
    required(changes, ("measured_on", "value", "source", "reported_by"))
    if "measured_on" in changes:
        _check_measurement(changes["measured_on"], roadmap)
    return recorded_update(session, "measurement", m, changes, editor, measurement_document,
                           roadmap_id=roadmap.id, reason=reason)


def delete_measurement(session: Session, measurement_id: int, editor: Editor, opened: Opened | None = None) -> None:
    """Delete a measurement (it stays in the history)."""
    m = get_or_404(session, Measurement, measurement_id, "measurement")
    roadmap = measurement_roadmap(session, m)
    guard(session, editor, roadmap.unit_id)
    reconcile(session, "measurement", m, {}, measurement_document, opened)
    recorded_delete(session, "measurement", m, editor, measurement_document, roadmap_id=roadmap.id)


def list_measurements(session: Session, key_result: int | None = None, action: int | None = None,
                      roadmap: int | None = None) -> list[dict[str, Any]]:
    """Measurements filtered by key result, action or roadmap, oldest first; withdrawn ones
    too, with ``archived_at`` and ``archive_reason`` set (they no longer count in progress)."""
    rows = session.execute(
        text("""SELECT m.id FROM measurement m JOIN key_result k ON k.id = m.key_result_id
                JOIN action a ON a.id = k.action_id
                WHERE (CAST(:kr AS integer) IS NULL OR m.key_result_id = :kr)
                  AND (CAST(:action AS integer) IS NULL OR a.id = :action)
                  AND (CAST(:roadmap AS integer) IS NULL OR a.roadmap_id = :roadmap)
                ORDER BY m.measured_on, m.id"""),
        {"kr": key_result, "action": action, "roadmap": roadmap},
    ).scalars().all()
    objs = session.scalars(select(Measurement).where(Measurement.id.in_(rows))).all()
    by_id = {m.id: m for m in objs}
    return [measurement_document(by_id[i]) for i in rows]


# --- maps --------------------------------------------------------------------------------

def roadmap_map_data(session: Session, roadmap_id: int, on: date | None = None) -> dict[str, Any]:
    """What a roadmap map draws: the roadmap, its unit as a GeoJSON Feature, and its actions
    as a FeatureCollection with progress (see :func:`spatial.planning.progress.action_features`).

    Keys: ``roadmap`` (id, title, status, period, progress_status, responsible, sponsor,
    unit code/name_fa/name_en/level, synthetic), ``unit`` (Feature), ``actions``
    (FeatureCollection; geometry may be null).
    """
    roadmap = get_or_404(session, Roadmap, roadmap_id, "roadmap")
    row = session.execute(
        text("""SELECT u.code, u.level, u.name_fa, u.name_en, CAST(ST_AsGeoJSON(u.geom, 6) AS jsonb) AS geometry,
                       p.name AS responsible, o.name AS sponsor, ro.name AS responsible_organisation
                FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id
                LEFT JOIN person p ON p.id = r.responsible_person_id
                LEFT JOIN organisation o ON o.id = r.sponsor_id
                LEFT JOIN organisation ro ON ro.id = r.responsible_organisation_id
                WHERE r.id = :id"""),
        {"id": roadmap_id},
    ).mappings().one()
    unit_props = {k: row[k] for k in ("code", "level", "name_fa", "name_en")}
    return {
        "roadmap": {
            "id": roadmap.id, "title": roadmap.title, "status": roadmap.status,
            "period": {"start_date": roadmap.start_date.isoformat(), "end_date": roadmap.end_date.isoformat(),
                       "start_year": roadmap.start_date.year, "end_year": roadmap.end_date.year},
            "progress_status": roadmap_progress(session, [roadmap.id], on)[roadmap.id],
            "responsible": row["responsible"], "responsible_organisation": row["responsible_organisation"],
            "sponsor": row["sponsor"], "synthetic": roadmap.synthetic,
            "unit_code": row["code"], "unit_name_fa": row["name_fa"], "unit_name_en": row["name_en"],
            "unit_level": row["level"],
        },
        "unit": {"type": "Feature", "id": row["code"], "properties": unit_props, "geometry": row["geometry"]},
        "actions": {"type": "FeatureCollection",
                    "features": action_features(session, [a.id for a in roadmap.actions], on)},
    }

