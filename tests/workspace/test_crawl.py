"""Every page reachable from ``/`` opens, and a Persian page reads in Persian.

The crawl starts at ``/`` as a browser does (``Accept: text/html``), as an anonymous
reader, a planner and an administrator, and follows every same-site link to depth 3
(GET only; sign-out and downloads left out). Every page answers 200; in the visible
text of each Persian page — not attributes, scripts or styles — there is no word in
Latin script but those of :data:`ALLOWED`, and no Gregorian year in either digit set.

The crawl is generic: it knows no page by name, so pages added later are crawled too.
It follows every link, but opens at most :data:`PER_FAMILY` pages of one *family* — the
same address with other numbers in it (``/units/IR-#-#``, ``/roadmaps/#/history``,
``/maps/clusters?level=county&parent=IR-#``): pages of a family are one route and one
template over other rows, and opening all 6,200 neighbourhoods would take an hour.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spatial.demo.accounts import DEMO_USERS
from tests.workspace.planning import PageClient

#: Run before every other test: the crawl reads the demo as a new user finds it, before
#: other tests add records they name in English (tests/conftest.py runs these first).
pytestmark = pytest.mark.first_sight

DEPTH = 3
PER_FAMILY = 1
#: The workspace's entrance: until ``/`` offers it to browsers (issue #31 item 1) it is
#: the crawl's second seed; afterwards it is also reached from ``/`` itself.
SEEDS = ("/", "/home")
#: Paths never followed: signing out ends the crawl's session; downloads are files, not pages.
SKIPPED = re.compile(r"^/signout\b|/export\b|\.(?:csv|xlsx|pdf|zip|gpkg|png|geojson)$")

#: Words in Latin script a Persian page may show, each for a reason:
ALLOWED = re.compile(
    r"^(?:"
    r"IR(?:-\d+)*"            # unit codes (IR-15-01): the national code system, written in Latin
    r"|km²?|m²?|ha"           # units of measure as Iranian planners write them
    r"|[A-Z]{2,5}\d*"         # abbreviations of methods and standards that have no Persian form
    r"|EPSG(?::\d+)?"         # (GIS, CSV, CRS, UTM, LISA, TOPSIS, 2SFCA…) and EPSG codes
    r"|English"               # the language switch names its language in that language
    r"|Geo(?:JSON|Package|Parquet|TIFF)|FlatGeobuf|zip|prj"  # file formats the upload form accepts:
                              # their names, as the analyst's GIS software shows them
    r"|UTF-8|windows-\d+"     # text encodings, named as the encoding field expects them
    r")$"
)
#: People's sign-in names (``demo-planner``), shown as who is signed in and who did what:
#: identifiers typed in Latin to sign in, like an e-mail address. ``demo`` signs the demo's writes.
SIGN_IN_NAMES = {username for username, _password, _role, _area in DEMO_USERS} | {"demo", "local"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9²_:.\-]*")
#: People's e-mail addresses (on the people pages, to those who may see them): written as they are.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: A Gregorian year: 19xx or 20xx, in Western or Persian digits, not part of a longer number.
GREGORIAN_YEAR = re.compile(r"(?<![0-9۰-۹.٫])(?:19|20|۱۹|۲۰)[0-9۰-۹]{2}(?![0-9۰-۹])")


class _Page(HTMLParser):
    """A page's links and the text a reader sees (no scripts, styles, templates or attributes)."""

    #: Not read: what a browser does not show, and <code> — identifiers a person types as they
    #: are (an indicator code for a CSV header, a layer's column names), written in Latin.
    INVISIBLE = {"script", "style", "template", "noscript", "head", "code"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.words: list[str] = []
        self.lang = ""
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        if tag in self.INVISIBLE:
            self._hidden += 1
        if tag == "a" and values.get("href") and "download" not in values:
            self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.INVISIBLE and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.words.append(data.strip())

    @property
    def text(self) -> str:
        return " ".join(self.words)


def family(path: str) -> str:
    """The family of ``path``: its numbers blanked, and where it returns to after signing in ignored."""
    return re.sub(r"\d+", "#", re.sub(r"next=[^&]*", "next=", path))


def _normal(base: str, href: str) -> str | None:
    """The same-site path + query ``href`` leads to (fragment dropped), or None for elsewhere."""
    target = urlsplit(urljoin("http://testserver" + base, href))
    if target.scheme not in ("http", "https") or target.netloc != "testserver":
        return None
    query = urlencode(sorted(parse_qsl(target.query, keep_blank_values=True)))
    return target.path + (f"?{query}" if query else "")


@dataclass
class Crawl:
    """What a crawl found: status by path, and what a Persian page showed that it should not."""

    statuses: dict[str, int] = field(default_factory=dict)
    latin: dict[str, set[str]] = field(default_factory=dict)
    years: dict[str, set[str]] = field(default_factory=dict)

    @property
    def broken(self) -> dict[str, int]:
        return {path: status for path, status in self.statuses.items() if status != 200}


def crawl(get: Callable[[str], object]) -> Crawl:
    """Breadth-first over every same-site link to :data:`DEPTH` from :data:`SEEDS`."""
    found = Crawl()
    level = list(SEEDS)
    seen = set(level)
    families: dict[str, int] = {}
    for depth in range(DEPTH + 1):
        following: list[str] = []
        for path in level:
            answer = get(path)
            status = int(answer.status_code)  # type: ignore[attr-defined]
            if status in (301, 302, 303, 307, 308):  # a browser follows: the target is this page's link
                links = [answer.headers["location"]]  # type: ignore[attr-defined]
                status = 200
            elif answer.headers.get("content-type", "").startswith("text/html"):  # type: ignore[attr-defined]
                page = _Page()
                page.feed(answer.text)  # type: ignore[attr-defined]
                links = page.links
                if page.lang == "fa":
                    _read_persian(found, path, page.text)
            else:
                links = []
            found.statuses[path] = status
            if depth == DEPTH:
                continue
            for href in links:
                target = _normal(path, href)
                if not target or target in seen or SKIPPED.search(urlsplit(target).path):
                    continue
                seen.add(target)
                kin = family(target)
                families[kin] = families.get(kin, 0) + 1
                if families[kin] <= PER_FAMILY:
                    following.append(target)
        level = following
    return found


def _read_persian(found: Crawl, path: str, text: str) -> None:
    latin = {w.strip(".:-") for w in LATIN_WORD.findall(EMAIL.sub(" ", text))} - {""}
    wrong = {w for w in latin if not ALLOWED.match(w) and w not in SIGN_IN_NAMES}
    if wrong:
        found.latin[path] = wrong
    years = set(GREGORIAN_YEAR.findall(text))
    if years:
        found.years[path] = years



def _browser_get(client: TestClient) -> Callable[[str], object]:
    return lambda path: client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)


