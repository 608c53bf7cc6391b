"""Fixtures for layer tests: a committed-state snapshot and clean-up of layers made through the API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text


def database_state() -> dict[str, Any]:
    """The catalogue, the list of tables and the files of the data directory, as committed now."""
    from spatial.db.engine import session_scope
    from spatial.settings import get_settings

    with session_scope() as session:
        catalogue = session.execute(text("SELECT coalesce(json_agg(l ORDER BY id), '[]') FROM layer l")).scalar()
        tables = session.execute(text(
            "SELECT schemaname || '.' || tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        )).scalars().all()
    data_dir = get_settings().data_dir
    files = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file())
    return {"catalogue": json.dumps(catalogue, sort_keys=True, ensure_ascii=False), "tables": tables, "files": files}


@pytest.fixture
def unchanged(database_url: str) -> Iterator[None]:
    """Asserts that the catalogue, the tables and the data directory are exactly as before the test."""
    before = database_state()
    yield
    after = database_state()
    assert after["catalogue"] == before["catalogue"]
    assert after["tables"] == before["tables"]
    assert after["files"] == before["files"]


@pytest.fixture
def remove_after(client) -> Iterator[Callable[[str], str]]:  # type: ignore[no-untyped-def]
    """Register slugs added through the API; they are removed after the test."""
    slugs: list[str] = []
    yield lambda slug: slugs.append(slug) or slug  # type: ignore[func-returns-value]
    for slug in slugs:
        client.delete(f"/api/layers/{slug}")

