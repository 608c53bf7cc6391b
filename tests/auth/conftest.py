"""Fixtures for accounts and authorisation: callers of every kind, and a small app with
routes that stand in for roadmap edits and partner collections."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.deps import db_session
from spatial import accounts
from spatial.access import ensure_within_area
from spatial.db import session_scope
from spatial.demo.accounts import DEMO_USERS
from spatial.settings import get_settings
from spatial.tokens import issue_token

#: Every kind of caller the matrix covers.
CALLERS: tuple[str, ...] = ("admin", "analyst", "planner", "core", "viewer", "partner", "anonymous")
#: The collection the test partner key covers, and one it does not.
KEY_COLLECTION, OTHER_COLLECTION = "provinces", "counties"


@pytest.fixture(scope="session")
def partner_key(database_url: str) -> str:
    """A live key for one collection, with a rate no test reaches."""
    with session_scope() as session:
        return accounts.create_key(session, "matrix-partner", [KEY_COLLECTION], 10_000.0, created_by="tests")


@pytest.fixture(scope="session")
def headers_for(database_url: str, partner_key: str) -> Callable[[str], dict[str, str]]:
    """Request headers that authenticate as a caller kind (the demo user of each role)."""
    users = {role: username for username, _, role, _ in DEMO_USERS}

    def headers(caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        if caller == "partner":
            return {"X-API-Key": partner_key}
        return {"Authorization": f"Bearer {issue_token(users[caller])}"}

    return headers


@pytest.fixture
def anonymous_read_off() -> Iterator[None]:
    """Turn the ``anonymous_read`` setting off for one test."""
    old = os.environ.get("PISHRAFT_ANONYMOUS_READ")
    os.environ["PISHRAFT_ANONYMOUS_READ"] = "false"
    get_settings.cache_clear()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PISHRAFT_ANONYMOUS_READ", None)
        else:
            os.environ["PISHRAFT_ANONYMOUS_READ"] = old
        get_settings.cache_clear()


def _stand_in_router() -> APIRouter:
    router = APIRouter()

    @router.post("/test/units/{code}/notes")
    def add_note(
        code: str, session: Session = Depends(db_session), principal: Principal = Depends(require("roadmaps:write"))
    ) -> dict[str, str]:
        """A roadmap-like edit: writes first, then checks the area, so that a refusal
        proves the whole transaction is rolled back."""
        unit_id = session.execute(text("SELECT id FROM admin_unit WHERE code = :c AND valid_to IS NULL"),
                                  {"c": code}).scalar_one()
        session.execute(text("INSERT INTO pishraft_meta (key, value) VALUES (:k, to_jsonb(CAST(:u AS text)))"),
                        {"k": f"test-note:{code}", "u": principal.username})
        session.flush()
        ensure_within_area(session, unit_id, principal.area_unit_id)
        return {"code": code, "by": principal.username}

    @router.get("/test/collections/{collectionId}/items")
    def items(collectionId: str, principal: Principal = Depends(require("read", collection_param="collectionId"))
              ) -> dict[str, str | None]:  # noqa: N803 — the OGC parameter name
        return {"collection": collectionId, "partner": principal.partner}

    return router


@pytest.fixture(scope="session")
def stand_in_client(database_url: str) -> Iterator[TestClient]:
    """The real app plus stand-in routes for an area-scoped edit and a partner collection."""
    from api.app import create_app

    app: FastAPI = create_app()
    app.include_router(_stand_in_router())
    with TestClient(app) as c:
        yield c
