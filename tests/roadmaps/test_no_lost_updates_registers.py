"""No lost updates beyond roadmaps and actions: progress cores, past plans, people and
organisations carry a version too. Their edit forms send the version they were opened
with, so that two people editing one record from forms opened at the same time merge
when they changed different fields and the second is shown what changed, field by
field, when both changed the same one; their API answers ETag and honours If-Match."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.workspace.planning import PageClient, SignedIn, unique

COUNTY = "IR-15-03"


@dataclass(frozen=True)
class Register:
    """One kind of record: where the API makes it, its pages, and two fields its form edits."""

    api: str
    page: str
    made: dict[str, Any]
    first: str   # the field both editors change (a text)
    second: str  # the field only the second editor changes
    second_value: str
    second_stored: Any


REGISTERS = {
    "core": Register("/api/cores", "/cores", {"stage": "identified", "members_count": 3}, "name",
                     "members_count", "7", 7),
    "past_plan": Register("/api/past-plans", "/past-plans", {"title": "", "outcome": "partial"}, "title",
                          "lessons", "start small", "start small"),
    "person": Register("/api/people", "/people", {"role": "officer"}, "name", "role", "county officer",
                       "county officer"),
    "organisation": Register("/api/organisations", "/organisations", {"kind": "cooperative"}, "name",
                             "contact", "Kerman, 2nd street", "Kerman, 2nd street"),
}


class _Form(HTMLParser):
    """The fields of one form as a browser would send it back unchanged."""

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid, self.inside, self.fields = testid, False, []  # type: ignore[var-annotated]
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("data-testid") == self.testid
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "checkbox", "radio"):
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields.append((self._textarea, ""))

    def handle_data(self, data: str) -> None:
        if self.inside and self._textarea:
            name, value = self.fields.pop()
            self.fields.append((name, value + data))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def edit_form(page: PageClient, path: str, testid: str) -> list[tuple[str, str]]:
    """The record's edit form, as opened now (without the session's CSRF token, sent by ``page``)."""
    opened = page.get(f"{path}/edit")
    assert opened.status_code == 200, opened.text
    parser = _Form(testid)
    parser.feed(opened.text)
    fields = [(k, v) for k, v in parser.fields if k != "csrf_token"]
    assert "version" in dict(fields), "the edit form carries no version"
    return fields


def changed(form: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    return [(k, values.get(k, v)) for k, v in form]




@pytest.mark.parametrize("kind", REGISTERS)
def test_two_editors_of_one_record_lose_nothing(kind: str, client: TestClient,
                                                signed_in: SignedIn) -> None:
    """The planner and the admin open the same record; the admin's older form first changes
    another field (merged), then the same field (refused, with what changed shown)."""
    r = REGISTERS[kind]
    made = client.post(r.api, json={**r.made, r.first: unique(kind), "unit": COUNTY})
    assert made.status_code == 201, made.text
    path, api = f"{r.page}/{made.json()['id']}", f"{r.api}/{made.json()['id']}"
    testid = f"{kind.replace('_', '-')}-form"
    planner, admin = signed_in("demo-planner"), signed_in("demo-admin")
    planners_form, admins_form = edit_form(planner, path, testid), edit_form(admin, path, testid)
    api_tag = client.get(api).headers["ETag"]

    assert planner.post(f"{path}/edit", changed(planners_form, **{r.first: "planner-value"})).status_code == 303
    assert admin.post(f"{path}/edit", changed(admins_form, **{r.second: r.second_value})).status_code == 303
    now = client.get(api).json()
    assert now[r.first] == "planner-value" and now[r.second] == r.second_stored  # nothing reverted

    stale = admin.post(f"{path}/edit", changed(admins_form, **{r.first: "admin-value"}))
    assert stale.status_code == 409
    assert 'data-testid="stale"' in stale.text and 'data-testid="conflict"' in stale.text
    assert "planner-value" in stale.text and "admin-value" in stale.text
    assert client.get(api).json()[r.first] == "planner-value"  # the refused save wrote nothing

    late = client.patch(api, json={r.first: "api-value"}, headers={"If-Match": api_tag})
    assert late.status_code == 412 and late.json()["error"]["code"] == "version_mismatch"
    assert {"field": r.first, "opened": made.json()[r.first], "now": "planner-value"} in late.json()["error"]["changed"]
    current = client.get(api).headers["ETag"]
    assert current == f'"{now["version"]}"'
    saved = client.patch(api, json={r.first: "api-value"}, headers={"If-Match": current})
    assert saved.status_code == 200 and saved.headers["ETag"] != current
    assert client.delete(api, headers={"If-Match": current}).status_code == 412
