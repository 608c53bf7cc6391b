"""A change and its audit entry are one transaction: when the entry cannot be written the
change is not made (503 with a message, nothing written), through the API and the pages;
a change that is made always has its entry, with the answer's status."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.db.engine import session_scope
from tests.workspace.planning import PageClient

COUNTY = "IR-15-03"


@pytest.fixture
def audit_refused(database_url: str) -> Iterator[None]:
    """A trigger that makes every insert into the audit log fail while the test runs."""
    libpq = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute("""
            CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'test rule: the audit log refuses entries'; END $$""")
        conn.execute("""CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_log
                        FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()""")
    try:
        yield
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute("DROP TRIGGER test_refuse_audit ON audit_log")
            conn.execute("DROP FUNCTION test_refuse_audit()")


def roadmaps_titled(title: str) -> int:
    with session_scope() as session:
        return int(session.execute(text("SELECT count(*) FROM roadmap WHERE title = :t"), {"t": title}).scalar_one())


def history_rows() -> int:
    with session_scope() as session:
        return int(session.execute(text("SELECT count(*) FROM history")).scalar_one())


def new_roadmap(title: str) -> dict[str, str]:
    return {"unit": COUNTY, "title": title, "start_date": "2025-03-21", "end_date": "2028-03-20"}


def test_an_api_change_whose_audit_entry_fails_is_not_made(client: TestClient, audit_refused: None) -> None:
    title = f"audit refused {uuid.uuid4().hex[:8]}"
    before = history_rows()
    answer = client.post("/api/roadmaps", json=new_roadmap(title))
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert error["code"] == "audit_not_written" and "nothing was saved" in error["message"]
    assert "Traceback" not in answer.text
    assert roadmaps_titled(title) == 0 and history_rows() == before


@pytest.fixture
def planner(app_client: TestClient) -> PageClient:
    """The demo planner, signed in (a sign-in is a write too, so before the audit log refuses)."""
    return PageClient(app_client, "demo-planner")


def test_a_page_change_whose_audit_entry_fails_is_not_made(planner: PageClient, audit_refused: None) -> None:
    title = f"audit refused page {uuid.uuid4().hex[:8]}"
    before = history_rows()
    answer = planner.post("/roadmaps/new", {**new_roadmap(title), "start_date": "1404/01/01",
                                            "end_date": "1407/01/01", "status": "draft"})
    assert answer.status_code == 503, answer.text
    assert "Traceback" not in answer.text
    assert roadmaps_titled(title) == 0 and history_rows() == before


def test_a_change_made_has_its_entry_with_the_answer_status(client: TestClient) -> None:
    title = f"audited {uuid.uuid4().hex[:8]}"
    made = client.post("/api/roadmaps", json=new_roadmap(title))
    assert made.status_code == 201, made.text
    entries = client.get("/api/audit", params={"route": "/api/roadmaps", "method": "POST", "limit": 5}).json()
    assert entries[0]["status"] == 201 and entries[0]["username"] == "local"
    assert sum(1 for e in entries if e["status"] == 201 and e["path"] == "/api/roadmaps") >= 1


def test_a_change_refused_before_writing_is_still_recorded(client: TestClient) -> None:
    answer = client.post("/api/roadmaps", json=new_roadmap(""))
    assert answer.status_code == 422
    entries = client.get("/api/audit", params={"route": "/api/roadmaps", "status": 422, "limit": 1}).json()
    assert entries and entries[0]["method"] == "POST"


@pytest.fixture(scope="module")
def app_client(database_url: str) -> Iterator[TestClient]:
    """A client of its own (no credentials), for signing in through the pages."""
    from api.app import create_app

    with TestClient(create_app()) as c:
        yield c
