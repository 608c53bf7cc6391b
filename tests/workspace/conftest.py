"""Fixtures for the workspace pages: the app served live by uvicorn against the test
database (``live_server``), and :class:`Browser` tabs in Debian's headless Chromium
(``chromium``) — desktop (``tab``) or a 390-pixel phone (``phone_tab``).

A tab signs in through the sign-in page like a person (``tab.sign_in("demo-planner")``),
blocks and records any request leaving this machine, records page errors, and saves
screenshots to test-artifacts/workspace/.

Examples
--------
>>> def test_home(tab):                                   # doctest: +SKIP
...     tab.open("/")
...     assert tab.page.locator("h1").inner_text() == "میز کار پیشرفت"
...     tab.screenshot("home-fa")
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from spatial.demo.accounts import DEMO_USERS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "workspace"
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: username -> password of the demo accounts (one per role), loaded with the demo.
PASSWORDS = {username: password for username, password, _role, _area in DEMO_USERS}


@dataclass
class Browser:
    """One browser tab on the live server."""

    page: Any
    base_url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def outside(self) -> list[str]:
        """Requests to anything but this machine (they are blocked, and listed here)."""
        return [u for u in self.requests
                if not u.startswith("data:") and (urlparse(u).hostname or "") not in LOCAL_HOSTS]

    def open(self, path: str) -> Any:
        """Go to ``path`` on the live server; returns the response."""
        return self.page.goto(self.base_url + path, wait_until="load")

    def sign_in(self, username: str, lang: str = "fa") -> None:
        """Sign in through the sign-in page with a demo account's password."""
        self.open("/signin" + ("?lang=en" if lang == "en" else ""))
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORDS[username])
        with self.page.expect_navigation():
            self.page.click("form button[type=submit]")

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        """Save the tab as test-artifacts/workspace/<name>.png."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def text(self) -> str:
        """The visible text of the page."""
        return str(self.page.inner_text("body"))

    def links(self) -> list[str]:
        """Every distinct same-site link target on the page (absolute URLs)."""
        hrefs = self.page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
        return sorted({re.sub(r"#.*$", "", h) for h in hrefs
                       if h.startswith(self.base_url) and not h.startswith(self.base_url + "/signout")})


def _new_tab(chromium: Any, base_url: str, viewport: dict[str, int]) -> tuple[Any, Browser]:
    context = chromium.new_context(viewport=viewport, locale="fa-IR")
    page = context.new_page()
    tab = Browser(page, base_url)
    page.on("pageerror", lambda e: tab.errors.append(str(e)))
    page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)

    def route(r: Any) -> None:
        tab.requests.append(r.request.url)
        host = urlparse(r.request.url).hostname or ""
        r.continue_() if host in LOCAL_HOSTS else r.abort()

    page.route("**/*", route)
    return context, tab


@pytest.fixture
def new_tab(chromium: Any, live_server: str) -> Iterator[Callable[..., Browser]]:
    """Open fresh tabs (each its own cookie jar): ``new_tab()`` desktop, ``new_tab(PHONE)`` a phone."""
    contexts = []

    def make(viewport: dict[str, int] = DESKTOP) -> Browser:
        context, tab = _new_tab(chromium, live_server, viewport)
        contexts.append(context)
        return tab

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def tab(new_tab: Callable[..., Browser]) -> Browser:
    """A desktop tab, signed out."""
    return new_tab()


@pytest.fixture
def phone_tab(new_tab: Callable[..., Browser]) -> Browser:
    """A 390 × 844 phone tab, signed out."""
    return new_tab(PHONE)
