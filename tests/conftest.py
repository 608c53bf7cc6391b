"""Shared fixtures: one real PostGIS database for the whole session, with the demo loaded.

The suite uses the embedded cluster under ``$PISHRAFT_HOME`` (or the server named by
``DATABASE_URL``), creates its own database ``pishraft_test_<pid>``, migrates it,
loads the demo once, and drops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from contextlib import contextmanager
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar
from pathlib import Path

import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from hypothesis import settings as hypothesis_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tests.workspace.planning import SignedIn

REPO = Path(__file__).resolve().parents[1]

# In CI the property tests replay the same examples every run (a landing must not depend
# on luck); on developer machines they keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
TEST_DB = f"pishraft_test_{os.getpid()}"
# Apps made by the tests do not warm level caches in the background after each data change
# (tests change data all the time); tests/spatial/test_warming.py runs the warmer itself.
os.environ.setdefault("PISHRAFT_WARM_CHECK_S", "0")


T = TypeVar("T")


def on_a_loop_of_its_own(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``main()`` run to its end on a new event loop in a thread of its own: once a browser test
    has run, the session's Playwright driver keeps an event loop marked running in the main thread,
    where ``asyncio.run`` then refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def _server_url() -> str:
    """libpq URL of the server, without a database name."""
    from spatial.db.embedded import EmbeddedPostgis

    external = os.environ.get("DATABASE_URL")
    if external:
        return external.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    home = Path(os.environ.get("PISHRAFT_HOME", REPO / ".pishraft"))
    os.environ["PISHRAFT_HOME"] = str(home)
    pg = EmbeddedPostgis(home)
    pg.start()
    return pg.libpq_url().rsplit("/", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``first_sight`` run first, on the demo as a new user finds it (later tests
    add records with English names); the order is otherwise kept."""
    items.sort(key=lambda item: item.get_closest_marker("first_sight") is None)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated test database with the demo loaded; dropped afterwards."""
    server = _server_url()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEST_DB}"')
    url = f"{server}/{TEST_DB}".replace("postgresql://", "postgresql+psycopg://")
    os.environ["DATABASE_URL"] = url
    os.environ["PISHRAFT_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    from spatial.settings import get_settings

    get_settings.cache_clear()
    from spatial.db import migrate
    from spatial.db.engine import session_scope
    from spatial.demo import load_demo

    migrate.upgrade(url)
    with session_scope() as session:
        load_demo(session)
    yield url
    from spatial.db.engine import get_engine

    get_engine().dispose()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """A session whose work is rolled back after the test."""
    from spatial.db.engine import get_engine

    with get_engine().connect() as conn:
        trans = conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield s
        finally:
            s.close()
            trans.rollback()


#: Tables whose rows the clean-up leaves alone: a layer owns a table and files (its tests remove
#: it through the API, which removes those too); accounts (the client's ``local`` administrator
#: is made on first use, whenever that is; test accounts have names of their own).
KEPT_TABLES = frozenset({"layer", "app_user"})


def _deletes_children_first(session: Session, before: dict[str, int]) -> list[str]:
    """The DELETE statements that remove what came after ``before`` (the largest ``id`` of each
    table that has one), each table after every table that refers to it: a table with an
    ``id`` loses the rows above it; one without (links such as ``core_member``) the rows that
    refer to a row going."""
    from graphlib import TopologicalSorter

    quote = session.get_bind().dialect.identifier_preparer.quote
    refers = session.execute(text("""
        SELECT child.relname, parent.relname, col.attname FROM pg_constraint k
        JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid
        JOIN pg_attribute col ON col.attrelid = k.conrelid AND col.attnum = k.conkey[1]
        WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace AND cardinality(k.conkey) = 1""")).all()
    graph: dict[str, set[str]] = {table: set() for table in before}
    links: dict[str, list[str]] = {}
    for child, parent, column in refers:
        if parent in before and child not in KEPT_TABLES and child != parent:
            graph.setdefault(child, set())
            graph[parent].add(child)  # the child's rows go first
            if child not in before:
                links.setdefault(child, []).append(f"{quote(column)} > {int(before[parent])}")
    statements = []
    for table in TopologicalSorter(graph).static_order():
        if table in before:
            statements.append(f"DELETE FROM {quote(table)} WHERE id > {int(before[table])}")
        elif table in links:
            statements.append(f"DELETE FROM {quote(table)} WHERE {' OR '.join(links[table])}")
    return statements


@contextmanager
def committed_rows_removed() -> Iterator[None]:
    """Rows committed inside the block are deleted after it (see :func:`_deletes_children_first`),
    so that the tests after it find the data as it was, in whatever order they run. For tests
    whose code under test commits on its own (the API, the pages), where the rolled-back
    ``session`` cannot serve. Changes to rows that were there before are not undone (a delete
    that would break a reference from such a row fails the test loudly)."""
    from spatial.db.engine import session_scope

    with session_scope() as session:
        quote = session.get_bind().dialect.identifier_preparer.quote
        tables = set(session.execute(text("""
            SELECT c.table_name FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema = 'public' AND c.column_name = 'id' AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('integer', 'bigint')""")).scalars()) - KEPT_TABLES
        before: dict[str, int] = {table: largest for table, largest in session.execute(text(" UNION ALL ".join(
            f"SELECT '{table}', coalesce(max(id), 0) FROM {quote(table)}" for table in sorted(tables))))}
    try:
        yield
    finally:
        with session_scope() as session:
            for statement in _deletes_children_first(session, before):
                session.execute(text(statement))


@pytest.fixture
def leaves_no_rows(database_url: str) -> Iterator[None]:
    """The rows the test commits are deleted after it (:func:`committed_rows_removed`)."""
    with committed_rows_removed():
        yield


@pytest.fixture(scope="session")
def client(database_url: str) -> Iterator[TestClient]:
    """The real app, called in-process (ASGI), signed in as the administrator ``local``
    so that tests of any concern may write. Tests of authorisation (tests/auth) use a
    client without credentials instead and say who calls in each request."""
    import secrets

    from api.app import create_app
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope
    from spatial.accounts.tokens import issue_token

    with session_scope() as s:
        if not any(u["username"] == "local" for u in accounts.list_users(s)):
            accounts.create_user(s, "local", secrets.token_urlsafe(24), "admin")
    with TestClient(create_app(), headers={"Authorization": f"Bearer {issue_token('local')}"}) as c:
        yield c


@pytest.fixture(scope="module")
def app(database_url: str) -> Iterator[FastAPI]:
    """The real app, started once per test module, for clients of its own (no credentials)."""
    from api.app import create_app

    with TestClient(create_app()) as warm:
        yield warm.app  # type: ignore[misc]


@pytest.fixture
def signed_in(app: FastAPI) -> SignedIn:
    """``signed_in("demo-planner")``: a browser-like client signed in as that demo account,
    sending forms with its session's CSRF token."""
    from tests.workspace.planning import PageClient

    return lambda username: PageClient(TestClient(app), username)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database_url: str) -> Iterator[str]:
    """The app served by uvicorn, as ``pishraft serve`` runs it, on a real loopback port; yields its base URL."""
    from api.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """Playwright's synchronous driver, one for the session (a second one may not start while it runs)."""
    from playwright.sync_api import sync_playwright

    # The browser is part of the setup (scripts/bootstrap.sh): missing, it is a failure, not a skip.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: run `make test` (it installs it) or apt-get install chromium")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Any) -> Iterator[object]:
    """Debian's Chromium driven by Playwright (no downloaded browser), headless."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def province_codes(session: Session) -> list[str]:
    return list(session.execute(text("SELECT code FROM admin_unit WHERE level = 'province' ORDER BY code")).scalars())
