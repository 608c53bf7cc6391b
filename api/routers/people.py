"""Organisations, people and handovers of responsibility over HTTP."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Response, status

from api.auth import Principal, require
from api.deps import DbSession
from api.routers.roadmaps import PathId, QueryId, QueryText, Search
from spatial.planning import people
from spatial.planning.roadmap_inputs import HandoverIn, OrganisationIn, OrganisationPatch, PersonIn, PersonPatch

router = APIRouter(tags=["organisations and people"])

Kind = Literal["government", "economic_sponsor", "cooperative", "ngo", "other"]


@router.get("/api/organisations", summary="Organisations, by kind, unit or name")
def list_organisations(session: DbSession, kind: Kind | None = None, unit: QueryText = None,
                       q: Search = None,
                       _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return people.list_organisations(session, kind=kind, q=q, unit=unit)


@router.post("/api/organisations", status_code=status.HTTP_201_CREATED, summary="Register an organisation")
def create_organisation(body: OrganisationIn, session: DbSession,
                        principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return people.create_organisation(session, body, principal)


@router.get("/api/organisations/{organisation_id}", summary="One organisation")
def get_organisation(organisation_id: PathId, session: DbSession,
                     _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return people.get_organisation(session, organisation_id)


@router.patch("/api/organisations/{organisation_id}", summary="Change an organisation")
def update_organisation(organisation_id: PathId, body: OrganisationPatch, session: DbSession,
                        principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return people.update_organisation(session, organisation_id, body, principal)


@router.delete("/api/organisations/{organisation_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete an organisation nothing refers to")
def delete_organisation(organisation_id: PathId, session: DbSession,
                        principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    people.delete_organisation(session, organisation_id, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/people", summary="People, by organisation, role, unit or name")
def list_people(session: DbSession, organisation: QueryId = None, role: QueryText = None, unit: QueryText = None,
                q: Search = None,
                _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return people.list_people(session, organisation=organisation, role=role, q=q, unit=unit)


@router.post("/api/people", status_code=status.HTTP_201_CREATED, summary="Register a person")
def create_person(body: PersonIn, session: DbSession,
                  principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return people.create_person(session, body, principal)


@router.get("/api/people/{person_id}", summary="One person")
def get_person(person_id: PathId, session: DbSession,
               _: Principal = Depends(require("read"))) -> dict[str, Any]:
    return people.get_person(session, person_id)


@router.patch("/api/people/{person_id}", summary="Change a person")
def update_person(person_id: PathId, body: PersonPatch, session: DbSession,
                  principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return people.update_person(session, person_id, body, principal)


@router.delete("/api/people/{person_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a person responsible for nothing")
def delete_person(person_id: PathId, session: DbSession,
                  principal: Principal = Depends(require("roadmaps:write"))) -> Response:
    people.delete_person(session, person_id, principal)
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
