"""Organisations (government bodies, economic sponsors, funds, banks, cooperatives,
charities), people with their roles, and handovers of responsibility from one person to
another.

People and organisations are retired, not deleted, once they took part in anything: a
retired one is no longer offered for new responsibilities, and keeps its history. A person
who still holds roadmaps or actions is handed over first (:func:`hand_over`). A person's
phone and e-mail are personal: documents carry them only for readers who work in the
person's area (:func:`contact_visible`).

A handover is a recorded event: it names who handed over to whom and when, and moves
the responsibility for one roadmap (and its actions) or for everything the person held;
each moved roadmap and action gets an ordinary history entry, so plans survive a change
of managers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from spatial.errors import Conflict, InvalidInput
from spatial.planning.history import Editor, now, record, recorded_create, recorded_delete, recorded_update, row_document
from spatial.models.roadmaps import Action, Handover, Organisation, Person, Roadmap
from spatial.planning.references import (
    get_or_404, guard, organisation_ref, person_ref, required, unit_ref, with_unit,
)
from spatial.planning.roadmap_inputs import HandoverIn, OrganisationIn, OrganisationPatch, PersonIn, PersonPatch
from spatial.planning.corrections import checked_reason
from spatial.planning.versions import Opened, reconcile
from spatial.planning.roadmaps import action_document, roadmap_document
from spatial.units.access import unit_within_area

#: The personal fields of a person's document.
CONTACT_FIELDS = ("phone", "email")


def _document(session: Session) -> Callable[[Any], dict[str, Any]]:
    return lambda obj: with_unit(session, obj)


def create_organisation(session: Session, data: OrganisationIn, editor: Editor) -> dict[str, Any]:
    """Register an organisation."""
    unit_id = unit_ref(session, data.unit) if data.unit else None
    guard(session, editor, unit_id)
    organisation = Organisation(unit_id=unit_id, **data.model_dump(exclude={"unit"}))
    return recorded_create(session, "organisation", organisation, editor, _document(session))


def get_organisation(session: Session, organisation_id: int) -> dict[str, Any]:
    """One organisation."""
    return with_unit(session, get_or_404(session, Organisation, organisation_id, "organisation"))


def update_organisation(session: Session, organisation_id: int, patch: OrganisationPatch,
                        editor: Editor, opened: Opened | None = None) -> dict[str, Any]:
    """Change an organisation's name, kind or contact.
    ``opened``: the version the edit was made against (see :mod:`spatial.planning.versions`)."""
    org = get_or_404(session, Organisation, organisation_id, "organisation")
    guard(session, editor, org.unit_id)
    changes = reconcile(session, "organisation", org, patch.model_dump(exclude_unset=True), _document(session),
                        opened)
    required(changes, ("name", "kind", "contact"))
    if changes.get("kind", "economic_sponsor") != "economic_sponsor" and session.execute(
            text("SELECT 1 FROM roadmap WHERE sponsor_id = :id LIMIT 1"), {"id": org.id}).first():
        raise InvalidInput("kind: this organisation sponsors roadmaps, so it must stay an economic_sponsor.",
                           field="kind")
    return recorded_update(session, "organisation", org, changes, editor, _document(session))


def delete_organisation(session: Session, organisation_id: int, editor: Editor, opened: Opened | None = None) -> None:
    """Delete an organisation that nothing refers to (refused if changed since the version ``opened``)."""
    org = get_or_404(session, Organisation, organisation_id, "organisation")
    guard(session, editor, org.unit_id)
    reconcile(session, "organisation", org, {}, _document(session), opened)
    used = session.execute(
        text("""SELECT EXISTS (SELECT 1 FROM roadmap WHERE sponsor_id = :id OR responsible_organisation_id = :id)
                OR EXISTS (SELECT 1 FROM action WHERE sponsor_id = :id)
                OR EXISTS (SELECT 1 FROM person WHERE organisation_id = :id)"""), {"id": org.id}).scalar()
    if used:
        raise Conflict(f"Organisation {org.id} is referred to by roadmaps, actions or people; change those first.",
                       field="id")
    recorded_delete(session, "organisation", org, editor, _document(session))


#: Who holds what: a person is responsible; an organisation sponsors (roadmaps and actions) or is responsible.
_HOLDINGS = {
    "person": text("""SELECT 'roadmaps' AS kind, id, title, id AS roadmap_id FROM roadmap
                      WHERE archived_at IS NULL AND responsible_person_id = :id
                      UNION ALL
                      SELECT 'actions', a.id, a.title, a.roadmap_id FROM action a JOIN roadmap r ON r.id = a.roadmap_id
                      WHERE a.archived_at IS NULL AND r.archived_at IS NULL AND a.responsible_person_id = :id
                      ORDER BY 1, 2"""),
    "organisation": text("""SELECT 'roadmaps' AS kind, id, title, id AS roadmap_id FROM roadmap
                            WHERE archived_at IS NULL AND (sponsor_id = :id OR responsible_organisation_id = :id)
                            UNION ALL
                            SELECT 'actions', a.id, a.title, a.roadmap_id FROM action a
                            JOIN roadmap r ON r.id = a.roadmap_id
                            WHERE a.archived_at IS NULL AND r.archived_at IS NULL AND a.sponsor_id = :id
                            ORDER BY 1, 2"""),
}


def holdings(session: Session, entity: str, object_id: int) -> dict[str, list[dict[str, Any]]]:
    """The live roadmaps and actions a person (``entity="person"``) is responsible for, or an
    organisation sponsors or is responsible for: ``{"roadmaps": [...], "actions": [...]}``,
    each ``{id, title, roadmap_id}`` — what must be handed over before retiring."""
    held: dict[str, list[dict[str, Any]]] = {"roadmaps": [], "actions": []}
    for row in session.execute(_HOLDINGS[entity], {"id": object_id}).mappings():
        held[row["kind"]].append({"id": row["id"], "title": row["title"], "roadmap_id": row["roadmap_id"]})
    return held


def _retire(session: Session, entity: str, obj: Person | Organisation, reason: str, editor: Editor,
            document: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    if obj.retired_at is not None:
        raise Conflict(f"This {entity} was already retired on {obj.retired_at:%Y-%m-%d}.", field="id")
    return recorded_update(session, entity, obj, {"retired_at": now(session), "retired_by": editor.username},
                           editor, document, operation="archive", reason=reason)


def _reinstate(session: Session, entity: str, obj: Person | Organisation, reason: str, editor: Editor,
               document: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    if obj.retired_at is None:
        raise Conflict(f"This {entity} is not retired.", field="id")
    return recorded_update(session, entity, obj, {"retired_at": None, "retired_by": None}, editor, document,
                           operation="restore", reason=reason or None)


def retire_organisation(session: Session, organisation_id: int, reason: str, editor: Editor) -> dict[str, Any]:
    """Retire an organisation that sponsors or is responsible for no live roadmap or action."""
    org = get_or_404(session, Organisation, organisation_id, "organisation")
    guard(session, editor, org.unit_id)
    why = checked_reason(reason)
    held = holdings(session, "organisation", org.id)
    if held["roadmaps"] or held["actions"]:
        raise Conflict(f"Organisation {org.id} still sponsors or is responsible for {len(held['roadmaps'])} "
                       f"roadmaps and {len(held['actions'])} actions; name another organisation on them first.",
                       field="id")
    return _retire(session, "organisation", org, why, editor, _document(session))


def reinstate_organisation(session: Session, organisation_id: int, editor: Editor,
                           reason: str = "") -> dict[str, Any]:
    """Offer a retired organisation again."""
    org = get_or_404(session, Organisation, organisation_id, "organisation")
    guard(session, editor, org.unit_id)
    return _reinstate(session, "organisation", org, reason.strip(), editor, _document(session))


def list_organisations(session: Session, kind: str | None = None, q: str | None = None,
                       unit: str | None = None, retired: bool = False) -> list[dict[str, Any]]:
    """Organisations, filtered by kind, unit code and a text search on the name; the retired
    ones left out, or (``retired=True``) the only ones listed."""
    stmt = select(Organisation).order_by(Organisation.name, Organisation.id)
    stmt = stmt.where(Organisation.retired_at.is_not(None) if retired else Organisation.retired_at.is_(None))
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if q:
        stmt = stmt.where(Organisation.name.ilike(f"%{q}%"))
    if unit:
        stmt = stmt.where(Organisation.unit_id == unit_ref(session, unit))
    return [with_unit(session, o) for o in session.scalars(stmt)]


def contact_visible(session: Session, reader: Editor | None, unit_id: int | None) -> bool:
    """True when ``reader`` may see the phone and e-mail of a person of unit ``unit_id``.

    ``reader`` is a signed-in editor who works with people (``None`` for anyone else:
    anonymous readers, partners, viewers, analysts). Editors without an area see everyone's;
    an editor with an area sees those of people inside it (not of people tied to no unit).
    """
    if reader is None:
        return False
    if reader.area_unit_id is None:
        return True
    return unit_id is not None and unit_within_area(session, unit_id, reader.area_unit_id)


def _person_document(session: Session, person: Person, reader: Editor | None) -> dict[str, Any]:
    """A person's document, without phone and e-mail unless ``reader`` may see them."""
    doc = with_unit(session, person)
    if not contact_visible(session, reader, person.unit_id):
        for name in CONTACT_FIELDS:
            doc.pop(name, None)
    return doc


