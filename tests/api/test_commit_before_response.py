"""A 2xx means committed: every route ends its transaction before it answers, and a
commit the database refuses is answered with an error, with nothing saved."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.layers import fixtures as fx
from tests.layers.conftest import database_state

ROUNDS = 100
UPLOAD_ROUNDS = 20


@pytest.fixture(scope="module")
def live(live_server: str, client: TestClient) -> Iterator[httpx.Client]:
    """Real HTTP to the uvicorn server, signed in as the administrator ``local`` (made by ``client``)."""
    from spatial.accounts.tokens import issue_token

    with httpx.Client(base_url=live_server, timeout=60,
                      headers={"Authorization": f"Bearer {issue_token('local')}"}) as http:
        yield http


def _libpq(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def refused_at_commit(database_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A constraint trigger, checked at COMMIT, that refuses organisations and layers whose
    name starts with ``refused-at-commit`` with the SQLSTATE given by the test's parameter
    (``P0001``: a trigger's exception; ``23514``: a violated check). Yields the name prefix."""
    sqlstate = request.param
    with psycopg.connect(_libpq(database_url), autocommit=True) as conn:
        conn.execute(f"""
            CREATE FUNCTION test_refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'test rule: % is refused at commit', TG_TABLE_NAME USING ERRCODE = '{sqlstate}';
            END $$""")
        conn.execute("""
            CREATE CONSTRAINT TRIGGER test_refuse_organisation AFTER INSERT ON organisation
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.name LIKE 'refused-at-commit%')
            EXECUTE FUNCTION test_refuse_at_commit()""")
        conn.execute("""
            CREATE CONSTRAINT TRIGGER test_refuse_layer AFTER INSERT ON layer
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.slug LIKE 'refused_at_commit%')
            EXECUTE FUNCTION test_refuse_at_commit()""")
    try:
        yield "refused-at-commit"
    finally:
        with psycopg.connect(_libpq(database_url), autocommit=True) as conn:
            conn.execute("DROP TRIGGER test_refuse_organisation ON organisation")
            conn.execute("DROP TRIGGER test_refuse_layer ON layer")
            conn.execute("DROP FUNCTION test_refuse_at_commit()")


def _sessions_of(dependant) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from api.deps import db_session

    for sub in dependant.dependencies:
        if sub.call is db_session:
            yield sub
        yield from _sessions_of(sub)


def test_every_route_ends_its_transaction_before_it_answers(database_url: str) -> None:
    from api.app import create_app

    routes = [r for r in iter_route_contexts(create_app().routes) if isinstance(r.original_route, APIRoute)]
    sessions = {f"{sorted(r.methods)} {r.path}": list(_sessions_of(r.dependant)) for r in routes}
    assert sum(map(len, sessions.values())) > 50
    late = {route for route, found in sessions.items() if any(s.scope != "function" for s in found)}  # type: ignore[attr-defined]
    assert late == set(), "these routes would commit after answering; take the session as api.deps.DbSession"


def test_a_created_record_is_there_for_a_read_sent_as_soon_as_the_answer_arrives(live: httpx.Client) -> None:
    for n in range(ROUNDS):
        created = live.post("/api/organisations", json={"name": f"commit-check {n}", "kind": "ngo"})
        assert created.status_code == 201, created.text
        path = f"/api/organisations/{created.json()['id']}"
        read = live.get(path)
        assert read.status_code == 200, f"round {n}: created, then {read.status_code} {read.text}"
        assert live.delete(path).status_code == 204
        assert live.get(path).status_code == 404, f"round {n}: deleted, then still there"


def test_an_uploaded_layer_is_in_the_catalogue_as_soon_as_the_answer_arrives(
    live: httpx.Client, tmp_path: Path
) -> None:
    path = fx.write_geojson(tmp_path)
    for n in range(UPLOAD_ROUNDS):
        slug = f"commit_check_{n}"
        uploaded = fx.upload(live, path, slug)
        assert uploaded.status_code == 201, uploaded.text
        shown = live.get(f"/api/layers/{slug}")
        assert shown.status_code == 200, f"round {n}: uploaded, then {shown.status_code} {shown.text}"
        assert shown.json()["feature_count"] == 4
        assert live.delete(f"/api/layers/{slug}").status_code == 204
        assert live.get(f"/api/layers/{slug}").status_code == 404


@pytest.mark.parametrize("refused_at_commit", ["P0001", "23514"], indirect=True)
def test_a_commit_the_database_refuses_is_an_error_and_saves_nothing(
    client: TestClient, refused_at_commit: str
) -> None:
    name = f"{refused_at_commit} {uuid.uuid4().hex[:8]}"
    response = client.post("/api/organisations", json={"name": name, "kind": "ngo"})
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "not_saved"
    assert "nothing was saved" in error["message"] and "organisation is refused at commit" in error["message"]
    assert "Traceback" not in response.text and "psycopg" not in response.text
    assert client.get("/api/organisations", params={"q": name}).json() == []

    # The audit log records the outcome the caller got, not the 201 the route returned.
    entries = client.get("/api/audit", params={"route": "/api/organisations", "method": "POST"}).json()
    assert entries[0]["status"] == 409
    created = client.post("/api/organisations", json={"name": f"audited {name}", "kind": "ngo"})
    assert created.status_code == 201
    entries = client.get("/api/audit", params={"route": "/api/organisations", "method": "POST"}).json()
    assert entries[0]["status"] == 201
    assert client.delete(f"/api/organisations/{created.json()['id']}").status_code == 204


@pytest.mark.parametrize("refused_at_commit", ["P0001"], indirect=True)
def test_an_upload_refused_at_commit_leaves_no_table_no_row_and_no_file(
    client: TestClient, refused_at_commit: str, tmp_path: Path
) -> None:
    before = database_state()
    raster = tmp_path / "dem.tif"
    fx.write_geotiff(raster)
    for path, slug in ((fx.write_geojson(tmp_path), "refused_at_commit_points"), (raster, "refused_at_commit_dem")):
        response = fx.upload(client, path, slug)
        assert response.status_code == 409, response.text
        assert "nothing was saved" in response.json()["error"]["message"]
        assert client.get(f"/api/layers/{slug}").status_code == 404
    assert database_state() == before


def test_a_deferred_constraint_violated_at_commit_is_reported_as_not_saved(database_url: str) -> None:
    """The same rule for every writer (routes, CLI, benchmarks): ``session_scope`` turns
    the database's refusal at COMMIT into NotSaved, which the CLI prints as its message."""
    from spatial.db.engine import session_scope
    from spatial.errors import NotSaved

    with pytest.raises(NotSaved, match="nothing was saved"):
        with session_scope() as session:
            session.execute(text("CREATE TEMPORARY TABLE t (id int PRIMARY KEY "
                                 "DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP"))
            session.execute(text("INSERT INTO t VALUES (1), (1)"))
