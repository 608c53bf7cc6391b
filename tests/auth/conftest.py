"""Fixtures for accounts and authorisation: callers of every kind, and a small app with
routes that stand in for roadmap edits and partner collections."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.deps import DbSession
from spatial.accounts import users as accounts
from spatial.db import migrate
from spatial.units.access import ensure_within_area
from spatial.db.engine import session_scope
from spatial.demo import COUNTIES_PER_PROVINCE, load_demo, load_provinces
from spatial.demo.accounts import DEMO_USERS
from spatial.db.embedded import EmbeddedPostgis, free_port
from spatial.settings import get_settings
from spatial.accounts.tokens import issue_token
from tests.conftest import REPO

#: Every kind of caller the matrix covers.
CALLERS: tuple[str, ...] = ("admin", "analyst", "planner", "core", "viewer", "partner", "anonymous")
#: The smallest demo: one neighbourhood per county.
MIN_NEIGHBOURHOODS = len(load_provinces()) * COUNTIES_PER_PROVINCE
#: The collection the test partner key covers, and one it does not.
KEY_COLLECTION, OTHER_COLLECTION = "provinces", "counties"


@pytest.fixture(scope="session")
def client(database_url: str) -> Iterator[TestClient]:
    """The real app with no credentials by default: each test says who calls."""
    from api.app import create_app

    with TestClient(create_app()) as c:
        yield c


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
        code: str, session: DbSession, principal: Principal = Depends(require("roadmaps:write"))
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


# -- a separate PostGIS and server, for tests that stop, drop or fuzz the database -------
@dataclass
class Scratch:
    """A private embedded cluster (under a temporary PISHRAFT_HOME) with the demo loaded."""

    home: Path
    pg: EmbeddedPostgis
    url: str
    data_dir: Path


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Scratch]:
    """Its own cluster, so that stopping or dropping it disturbs no other test."""
    home = tmp_path_factory.mktemp("scratch-home")
    pg = cluster_with_demo(home)
    try:
        yield Scratch(home, pg, pg.url(), home / "data")
    finally:
        pg.stop()
        shutil.rmtree(pg.root, ignore_errors=True)


def cluster_with_demo(home: Path) -> EmbeddedPostgis:
    """A cluster of its own under ``home``, started, migrated and holding the smallest demo,
    whose raster files go to ``home / "data"`` (the session's data directory is left as it was)."""
    pg = EmbeddedPostgis(home)
    pg.start()
    migrate.upgrade(pg.url())
    engine = create_engine(pg.url())
    test_data_dir = os.environ.get("PISHRAFT_DATA_DIR")
    os.environ["PISHRAFT_DATA_DIR"] = str(home / "data")
    get_settings.cache_clear()
    try:
        with Session(engine) as s, s.begin():
            load_demo(s, neighbourhoods=MIN_NEIGHBOURHOODS)
    finally:
        engine.dispose()
        if test_data_dir is None:
            os.environ.pop("PISHRAFT_DATA_DIR", None)
        else:
            os.environ["PISHRAFT_DATA_DIR"] = test_data_dir
        get_settings.cache_clear()
    return pg


@contextmanager
def served(env: dict[str, str | None]) -> Iterator[str]:
    """Pishraft in a uvicorn subprocess on a free loopback port, with ``env`` added (a ``None``
    value removes the variable); yields its URL."""
    port = free_port()
    environment = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    # The server's log goes to a file, not a pipe: a pipe nobody reads fills up and then
    # blocks the server at its next log line (an outage logs a warning per request).
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=REPO, env=environment, stdout=subprocess.DEVNULL, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError as error:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"server did not start: {log.read().decode(errors='replace')}") from error
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def scratch_server(scratch: Scratch) -> Iterator[str]:
    """Pishraft served in a subprocess against the scratch cluster."""
    with served({"DATABASE_URL": scratch.url, "PISHRAFT_HOME": str(scratch.home),
                 "PISHRAFT_DATA_DIR": str(scratch.data_dir)}) as base:
        yield base