def create_person(session: Session, data: PersonIn, editor: Editor) -> dict[str, Any]:
    """Register a person."""
    unit_id = unit_ref(session, data.unit) if data.unit else None
    guard(session, editor, unit_id)
    organisation_ref(session, data.organisation_id, "organisation_id")
    return recorded_create(session, "person", Person(unit_id=unit_id, **data.model_dump(exclude={"unit"})), editor,
                           _document(session))


def get_person(session: Session, person_id: int, reader: Editor | None = None) -> dict[str, Any]:
    """One person; phone and e-mail only for a ``reader`` who may see them (:func:`contact_visible`)."""
    return _person_document(session, get_or_404(session, Person, person_id, "person"), reader)


def update_person(session: Session, person_id: int, patch: PersonPatch, editor: Editor,
                  opened: Opened | None = None) -> dict[str, Any]:
    """Change a person's name, role, organisation, area, phone or e-mail (both areas must be the editor's).
    ``opened``: the version the edit was made against (see :mod:`spatial.planning.versions`)."""
    person = get_or_404(session, Person, person_id, "person")
    guard(session, editor, person.unit_id)
    changes = reconcile(session, "person", person, patch.model_dump(exclude_unset=True), _document(session), opened)
    required(changes, ("name", "role", "phone", "email"))
    if "unit" in changes:
        code = changes.pop("unit")
        changes["unit_id"] = unit_ref(session, code) if code else None
        guard(session, editor, changes["unit_id"])
    organisation_ref(session, changes.get("organisation_id"), "organisation_id")
    return recorded_update(session, "person", person, changes, editor, _document(session))


