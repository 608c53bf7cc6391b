"""Organisations, people and handovers of responsibility over HTTP.

A person's phone and e-mail are personal: they are answered only to signed-in callers
who work with people (:data:`CONTACT_ROLES`) in that person's area, never to anonymous
readers, partners or viewers. Retiring keeps a person or organisation for the record
and stops offering them; restoring is for administrators.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Response, status

from api.auth import ROLE_PERMISSIONS, Principal, require
from api.deps import DbSession, IfMatch, with_etag
from api.routers.roadmaps import PathId, QueryId, QueryText, Search
from spatial.planning import people
from spatial.planning.roadmap_inputs import (
    HandoverIn, OrganisationIn, OrganisationKind, OrganisationPatch, PersonIn, PersonPatch, ReasonIn,
)

router = APIRouter(tags=["organisations and people"])

#: Roles that work with people (they name them responsible, hand over, record cores): those
#: that may write roadmaps. Anyone else reads names and roles only.
CONTACT_ROLES = frozenset(role for role, allowed in ROLE_PERMISSIONS.items() if "roadmaps:write" in allowed)


def contact_reader(principal: Principal | None) -> Principal | None:
    """``principal`` when their role works with people (phone and e-mail then shown within their
    area, :func:`spatial.planning.people.contact_visible`), else ``None``."""
    return principal if principal is not None and principal.role in CONTACT_ROLES else None


@router.get("/api/organisations", summary="Organisations, by kind, unit or name")
def list_organisations(session: DbSession, kind: OrganisationKind | None = None, unit: QueryText = None,
                       q: Search = None, retired: bool = False,
                       _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return people.list_organisations(session, kind=kind, q=q, unit=unit, retired=retired)


@router.post("/api/organisations", status_code=status.HTTP_201_CREATED, summary="Register an organisation")
def create_organisation(body: OrganisationIn, session: DbSession,
                        principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return people.create_organisation(session, body, principal)


@router.get("/api/organisations/{organisation_id}", summary="One organisation")
def get_organisation(organisation_id: PathId, session: DbSession, response: Response,
                     _: Principal = Depends(require("read"))) -> dict[str, Any]:
    """The organisation carries its version as ``ETag``: send it back as ``If-Match`` to change it."""
    return with_etag(response, people.get_organisation(session, organisation_id))


@router.patch("/api/organisations/{organisation_id}", summary="Change an organisation")
def update_organisation(organisation_id: PathId, body: OrganisationPatch, session: DbSession, response: Response,
                        opened: IfMatch, principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    """With ``If-Match``, refused (412, listing what changed since) unless it is still that version."""
    return with_etag(response, people.update_organisation(session, organisation_id, body, principal, opened))


@router.delete("/api/organisations/{organisation_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete an organisation nothing refers to")
def delete_organisation(organisation_id: PathId, session: DbSession, opened: IfMatch,
                        principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    people.delete_organisation(session, organisation_id, principal, opened)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/api/organisations/{organisation_id}/retire", summary="Retire an organisation, saying why")
def retire_organisation(organisation_id: PathId, body: ReasonIn, session: DbSession,
                        principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return people.retire_organisation(session, organisation_id, body.reason, principal)


@router.post("/api/organisations/{organisation_id}/restore", summary="Offer a retired organisation again "
             "(administrators)")
def restore_organisation(organisation_id: PathId, session: DbSession, body: ReasonIn = Body(ReasonIn()),
                         principal: Principal = Depends(require("admin"))) -> dict[str, Any]:
    return people.reinstate_organisation(session, organisation_id, principal, body.reason)


@router.get("/api/people", summary="People, by organisation, role, unit or name (phone and e-mail only to "
            "editors of their area)")
def list_people(session: DbSession, organisation: QueryId = None, role: QueryText = None, unit: QueryText = None,
                q: Search = None, retired: bool = False,
                principal: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return people.list_people(session, organisation=organisation, role=role, q=q, unit=unit,
                              reader=contact_reader(principal), retired=retired)


@router.post("/api/people", status_code=status.HTTP_201_CREATED, summary="Register a person")
def create_person(body: PersonIn, session: DbSession,
                  principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return people.create_person(session, body, principal)


@router.get("/api/people/{person_id}", summary="One person")
def get_person(person_id: PathId, session: DbSession, response: Response,
               principal: Principal = Depends(require("read"))) -> dict[str, Any]:
    """The person carries their record's version as ``ETag``: send it back as ``If-Match`` to change it."""
    return with_etag(response, people.get_person(session, person_id, contact_reader(principal)))


@router.patch("/api/people/{person_id}", summary="Change a person")
def update_person(person_id: PathId, body: PersonPatch, session: DbSession, response: Response, opened: IfMatch,
                  principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    """With ``If-Match``, refused (412, listing what changed since) unless the record is still that version."""
    return with_etag(response, people.update_person(session, person_id, body, principal, opened))


@router.post("/api/people/{person_id}/retire", summary="Retire a person who holds nothing any more, saying why")
def retire_person(person_id: PathId, body: ReasonIn, session: DbSession,
                  principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return people.retire_person(session, person_id, body.reason, principal)


@router.post("/api/people/{person_id}/restore", summary="Offer a retired person again (administrators)")
def restore_person(person_id: PathId, session: DbSession, body: ReasonIn = Body(ReasonIn()),
                   principal: Principal = Depends(require("admin"))) -> dict[str, Any]:
    return people.reinstate_person(session, person_id, principal, body.reason)


@router.delete("/api/people/{person_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a person responsible for nothing")
def delete_person(person_id: PathId, session: DbSession, opened: IfMatch,
                  principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    people.delete_person(session, person_id, principal, opened)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/handovers", summary="Handovers of responsibility, by person or roadmap")
def list_handovers(session: DbSession,
                   person: QueryId = None, roadmap: QueryId = None,
                   _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return people.list_handovers(session, person=person, roadmap=roadmap)


@router.post("/api/handovers", status_code=status.HTTP_201_CREATED,
             summary="Hand responsibility over from one person to another")
def hand_over(body: HandoverIn, session: DbSession,
              principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return people.hand_over(session, body, principal)
