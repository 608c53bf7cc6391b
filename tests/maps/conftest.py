"""Fixtures for the map tests: pages opened in headless Chromium (``chromium``, from
tests/conftest.py), and a resource layer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import text

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "maps"
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}


@dataclass
class Visit:
    """What a page did while a test looked at it."""

    page: object
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def outside(self) -> list[str]:
        """Requests to anything but this machine (they are blocked, and listed here)."""
        return [u for u in self.requests
                if not u.startswith("data:") and (urlparse(u).hostname or "") not in LOCAL_HOSTS]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def visit(chromium: object) -> Iterator[Callable[..., Visit]]:
    """Open a URL in a fresh page, wait until its units are drawn; record errors and requests.

    Requests that would leave 127.0.0.1 are aborted (there is no network) and recorded.
    """
    contexts = []

    def open_page(url: str, wait_drawn: bool = True) -> Visit:
        context = chromium.new_context(viewport={"width": 1200, "height": 800})
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page)
        page.on("pageerror", lambda e: seen.errors.append(str(e)))
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)

        def route(r: object) -> None:
            seen.requests.append(r.request.url)
            host = urlparse(r.request.url).hostname or ""
            r.continue_() if host in LOCAL_HOSTS else r.abort()

        page.route("**/*", route)
        page.goto(url, wait_until="load")
        if wait_drawn:
            page.wait_for_function("document.documentElement.dataset.pishraftDrawn === 'true'", timeout=30_000)
        return seen

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def wells_layer(database_url: str) -> Iterator[str]:
    """A committed point layer in the catalogue (the layers engineer's contract: a table
    ``layers.<table_name>`` with ``geom`` in EPSG:4326); removed afterwards."""
    from spatial.db.engine import session_scope

    with session_scope() as s:
        s.execute(text("CREATE TABLE layers.test_wells (id serial PRIMARY KEY, name text, depth_m float, "
                       "geom geometry(Point, 4326) NOT NULL)"))
        s.execute(text("""INSERT INTO layers.test_wells (name, depth_m, geom) VALUES
                          ('چاه یک', 120, ST_SetSRID(ST_MakePoint(57.0, 29.5), 4326)),
                          ('چاه دو', 80, ST_SetSRID(ST_MakePoint(57.5, 30.0), 4326)),
                          ('چاه سه', 95, ST_SetSRID(ST_MakePoint(56.5, 29.0), 4326))"""))
        s.execute(
            text("""INSERT INTO layer (slug, title, kind, storage, table_name, geometry_type, feature_count, bbox,
                                       columns)
                    VALUES ('test_wells', 'چاه‌های آزمایشی', 'capacity', 'vector', 'test_wells', 'Point', 3,
                            CAST(:bbox AS jsonb), CAST(:columns AS jsonb))"""),
            {"bbox": json.dumps([56.5, 29.0, 57.5, 30.0]),
             "columns": json.dumps([{"name": "name", "label": "نام", "type": "text"},
                                    {"name": "depth_m", "label": "عمق (متر)", "type": "float"}])},
        )
    yield "test_wells"
    with session_scope() as s:
        s.execute(text("DELETE FROM layer WHERE slug = 'test_wells'"))
        s.execute(text("DROP TABLE layers.test_wells"))
