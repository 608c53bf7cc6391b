"""Resolving and checking what roadmap-related input refers to: units by code, people,
organisations, and the editor's area.

A reference inside a request body that does not resolve is bad input
(:class:`InvalidInput`, HTTP 422) naming the field; an object named in the path that
does not exist is :class:`NotFound` (404).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from spatial.units.access import ensure_within_area
from spatial.errors import Conflict, Forbidden, InvalidInput, NotFound
from spatial.models.contests import ContestEntry
from spatial.planning.history import Editor, row_document

T = TypeVar("T")

#: Ids of the current units at and below the unit with code ``:unit`` (a CTE named ``sub``).
SUBTREE = """WITH RECURSIVE sub(id) AS (
    SELECT id FROM admin_unit WHERE code = :unit AND valid_to IS NULL
    UNION ALL
    SELECT a.id FROM admin_unit a JOIN sub ON a.parent_id = sub.id WHERE a.valid_to IS NULL
)"""

#: True for a roadmap ``r`` that is not a competition proposal waiting to be adopted: those stay
#: out of the ordinary lists and progress (:mod:`spatial.planning.contests`).
NOT_A_PROPOSAL = ("NOT EXISTS (SELECT 1 FROM contest_entry ce WHERE ce.roadmap_id = r.id "
                  "AND ce.state <> 'adopted')")


def unit_ref(session: Session, code: str, field: str = "unit") -> int:
    """The id of the current unit ``code``; :class:`InvalidInput` naming ``field`` if unknown."""
    unit_id = session.execute(text("SELECT id FROM admin_unit WHERE code = :c AND valid_to IS NULL"),
                              {"c": code}).scalar()
    if unit_id is None:
        raise InvalidInput(f"{field}: no administrative unit has code '{code}'. "
                           "Find codes with GET /api/units?level=province.", reason="unit_not_found", code=code, field=field)
    return int(unit_id)


def unit_filter(session: Session, code: str | None) -> str | None:
    """Check a ``unit`` filter parameter: :class:`NotFound` if the code is unknown."""
    if code is not None and session.execute(
            text("SELECT 1 FROM admin_unit WHERE code = :c AND valid_to IS NULL"), {"c": code}).first() is None:
        raise NotFound(f"No administrative unit has code '{code}'. Find codes with GET /api/units.", reason="unit_not_found", code=code, field="unit")
    return code


def unit_summary(session: Session, unit_id: int) -> dict[str, Any]:
    """Code, level and names of a unit, for documents."""
    row = session.execute(text("SELECT code, level, name_fa, name_en FROM admin_unit WHERE id = :id"),
                          {"id": unit_id}).mappings().one()
    return dict(row)


def with_unit(session: Session, obj: Any) -> dict[str, Any]:
    """An object's document with ``unit`` (its unit's code, or ``None``) in place of ``unit_id``."""
    doc = row_document(obj, skip=("unit_id",))
    doc["unit"] = session.execute(text("SELECT code FROM admin_unit WHERE id = :id"),
                                  {"id": obj.unit_id}).scalar() if obj.unit_id else None
    return doc


def person_ref(session: Session, person_id: int | None, field: str) -> None:
    """Check that person ``person_id`` exists (``None`` passes)."""
    if person_id is not None and session.execute(
            text("SELECT 1 FROM person WHERE id = :id"), {"id": person_id}).first() is None:
        raise InvalidInput(f"{field}: no person has id {person_id}. Create the person with POST /api/people "
                           "or list them with GET /api/people.", reason="person_not_found", field=field)


def organisation_ref(session: Session, organisation_id: int | None, field: str, kind: str | None = None) -> None:
    """Check that organisation ``organisation_id`` exists and, if ``kind`` is given, is of that kind."""
    if organisation_id is None:
        return
    found = session.execute(text("SELECT kind FROM organisation WHERE id = :id"), {"id": organisation_id}).scalar()
    if found is None:
        raise InvalidInput(f"{field}: no organisation has id {organisation_id}. Create it with POST "
                           "/api/organisations or list them with GET /api/organisations.", reason="organisation_not_found", field=field)
    if kind is not None and found != kind:
        raise InvalidInput(f"{field}: organisation {organisation_id} is a '{found}', not a '{kind}'.", reason="organisation_wrong_kind", field=field)


def get_or_404(session: Session, model: type[T], object_id: int, what: str) -> T:
    """The ``model`` row with ``object_id``; :class:`NotFound` naming ``what`` otherwise."""
    obj = session.get(model, object_id)
    if obj is None:
        raise NotFound(f"No {what} has id {object_id}.", field="id")
    return obj


def guard(session: Session, editor: Editor, unit_id: int | None) -> None:
    """Refuse a write outside the editor's area (progress-core members edit only inside theirs).

    An object with no unit is outside every area, so only unrestricted editors may write it.
    """
    if unit_id is None:
        if editor.area_unit_id is not None:
            raise Forbidden("Only editors without an area restriction may change records not tied to a unit.",
                            reason="outside_your_area", field="unit")
        return
    ensure_within_area(session, unit_id, editor.area_unit_id)


def is_organiser(editor: Editor) -> bool:
    """Organisers are editors without an area restriction (planners, administrators, the CLI);
    progress-core members always have one."""
    return editor.area_unit_id is None


def is_member(session: Session, core_id: int, username: str) -> bool:
    """True when ``username`` is the account of a member of core ``core_id``."""
    return session.execute(text("SELECT 1 FROM core_member WHERE core_id = :c AND username = :u"),
                           {"c": core_id, "u": username}).first() is not None


#: Draft states in which its core's members may change a core's draft.
EDITABLE_DRAFT: frozenset[str] = frozenset({"drafting", "changes_requested"})


def check_draft_write(session: Session, editor: Editor, roadmap_id: int) -> None:
    """Refuse a progress-core member's change to a core's draft that is not their core's, or
    that is under review or adopted (organisers may change it); and anyone's change to a
    competition proposal once it is submitted (it is scored as it was sent)."""
    # An ORM query, so that an entry's new state in this session (adopted a moment ago) is seen.
    sent = session.scalars(select(ContestEntry.state).where(ContestEntry.roadmap_id == roadmap_id)).first()
    if sent in ("submitted", "not_adopted"):
        raise Conflict(f"Roadmap {roadmap_id} is a competition proposal already submitted: the jury scores it as it "
                       "was sent, so it changes no more (unless it is adopted).", reason="contest_proposal_sent",
                       field="id")
    draft = session.execute(text("SELECT core_id, state FROM core_draft WHERE roadmap_id = :r"),
                            {"r": roadmap_id}).first()
    if draft is None or is_organiser(editor):
        return
    if not is_member(session, draft.core_id, editor.username):
        raise Forbidden(f"Roadmap {roadmap_id} is progress core {draft.core_id}'s draft; only its members change it.",
                        reason="not_a_member")
    if draft.state not in EDITABLE_DRAFT:
        raise Conflict(f"Roadmap {roadmap_id} is '{draft.state}': under review or adopted, it changes again only "
                       "if changes are asked for.", reason="draft_locked", field="id")


def required(changes: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Refuse a patch that sets a required field to null."""
    for name in fields:
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name} cannot be null; leave it out to keep the current value.", reason="required", field=name)
