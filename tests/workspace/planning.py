"""Helpers of the roadmap and progress page tests: a browser-like HTTP client signed in
through the sign-in form (session cookie + the form's CSRF token), and fresh roadmaps
written through the core, so that each test works on data of its own."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from api.auth import COOKIE
from spatial.db.engine import session_scope
from spatial.planning.history import LocalEditor
from spatial.planning.roadmap_inputs import ActionIn, KeyResultIn, RoadmapIn
from spatial.planning.roadmaps import create_action, create_roadmap
from tests.workspace.conftest import PASSWORDS

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
EDITOR = LocalEditor("test-setup")


class PageClient:
    """An HTTP client that reads pages and sends their forms as a signed-in browser does."""

    def __init__(self, client: TestClient, username: str) -> None:
        self.client = client
        page = client.get("/signin")
        # Set by hand: the cookies are Secure and the test client speaks plain http.
        client.cookies.set("pishraft_csrf", page.cookies["pishraft_csrf"])
        signed = client.post("/signin", data={"username": username, "password": PASSWORDS[username],
                                              "csrf_token": _token(page.text)}, follow_redirects=False)
        assert signed.status_code == 303, signed.text
        client.cookies.clear()
        client.cookies.set(COOKIE, signed.cookies[COOKIE])
        self.token = _token(client.get("/signout").text)  # a page with a form of this session

    def get(self, path: str) -> Any:
        return self.client.get(path, follow_redirects=False)

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> Any:
        """Send a form with this session's CSRF token (repeated fields as a list of pairs)."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        form: dict[str, list[str]] = {"csrf_token": [self.token]}
        for name, value in pairs:
            form.setdefault(name, []).append(value)
        return self.client.post(path, data=form, follow_redirects=False)


#: The ``signed_in`` fixture (tests/conftest.py): ``signed_in("demo-planner")`` is a client signed in as that account.
SignedIn = Callable[[str], PageClient]


def _token(page: str) -> str:
    found = TOKEN.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def unique(title: str) -> str:
    """A title no other test uses."""
    return f"{title} {uuid.uuid4().hex[:8]}"


def fresh_roadmap(unit: str, title: str = "نقشه راه آزمون", start_days_ago: int = 200) -> int:
    """A new roadmap of ``unit`` (committed), starting ``start_days_ago`` days ago."""
    start = date.today() - timedelta(days=start_days_ago)
    with session_scope() as session:
        made = create_roadmap(session, RoadmapIn(unit=unit, title=unique(title), start_date=start,
                                                 end_date=start + timedelta(days=3 * 365)), EDITOR)
    return int(made["id"])


def fresh_action(roadmap_id: int, target: float = 100, days: int = 365, place: dict[str, Any] | None = None,
                 **fields: Any) -> dict[str, Any]:
    """A new action of the roadmap with one key result (0 → ``target``), started 100 days ago."""
    begins = date.today() - timedelta(days=100)
    with session_scope() as session:
        return create_action(session, ActionIn(
            roadmap_id=roadmap_id, title=unique("اقدام آزمون"), start_date=begins,
            end_date=begins + timedelta(days=days), geometry=place,
            key_results=[KeyResultIn(indicator="شاغلان", baseline=0, target=target,
                                     target_date=begins + timedelta(days=days))], **fields), EDITOR)


def count(table: str) -> int:
    """Rows in ``table`` (one of the roadmap tables) now."""
    assert table in ("roadmap", "action", "measurement", "financing", "key_result", "history", "layer")
    with session_scope() as session:
        return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def point_in(code: str) -> dict[str, Any]:
    """A GeoJSON point inside unit ``code``."""
    with session_scope() as session:
        x, y = session.execute(text("""SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p
                                       FROM admin_unit WHERE code = :c AND valid_to IS NULL) s"""), {"c": code}).one()
    return {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]}