def retire_person(session: Session, person_id: int, reason: str, editor: Editor) -> dict[str, Any]:
    """Retire a person: no longer offered as responsible or member, kept in the history.

    Refused (:class:`Conflict`) while the person is responsible for a live roadmap or
    action: hand those over first (:func:`hand_over`).
    """
    person = get_or_404(session, Person, person_id, "person")
    guard(session, editor, person.unit_id)
    why = checked_reason(reason)
    held = holdings(session, "person", person.id)
    if held["roadmaps"] or held["actions"]:
        raise Conflict(f"Person {person.id} is still responsible for {len(held['roadmaps'])} roadmaps and "
                       f"{len(held['actions'])} actions; hand them over to someone else first.",
                       field="handover")
    return _retire(session, "person", person, why, editor, _document(session))


def reinstate_person(session: Session, person_id: int, editor: Editor, reason: str = "") -> dict[str, Any]:
    """Offer a retired person again."""
    person = get_or_404(session, Person, person_id, "person")
    guard(session, editor, person.unit_id)
    return _reinstate(session, "person", person, reason.strip(), editor, _document(session))


def delete_person(session: Session, person_id: int, editor: Editor, opened: Opened | None = None) -> None:
    """Delete a person who is responsible for nothing and took part in no handover or core (refused if
    changed since the version ``opened``)."""
    person = get_or_404(session, Person, person_id, "person")
    guard(session, editor, person.unit_id)
    reconcile(session, "person", person, {}, _document(session), opened)
    used = session.execute(
        text("""SELECT EXISTS (SELECT 1 FROM roadmap WHERE responsible_person_id = :id)
                OR EXISTS (SELECT 1 FROM action WHERE responsible_person_id = :id)
                OR EXISTS (SELECT 1 FROM handover WHERE from_person_id = :id OR to_person_id = :id)
                OR EXISTS (SELECT 1 FROM core_member WHERE person_id = :id)"""),
        {"id": person.id}).scalar()
    if used:
        raise Conflict(f"Person {person.id} is responsible for roadmaps or actions, or in a handover or a core; "
                       "hand their responsibilities over and retire them instead.", field="id")
    recorded_delete(session, "person", person, editor, _document(session))


def list_people(session: Session, organisation: int | None = None, role: str | None = None,
                q: str | None = None, unit: str | None = None, reader: Editor | None = None,
                retired: bool = False) -> list[dict[str, Any]]:
    """People, filtered by organisation, role, unit code and a text search on the name; the
    retired left out, or (``retired=True``) the only ones listed. Phone and e-mail only where
    ``reader`` may see them (:func:`contact_visible`)."""
    stmt = select(Person).order_by(Person.name, Person.id)
    stmt = stmt.where(Person.retired_at.is_not(None) if retired else Person.retired_at.is_(None))
    if organisation is not None:
        stmt = stmt.where(Person.organisation_id == organisation)
    if role:
        stmt = stmt.where(Person.role == role)
    if q:
        stmt = stmt.where(or_(Person.name.ilike(f"%{q}%"), Person.role.ilike(f"%{q}%")))
    if unit:
        stmt = stmt.where(Person.unit_id == unit_ref(session, unit))
    return [_person_document(session, p, reader) for p in session.scalars(stmt)]