def _report(found: Crawl) -> str:
    lines = [f"{status} {path}" for path, status in sorted(found.broken.items())]
    lines += [f"latin {path}: {sorted(words)}" for path, words in sorted(found.latin.items())]
    lines += [f"year {path}: {sorted(years)}" for path, years in sorted(found.years.items())]
    return "\n".join(lines[:80]) + (f"\n… {len(lines) - 80} more" if len(lines) > 80 else "")


ROLES = ("anonymous", "demo-planner", "demo-admin")


@pytest.fixture(scope="module")
def crawls(app: FastAPI) -> dict[str, Crawl]:
    """The crawl of each role, the three run side by side (each its own client and session)."""

    def crawl_as(who: str) -> Crawl:
        client = TestClient(app, raise_server_exceptions=False)  # a failing page is a 500 in the report
        return crawl(_browser_get(client if who == "anonymous" else PageClient(client, who).client))

    with ThreadPoolExecutor(max_workers=len(ROLES)) as pool:
        return dict(zip(ROLES, pool.map(crawl_as, ROLES), strict=True))


@pytest.mark.parametrize("who", ROLES)
def test_every_page_to_depth_three_opens_and_a_persian_page_reads_in_persian(crawls: dict[str, Crawl],
                                                                             who: str) -> None:
    found = crawls[who]
    assert len(found.statuses) > 20, "the crawl found almost nothing: is / still offering the workspace?"
    assert not found.broken and not found.latin and not found.years, _report(found)
