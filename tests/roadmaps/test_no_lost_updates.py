"""No lost updates: every roadmap carries a version; the API answers ETag and honours
If-Match (412 when stale, 428 without it when required); an edit form sends the version
it was opened with, and a stale save merges fields nobody else changed and shows the
conflicting ones field by field instead of silently reverting them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from spatial.settings import get_settings
from tests.workspace.planning import PageClient, SignedIn, fresh_roadmap

COUNTY = "IR-15-03"
VERSION = re.compile(r'name="version" value="(\d+)"')
TITLE = re.compile(r'name="title"[^>]*value="([^"]*)"')




def edit_form(page: PageClient, roadmap_id: int) -> dict[str, str | list[str]]:
    """The roadmap's edit form as the browser would send it back unchanged."""
    html = page.get(f"/roadmaps/{roadmap_id}/edit").text
    found = VERSION.search(html)
    assert found, "the edit form carries no version"
    fields: dict[str, str | list[str]] = {}
    for name, value in re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html):
        if name in ("title", "start_date", "end_date", "version"):
            fields[name] = value
    for name in ("status", "core_id", "responsible_person_id", "responsible_organisation_id", "sponsor_id",
                 "parent_roadmap_id"):
        select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
        assert select is not None
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(0))
        fields[name] = chosen.group(1) if chosen else ""
    textarea = re.search(r'<textarea name="strategies"[^>]*>(.*?)</textarea>', html, re.S)
    fields["strategies"] = textarea.group(1) if textarea else ""
    return fields


def send(page: PageClient, roadmap_id: int, form: dict[str, str | list[str]]) -> object:
    pairs = [(k, v) for k, vs in form.items() for v in (vs if isinstance(vs, list) else [vs])]
    return page.post(f"/roadmaps/{roadmap_id}/edit", pairs)


def test_the_api_answers_an_etag_and_refuses_a_stale_if_match(client: TestClient) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    read = client.get(f"/api/roadmaps/{roadmap_id}")
    tag = read.headers["ETag"]
    assert tag == f'"{read.json()["version"]}"'

    first = client.patch(f"/api/roadmaps/{roadmap_id}", json={"title": "first save"}, headers={"If-Match": tag})
    assert first.status_code == 200 and first.headers["ETag"] != tag
    stale = client.patch(f"/api/roadmaps/{roadmap_id}", json={"title": "second save"}, headers={"If-Match": tag})
    assert stale.status_code == 412, stale.text
    error = stale.json()["error"]
    assert error["code"] == "version_mismatch" and stale.headers["ETag"] == first.headers["ETag"]
    assert {"field": "title", "opened": read.json()["title"], "now": "first save"} in error["changed"]
    assert client.get(f"/api/roadmaps/{roadmap_id}").json()["title"] == "first save"

    assert client.delete(f"/api/roadmaps/{roadmap_id}", headers={"If-Match": tag}).status_code == 412
    assert client.patch(f"/api/roadmaps/{roadmap_id}", json={"title": "x"},
                        headers={"If-Match": "not-an-etag"}).status_code == 422
    assert client.delete(f"/api/roadmaps/{roadmap_id}", headers={"If-Match": first.headers["ETag"]}).status_code == 204


@pytest.fixture
def if_match_required() -> Iterator[None]:
    os.environ["PISHRAFT_REQUIRE_IF_MATCH"] = "true"
    get_settings.cache_clear()
    try:
        yield
    finally:
        del os.environ["PISHRAFT_REQUIRE_IF_MATCH"]
        get_settings.cache_clear()


def test_without_if_match_a_change_is_accepted_unless_required(client: TestClient, if_match_required: None) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    refused = client.patch(f"/api/roadmaps/{roadmap_id}", json={"title": "blind save"})
    assert refused.status_code == 428 and refused.json()["error"]["field"] == "If-Match"
    tag = client.get(f"/api/roadmaps/{roadmap_id}").headers["ETag"]
    assert client.patch(f"/api/roadmaps/{roadmap_id}", json={"title": "seen save"},
                        headers={"If-Match": tag}).status_code == 200


def test_two_editors_of_one_roadmap_lose_nothing(signed_in: SignedIn, client: TestClient) -> None:
    """The planner (page) and the admin (page, then API) open the same roadmap; both save
    different fields, then the same field."""
    roadmap_id = fresh_roadmap(COUNTY)
    planner, admin = signed_in("demo-planner"), signed_in("demo-admin")
    planners_form, admins_form = edit_form(planner, roadmap_id), edit_form(admin, roadmap_id)
    api_tag = client.get(f"/api/roadmaps/{roadmap_id}").headers["ETag"]

    # Different fields: the planner's title, then the admin's strategies from the older form.
    assert send(planner, roadmap_id, {**planners_form, "title": "planner's title"}).status_code == 303
    assert send(admin, roadmap_id, {**admins_form, "strategies": "tourism\ncrafts"}).status_code == 303
    now = client.get(f"/api/roadmaps/{roadmap_id}").json()
    assert now["title"] == "planner's title" and now["strategies"] == ["tourism", "crafts"]  # nothing reverted

    # The same field: the admin's form, still the one opened first, changes the title too.
    stale = send(admin, roadmap_id, {**admins_form, "title": "admin's title"})
    assert stale.status_code == 409
    html = stale.text  # type: ignore[attr-defined]
    assert 'data-testid="stale"' in html and 'data-testid="conflict"' in html
    assert "planner&#39;s title" in html and "admin&#39;s title" in html
    merge_form = {**admins_form, "version": VERSION.findall(html)[0], "title": "agreed title",
                  "strategies": "tourism\ncrafts"}
    assert VERSION.findall(html)[0] == str(now["version"])
    assert send(admin, roadmap_id, merge_form).status_code == 303
    # The API client that read the roadmap before all this is refused, not merged.
    late = client.patch(f"/api/roadmaps/{roadmap_id}", json={"title": "api title"}, headers={"If-Match": api_tag})
    assert late.status_code == 412

    final = client.get(f"/api/roadmaps/{roadmap_id}").json()
    assert final["title"] == "agreed title" and final["strategies"] == ["tourism", "crafts"]
    updates = [e for e in client.get(f"/api/roadmaps/{roadmap_id}/history").json()
               if e["entity"] == "roadmap" and e["operation"] == "update"]
    assert [e["after"]["title"] for e in updates] == ["planner's title", "planner's title", "agreed title"]
    assert [e["after"]["version"] for e in updates] == [2, 3, 4]
