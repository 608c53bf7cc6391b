"""People, organisations and sponsors: the lists with a search box, a person's and an
organisation's page (what they hold, their history), the forms that add and edit them,
and retiring (with the handover asked for first when a person still holds roadmaps or
actions) and restoring (administrators) — :mod:`spatial.planning.people`.

A person's phone and e-mail are shown only to signed-in editors of the person's area
(the API's rule: :func:`api.routers.people.contact_reader`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.pages.forms import VERSION_FIELD, FormErrors, opened_version, stale_context
from api.pages.handovers import area_code, editor
from api.pages.planning import WRITE
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.saving import form_again, saved
from api.pages.security import Submitted, form_for, viewer
from api.routers.people import CONTACT_ROLES, contact_reader
from spatial.db.engine import session_scope
from spatial.errors import Conflict, Forbidden, InvalidInput, VersionMismatch
from spatial.models.roadmaps import ORGANISATION_KINDS
from spatial.planning import people
from spatial.planning.references import guard, unit_ref
from spatial.planning.roadmap_inputs import OrganisationIn, OrganisationPatch, PersonIn, PersonPatch, parse

router = page_router()

#: The kinds the forms offer (``ngo`` and ``other`` stay readable for older records).
KINDS = ("government", "economic_sponsor", "fund", "bank", "cooperative", "charity")
PERSON_LABELS = {"name": "person.name", "role": "person.role", "phone": "person.phone", "email": "person.email",
                 "organisation_id": "person.organisation", "unit": "person.area", "reason": "fix.reason",
                 "handover": "person.retire"}
ORGANISATION_LABELS = {"name": "org.name", "kind": "org.kind", "unit": "org.area", "contact": "org.contact",
                       "reason": "fix.reason"}


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


def _organisation_options(session: Session) -> list[tuple[str, str]]:
    return [(str(o["id"]), o["name"]) for o in people.list_organisations(session)]


def _entity_history(session: Session, entity: str, object_id: int) -> list[dict[str, Any]]:
    """The recorded changes of a person or organisation, newest first: when, who, what, why."""
    rows = session.execute(text("""SELECT operation, author, at, reason FROM history
                                   WHERE entity = :entity AND entity_id = :id ORDER BY at DESC, id DESC"""),
                           {"entity": entity, "id": object_id}).mappings()
    return [dict(r) for r in rows]


# --- people ------------------------------------------------------------------------------

@router.get("/people")
def people_page(request: Request, q: str = Query("", max_length=100), retired: bool = False,
                _: Principal = Depends(require("read")), who: Principal | None = Depends(viewer)) -> Response:
    """People by name or role title (a plain search), the retired ones on request."""
    with session_scope() as session:
        found = people.list_people(session, q=q.strip() or None, reader=contact_reader(who), retired=retired)
        organisations = people.organisation_names(session)
    return render(request, "people.html", {"people": found, "q": q, "retired": retired,
                                           "organisations": organisations})


def _person_values(doc: dict[str, Any] | None) -> dict[str, str]:
    doc = doc or {}
    return {"name": doc.get("name", ""), "role": doc.get("role", ""), "phone": doc.get("phone", ""),
            "email": doc.get("email", ""), "unit": doc.get("unit") or "",
            "organisation_id": str(doc["organisation_id"]) if doc.get("organisation_id") else ""}


@router.get("/people/new")
def new_person_form(request: Request, who: Principal = Depends(require(WRITE))) -> Response:
    with session_scope() as session:
        values = {**_person_values(None), "unit": area_code(session, who) or ""}
        options = _organisation_options(session)
    return render(request, "person_form.html", {"person": None, "values": values, "organisations": options,
                                                "errors": FormErrors(lang_of(request))})


def _read_person(errors: FormErrors, sent: Submitted, organisations: list[tuple[str, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": errors.text(sent, "name", PERSON_LABELS["name"], max_len=200),
        "role": errors.text(sent, "role", PERSON_LABELS["role"], required=False, max_len=200),
        "phone": errors.text(sent, "phone", PERSON_LABELS["phone"], required=False, max_len=40),
        "email": errors.text(sent, "email", PERSON_LABELS["email"], required=False, max_len=200),
        "unit": errors.text(sent, "unit", PERSON_LABELS["unit"], required=False, max_len=64) or None,
    }
    chosen = errors.choice(sent, "organisation_id", PERSON_LABELS["organisation_id"],
                           {code for code, _ in organisations}, required=False)
    data["organisation_id"] = int(chosen) if chosen else None
    return data


@router.post("/people/new")
def create_person(request: Request, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    errors = FormErrors(lang_of(request))
    who = editor(sent)
    with session_scope() as session:
        organisations = _organisation_options(session)
    data = _read_person(errors, sent, organisations)

    def write(session: Session) -> str:
        return f"/people/{people.create_person(session, parse(PersonIn, data), who)['id']}"

    # The core's refusal (or the input model's: a malformed phone or e-mail) beside its field.
    return saved(request, errors, PERSON_LABELS, write) or \
        form_again(request, "person_form.html", sent, _person_values(None), errors,
                   person=None, organisations=organisations)


def _person_context(session: Session, person_id: int, who: Principal | None) -> dict[str, Any]:
    person = people.get_person(session, person_id, contact_reader(who))
    organisation = (people.get_organisation(session, person["organisation_id"])
                    if person.get("organisation_id") else None)
    cores = [dict(c) for c in session.execute(
        text("""SELECT c.id, c.name FROM core_member m JOIN progress_core c ON c.id = m.core_id
                WHERE m.person_id = :id ORDER BY c.name"""), {"id": person_id}).mappings()]
    return {"person": person, "organisation": organisation, "held": people.holdings(session, "person", person_id),
            "cores": cores, "changes": _entity_history(session, "person", person_id),
            "writable": _may_edit(session, who, person.get("unit"))}


def _unit_id(session: Session, code: str | None) -> int | None:
    return unit_ref(session, code) if code else None


def _may_edit(session: Session, who: Principal | None, unit: str | None) -> bool:
    """Whether ``who`` may change a person or organisation of unit ``unit`` (to offer the forms)."""
    if who is None or who.role not in CONTACT_ROLES:
        return False
    try:
        guard(session, who, _unit_id(session, unit))
    except Forbidden:
        return False
    return True


@router.get("/people/{person_id}")
def person_page(request: Request, person_id: int, _: Principal = Depends(require("read")),
                who: Principal | None = Depends(viewer)) -> Response:
    """A person: role, organisation, area, contact (for editors of the area), what they hold,
    their cores, and every change to their record."""
    with session_scope() as session:
        context = _person_context(session, person_id, who)
    return render(request, "person.html", {**context, "errors": FormErrors(lang_of(request))})


@router.get("/people/{person_id}/edit")
def edit_person_form(request: Request, person_id: int, who: Principal = Depends(require(WRITE))) -> Response:
    with session_scope() as session:
        person = people.get_person(session, person_id, who)
        guard(session, who, _unit_id(session, person.get("unit")))  # outside the area: 403
        options = _organisation_options(session)
    return render(request, "person_form.html", {"person": person, "values": _person_values(person),
                                                "organisations": options, "errors": FormErrors(lang_of(request)),
                                                "version": person["version"]})


@router.post("/people/{person_id}/edit")
def edit_person(request: Request, person_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    errors = FormErrors(lang_of(request))
    who = editor(sent)
    with session_scope() as session:
        person = people.get_person(session, person_id, who)
        organisations = _organisation_options(session)
    data = _read_person(errors, sent, organisations)

    def write(session: Session) -> str:
        people.update_person(session, person_id, parse(PersonPatch, data), who, opened_version(sent))
        return f"/people/{person_id}"

    try:
        return saved(request, errors, PERSON_LABELS, write) or \
            form_again(request, "person_form.html", sent, _person_values(None), errors,
                       person=person, organisations=organisations, version=sent.text(VERSION_FIELD))
    except VersionMismatch as exc:  # both changed the same field since the form was opened
        with session_scope() as session:
            now = people.get_person(session, person_id, who)
        return render(request, "person_form.html", {
            "person": now, "values": _person_values({**now, **exc.yours}), "organisations": organisations,
            "errors": errors, **stale_context(exc, PERSON_LABELS, lang_of(request))}, status_code=409)


@router.post("/people/{person_id}/retire")
def retire_person(request: Request, person_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    """Retire a person; while they hold roadmaps or actions, the person's page again with the
    reason and a link to the handover form filled in for them (nothing written)."""
    errors = FormErrors(lang_of(request))
    who = editor(sent)
    reason = errors.text(sent, "reason", "fix.reason", max_len=1000)
    if not errors:
        try:
            with session_scope() as session:
                people.retire_person(session, person_id, reason, who)
            return redirect(request, f"/people/{person_id}")
        except Conflict as exc:
            if exc.field != "handover":
                raise
            errors.add("handover", "person.retire", "person.hand_over_first")
        except InvalidInput as exc:
            errors.from_domain(exc, PERSON_LABELS)
    with session_scope() as session:
        context = _person_context(session, person_id, who)
    return render(request, "person.html", {**context, "errors": errors}, status_code=409 if errors.get("handover")
                  else 422)


@router.post("/people/{person_id}/restore")
def restore_person(request: Request, person_id: int, sent: Submitted = Depends(form_for("admin"))) -> Response:
    who = editor(sent)
    with session_scope() as session:
        people.reinstate_person(session, person_id, who, sent.text("reason"))
    return redirect(request, f"/people/{person_id}")


# --- organisations and sponsors -------------------------------------------------------------

@router.get("/organisations")
def organisations_page(request: Request, q: str = Query("", max_length=100), kind: str = Query("", max_length=40),
                       retired: bool = False, _: Principal = Depends(require("read"))) -> Response:
    """Organisations and sponsors by name and kind, the retired ones on request."""
    with session_scope() as session:
        found = people.list_organisations(session, kind=kind if kind in ORGANISATION_KINDS else None,
                                          q=q.strip() or None, retired=retired)
    return render(request, "organisations.html", {"organisations": found, "q": q, "kind": kind, "kinds": KINDS,
                                                  "retired": retired})


def _organisation_values(doc: dict[str, Any] | None) -> dict[str, str]:
    doc = doc or {}
    return {"name": doc.get("name", ""), "kind": doc.get("kind", ""), "unit": doc.get("unit") or "",
            "contact": doc.get("contact", "")}


def _kinds(doc: dict[str, Any] | None) -> tuple[str, ...]:
    """The kinds the form offers: the usual ones, and an older record's own."""
    own = (doc or {}).get("kind")
    return KINDS + ((own,) if own and own not in KINDS else ())


