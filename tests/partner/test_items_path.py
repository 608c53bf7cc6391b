"""Pages of items have one path: a page read once is kept until published data changes.

A kept page is answered on the event loop, after the data state is read afresh there;
any other page is read and encoded in one worker thread, which alone waits for a place
under the concurrency limit. ``Server-Timing`` says which (``items;desc=hit`` or
``items;desc=read``). The live tests run the real app under uvicorn on a loopback port; a
read is held in PostgreSQL by a table lock, so that a test can act while it is in flight.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.middleware import ConcurrencyLimit
from spatial.accounts import users as accounts
from spatial.db.engine import session_scope
from spatial.db.generation import read_data_state
from spatial.db.loop_reads import LoopConnections, loop_connections
from spatial.serving.generation import fresh_data_state
from tests.auth.conftest import served
from tests.conftest import on_a_loop_of_its_own
from tests.partner.test_tile_path import _get, _uvicorn, database_down, statements_held, until_a_statement_waits

T = TypeVar("T")

PAGE = "/collections/counties/items?limit=3&offset=7"


@pytest.fixture(scope="module")
def anonymous(database_url: str) -> Iterator[TestClient]:
    """A client without credentials: anonymous reading is on in the test settings."""
    from api.app import create_app

    with TestClient(create_app()) as c:
        yield c


def _without_stamp(body: bytes) -> dict:
    document = json.loads(body)
    del document["timeStamp"]
    return document


def test_a_page_read_once_is_answered_from_memory_with_the_same_content_and_etag(anonymous: TestClient) -> None:
    first = anonymous.get(PAGE + "&properties=code,name_en")
    again = anonymous.get(PAGE + "&properties=code,name_en")
    assert first.headers["server-timing"].startswith("items;desc=read;dur=")
    assert again.headers["server-timing"] == "items;desc=hit"
    assert again.headers["etag"] == first.headers["etag"]
    assert _without_stamp(again.content) == _without_stamp(first.content)
    assert again.json()["timeStamp"].endswith("Z")
    assert anonymous.get(PAGE + "&properties=code,name_en",
                         headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_another_query_is_another_page(anonymous: TestClient) -> None:
    codes = anonymous.get(PAGE + "&properties=code").json()
    both = anonymous.get(PAGE + "&properties=code,population").json()
    assert set(codes["features"][0]["properties"]) == {"code"}
    assert set(both["features"][0]["properties"]) == {"code", "population"}


def test_a_page_is_never_answered_across_a_data_change(anonymous: TestClient) -> None:
    before = anonymous.get(PAGE)
    code = before.json()["features"][0]["id"]
    assert anonymous.get(PAGE).headers["server-timing"] == "items;desc=hit"
    with session_scope() as s:  # committed by another connection, as another worker's write is
        old = s.execute(text("SELECT name_en FROM admin_unit WHERE code = :c AND valid_to IS NULL"),
                        {"c": code}).scalar_one()
        s.execute(text("UPDATE admin_unit SET name_en = 'Renamed county' WHERE code = :c AND valid_to IS NULL"),
                  {"c": code})
    try:
        # At once: no grace period, no generation forgotten by hand.
        after = anonymous.get(PAGE, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["server-timing"].startswith("items;desc=read")
        assert after.json()["features"][0]["properties"]["name_en"] == "Renamed county"
        assert after.headers["etag"] != before.headers["etag"]
    finally:
        with session_scope() as s:
            s.execute(text("UPDATE admin_unit SET name_en = :old WHERE code = :c AND valid_to IS NULL"),
                      {"old": old, "c": code})
    assert anonymous.get(PAGE).json()["features"][0]["properties"]["name_en"] == old


def test_a_kept_page_carries_the_key_of_the_caller_who_asked(anonymous: TestClient) -> None:
    with session_scope() as s:
        key = accounts.create_key(s, "items-cache", None, 1000.0)
    with_key = anonymous.get(f"{PAGE}&api_key={key}").json()
    without = anonymous.get(PAGE).json()
    assert all(f"api_key={key}" in link["href"] for link in with_key["links"])
    assert not any("api_key" in link["href"] for link in without["links"])
    assert anonymous.get(f"{PAGE}&api_key=pk_unknown_0").status_code == 401


def _on_a_loop_of_its_own(main: Callable[[LoopConnections], Coroutine[Any, Any, T]]) -> T:
    """``main(reads)`` run to its end with the primary's loop connections (:func:`on_a_loop_of_its_own`)."""
    async def with_reads() -> T:
        reads = loop_connections(keep=3)
        assert reads is not None
        try:
            return await main(reads)
        finally:
            await reads.close()

    return on_a_loop_of_its_own(with_reads)


def test_the_data_state_is_read_after_it_is_asked_for_and_shared_by_those_asking_at_once(database_url: str) -> None:
    with session_scope() as s:  # a change committed before the question
        s.execute(text("UPDATE indicator SET name_en = name_en WHERE id = (SELECT min(id) FROM indicator)"))
    with session_scope() as s:
        committed = read_data_state(s)

    async def ask_many(reads: LoopConnections) -> list[tuple[int, str, int]]:
        return list(await asyncio.gather(*(fresh_data_state(reads) for _ in range(50))))

    assert _on_a_loop_of_its_own(ask_many) == [committed] * 50


def test_a_caller_that_goes_away_does_not_cancel_the_read_others_share(database_url: str) -> None:
    with session_scope() as s:
        committed = read_data_state(s)

    async def one_leaves(reads: LoopConnections) -> list[tuple[int, str, int]]:
        asking = [asyncio.ensure_future(fresh_data_state(reads)) for _ in range(5)]
        await asyncio.sleep(0)  # all five are waiting for the read now
        asking[0].cancel()
        return list(await asyncio.gather(*asking[1:]))

    assert _on_a_loop_of_its_own(one_leaves) == [committed] * 4


def test_while_the_database_is_down_items_get_a_clean_503(database_url: str) -> None:
    with served({"DATABASE_URL": database_down(database_url), "PISHRAFT_CONNECT_TIMEOUT_S": "2"}) as base:
        for _ in range(2):  # nothing about the first failure is remembered
            response = httpx.get(f"{base}{PAGE}", timeout=30)
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "database_unavailable"
            assert "psycopg" not in response.text and "Traceback" not in response.text


# --- the concurrency limit ----------------------------------------------------------------------



def test_a_kept_page_is_answered_while_reads_fill_every_place(database_url: str, anonymous: TestClient) -> None:
    from api.app import create_app

    app = create_app()
    places = next(m.kwargs["places"] for m in app.user_middleware if m.cls is ConcurrencyLimit)
    places.limit, places.wait_s = 1, 0.5
    kept = "/collections/counties/items?limit=2&offset=40"
    with _uvicorn(app) as (base, _, _), ThreadPoolExecutor(1) as pool:
        assert _get(base, kept)[0] == 200
        with statements_held("admin_unit"):  # items of units
            held: Future[tuple[int, dict[str, str], bytes]] = pool.submit(
                _get, base, "/collections/counties/items?limit=2&offset=42")
            until_a_statement_waits("SELECT page.features")  # the only place is taken
            status, headers, _ = _get(base, kept)
            assert status == 200 and headers["server-timing"] == "items;desc=hit"
            status, headers, body = _get(base, "/collections/counties/items?limit=2&offset=44")
            assert status == 503 and headers["retry-after"] == "1" and b'"busy"' in body
        assert held.result(timeout=30)[0] == 200