def person_names(session: Session, ids: Collection[int] | None = None) -> dict[int, str]:
    """Names of people by id (of ``ids``, or everyone), in one query: for lists and select boxes."""
    stmt = select(Person.id, Person.name).order_by(Person.name, Person.id)
    if ids is not None:
        stmt = stmt.where(Person.id.in_(list(ids)))
    return {row.id: row.name for row in session.execute(stmt)}


def organisation_names(session: Session, ids: Collection[int] | None = None) -> dict[int, str]:
    """Names of organisations by id (of ``ids``, or all), in one query."""
    stmt = select(Organisation.id, Organisation.name).order_by(Organisation.name, Organisation.id)
    if ids is not None:
        stmt = stmt.where(Organisation.id.in_(list(ids)))
    return {row.id: row.name for row in session.execute(stmt)}


def hand_over(session: Session, data: HandoverIn, editor: Editor) -> dict[str, Any]:
    """Pass responsibility from one person to another and record the handover.

    With ``roadmap_id``, the roadmap and those of its actions the person held move;
    without, every roadmap and action the person held moves.
    """
    person_ref(session, data.from_person_id, "from_person_id")
    person_ref(session, data.to_person_id, "to_person_id")
    if data.from_person_id == data.to_person_id:
        raise InvalidInput("to_person_id: a person cannot hand over to themselves.", field="to_person_id")
    if session.execute(text("SELECT retired_at FROM person WHERE id = :id"), {"id": data.to_person_id}).scalar():
        raise InvalidInput(f"to_person_id: person {data.to_person_id} is retired; hand over to someone active.",
                           field="to_person_id")
    held = Roadmap.responsible_person_id == data.from_person_id
    roadmaps_q = select(Roadmap).where(held)
    actions_q = select(Action).where(Action.responsible_person_id == data.from_person_id)
    if data.roadmap_id is not None:
        scope = session.get(Roadmap, data.roadmap_id)
        if scope is None:
            raise InvalidInput(f"roadmap_id: no roadmap has id {data.roadmap_id}.", field="roadmap_id")
        roadmaps_q = roadmaps_q.where(Roadmap.id == scope.id)
        actions_q = actions_q.where(Action.roadmap_id == scope.id)
    roadmaps = session.scalars(roadmaps_q.order_by(Roadmap.id)).all()
    actions = session.scalars(actions_q.order_by(Action.id)).all()
    if not roadmaps and not actions:
        raise InvalidInput(f"from_person_id: person {data.from_person_id} is responsible for nothing here to "
                           "hand over.", field="from_person_id")
    for unit_id in {r.unit_id for r in roadmaps} | {a.roadmap.unit_id for a in actions}:
        guard(session, editor, unit_id)
    at = now(session)
    for r in roadmaps:
        before = roadmap_document(session, r)
        r.responsible_person_id, r.updated_at, r.updated_by = data.to_person_id, at, editor.username
        session.flush()
        record(session, "roadmap", r.id, "update", before=before, after=roadmap_document(session, r),
               author=editor.username, at=at, roadmap_id=r.id)
    for a in actions:
        before = action_document(a)
        a.responsible_person_id, a.updated_at, a.updated_by = data.to_person_id, at, editor.username
        session.flush()
        record(session, "action", a.id, "update", before=before, after=action_document(a),
               author=editor.username, at=at, roadmap_id=a.roadmap_id)
    event = Handover(**data.model_dump(), transferred={"roadmaps": [r.id for r in roadmaps],
                                                        "actions": [a.id for a in actions]},
                     created_at=at, created_by=editor.username)
    session.add(event)
    session.flush()
    return row_document(event)


def list_handovers(session: Session, person: int | None = None, roadmap: int | None = None) -> list[dict[str, Any]]:
    """Handovers involving a person (either side) and/or a roadmap, oldest first."""
    stmt = select(Handover).order_by(Handover.handed_over_on, Handover.id)
    if person is not None:
        stmt = stmt.where(or_(Handover.from_person_id == person, Handover.to_person_id == person))
    if roadmap is not None:
        stmt = stmt.where(Handover.roadmap_id == roadmap)
    return [row_document(h) for h in session.scalars(stmt)]