@router.get("/organisations/new")
def new_organisation_form(request: Request, kind: str = Query("", max_length=40),
                          who: Principal = Depends(require(WRITE))) -> Response:
    with session_scope() as session:
        values = {**_organisation_values(None), "unit": area_code(session, who) or "",
                  "kind": kind if kind in KINDS else ""}
    return render(request, "organisation_form.html", {"organisation": None, "values": values, "kinds": KINDS,
                                                      "errors": FormErrors(lang_of(request))})


def _read_organisation(errors: FormErrors, sent: Submitted, kinds: tuple[str, ...]) -> dict[str, Any]:
    return {"name": errors.text(sent, "name", ORGANISATION_LABELS["name"], max_len=200),
            "kind": errors.choice(sent, "kind", ORGANISATION_LABELS["kind"], kinds),
            "unit": errors.text(sent, "unit", ORGANISATION_LABELS["unit"], required=False, max_len=64) or None,
            "contact": errors.text(sent, "contact", ORGANISATION_LABELS["contact"], required=False, max_len=300)}


@router.post("/organisations/new")
def create_organisation(request: Request, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    errors = FormErrors(lang_of(request))
    who = editor(sent)
    data = _read_organisation(errors, sent, KINDS)

    def write(session: Session) -> str:
        return f"/organisations/{people.create_organisation(session, parse(OrganisationIn, data), who)['id']}"

    return saved(request, errors, ORGANISATION_LABELS, write) or \
        form_again(request, "organisation_form.html", sent, _organisation_values(None), errors,
                   organisation=None, kinds=KINDS)


@router.get("/organisations/{organisation_id}")
def organisation_page(request: Request, organisation_id: int, _: Principal = Depends(require("read")),
                      who: Principal | None = Depends(viewer)) -> Response:
    """An organisation: kind, area, contact, its people, what it sponsors, its history."""
    with session_scope() as session:
        context = _organisation_context(session, organisation_id, who)
    return render(request, "organisation.html", {**context, "errors": FormErrors(lang_of(request))})


def _organisation_context(session: Session, organisation_id: int, who: Principal | None) -> dict[str, Any]:
    organisation = people.get_organisation(session, organisation_id)
    return {"organisation": organisation,
            "members": people.list_people(session, organisation=organisation_id, reader=contact_reader(who)),
            "held": people.holdings(session, "organisation", organisation_id),
            "changes": _entity_history(session, "organisation", organisation_id),
            "writable": _may_edit(session, who, organisation.get("unit"))}


@router.get("/organisations/{organisation_id}/edit")
def edit_organisation_form(request: Request, organisation_id: int,
                           who: Principal = Depends(require(WRITE))) -> Response:
    with session_scope() as session:
        organisation = people.get_organisation(session, organisation_id)
        guard(session, who, _unit_id(session, organisation.get("unit")))  # outside the area: 403
    return render(request, "organisation_form.html", {
        "organisation": organisation, "values": _organisation_values(organisation), "kinds": _kinds(organisation),
        "errors": FormErrors(lang_of(request)), "version": organisation["version"]})


@router.post("/organisations/{organisation_id}/edit")
def edit_organisation(request: Request, organisation_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    errors = FormErrors(lang_of(request))
    who = editor(sent)
    with session_scope() as session:
        organisation = people.get_organisation(session, organisation_id)
    data = _read_organisation(errors, sent, _kinds(organisation))
    data.pop("unit")  # an organisation's area is set when it is registered

    def write(session: Session) -> str:
        people.update_organisation(session, organisation_id, parse(OrganisationPatch, data), who, opened_version(sent))
        return f"/organisations/{organisation_id}"

    try:
        return saved(request, errors, ORGANISATION_LABELS, write) or \
            form_again(request, "organisation_form.html", sent, _organisation_values(None), errors,
                       organisation=organisation, kinds=_kinds(organisation), version=sent.text(VERSION_FIELD))
    except VersionMismatch as exc:  # both changed the same field since the form was opened
        with session_scope() as session:
            now = people.get_organisation(session, organisation_id)
        return render(request, "organisation_form.html", {
            "organisation": now, "values": _organisation_values({**now, **exc.yours}), "kinds": _kinds(now),
            "errors": errors, **stale_context(exc, ORGANISATION_LABELS, lang_of(request))}, status_code=409)


@router.post("/organisations/{organisation_id}/retire")
def retire_organisation(request: Request, organisation_id: int,
                        sent: Submitted = Depends(form_for(WRITE))) -> Response:
    errors = FormErrors(lang_of(request))
    who = editor(sent)
    reason = errors.text(sent, "reason", "fix.reason", max_len=1000)
    if not errors:
        try:
            with session_scope() as session:
                people.retire_organisation(session, organisation_id, reason, who)
            return redirect(request, f"/organisations/{organisation_id}")
        except Conflict:
            errors.add("retire", "org.retire", "org.still_holds")
        except InvalidInput as exc:
            errors.from_domain(exc, ORGANISATION_LABELS)
    with session_scope() as session:
        context = _organisation_context(session, organisation_id, who)
    return render(request, "organisation.html", {**context, "errors": errors}, status_code=422)


@router.post("/organisations/{organisation_id}/restore")
def restore_organisation(request: Request, organisation_id: int,
                         sent: Submitted = Depends(form_for("admin"))) -> Response:
    who = editor(sent)
    with session_scope() as session:
        people.reinstate_organisation(session, organisation_id, who, sent.text("reason"))
    return redirect(request, f"/organisations/{organisation_id}")
