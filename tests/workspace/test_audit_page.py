"""The audit page in words: each write is a sentence — who did what to which object — with
a link to the object, and the log is filtered by person, kind of change, object and Jalali
day. What a write did is said where the change is made, so the API and the pages read alike."""

from __future__ import annotations

import html
import re
import uuid
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spatial.accounts.audit import change_of_route
from spatial.db.engine import session_scope
from spatial.jalali import iran_today, jalali_numeric
from spatial.messages import label, t
from spatial.units.hierarchy import get_unit
from tests.workspace.planning import PageClient, SignedIn, unique

YAZD = "IR-21"



@pytest.fixture(scope="module")
def admin(app: FastAPI) -> PageClient:
    return PageClient(TestClient(app), "demo-admin")


def said(page: str) -> list[tuple[str | None, str]]:
    """(link, sentence) of every entry on an audit page."""
    return [(link or None, html.unescape(re.sub(r"</?bdi>", "", text))) for link, text in re.findall(
        r'data-testid="said">(?:<a href="([^"]*)">)?(.*?)(?:</a>)?</td>', page)]


def test_a_new_user_reads_as_a_sentence_with_a_link(admin: PageClient) -> None:
    username = f"walk-{uuid.uuid4().hex[:6]}"
    assert admin.post("/admin/users", {"username": username, "password": "a long password", "role": "core",
                                       "area": YAZD}).status_code == 303
    with session_scope() as session:
        yazd = get_unit(session, YAZD).name_fa
    sentence = t("audit.did.user_create", "fa", who="demo-admin", name=username, role=label("role", "core", "fa"),
                 where=" " + t("audit.where", "fa", name=yazd))
    assert sentence == f"demo-admin کاربر {username} با نقش {label('role', 'core', 'fa')} در {yazd} ساخت"
    assert ("/admin/users", sentence) in said(admin.get("/admin/audit?username=demo-admin").text)
    assert "POST /admin/users" not in admin.get("/admin/audit").text


def test_a_roadmap_made_on_a_page_links_to_the_roadmap(signed_in: SignedIn, admin: PageClient) -> None:
    planner = signed_in("demo-planner")
    title = unique("نقشه راه دیده‌شده")
    made = planner.post("/roadmaps/new", {
        "unit": "IR-15-03", "title": title, "status": "draft", "start_date": jalali_numeric(date.today()),
        "end_date": jalali_numeric(date.today() + timedelta(days=700))})
    roadmap = made.headers["location"]
    entries = said(admin.get("/admin/audit?username=demo-planner&kind=roadmap&change=create").text)
    assert (roadmap, f"demo-planner نقشه راه «{title}» را ساخت") in entries
    english = said(admin.get("/admin/audit?username=demo-planner&kind=roadmap&lang=en").text)
    assert (f"{roadmap}?lang=en", f"demo-planner created roadmap “{title}”") in english


def test_api_writes_read_the_same_way(client: TestClient, admin: PageClient) -> None:
    name = f"api-{uuid.uuid4().hex[:6]}"
    client.post("/api/users", json={"username": name, "password": "a long password", "role": "viewer"})
    client.patch(f"/api/users/{name}", json={"disabled": True})
    entries = [s for _, s in said(admin.get(f"/admin/audit?kind=user&object={name}").text)]
    assert entries == [f"local کاربر «{name}» را تغییر داد",
                       f"local کاربر {name} با نقش {label('role', 'viewer', 'fa')} ساخت"]


def test_a_refused_write_says_it_was_refused_without_a_link(signed_in: SignedIn, admin: PageClient) -> None:
    viewer = signed_in("demo-analyst")
    viewer.post("/roadmaps/new", {"title": "x"})  # an analyst may not write roadmaps: 403
    link, sentence = said(admin.get("/admin/audit?username=demo-analyst&kind=roadmap").text)[0]
    assert link is None
    assert sentence == t("audit.refused", "fa", who="demo-analyst", change=t("audit.change.create", "fa"),
                         what=t("audit.kind.roadmap", "fa"))


def test_the_log_is_filtered_by_person_change_object_and_jalali_day(admin: PageClient) -> None:
    partner = unique("partner")
    admin.post("/admin/keys", {"partner": partner, "collections": "provinces", "rate": "5/s"})
    prefix = re.search(r'data-key="([0-9a-f]+)">(?:(?!</tr>).)*?' + re.escape(partner),  # the key's row
                       admin.get("/admin/keys").text, re.S)
    assert prefix
    admin.post(f"/admin/keys/{prefix.group(1)}/revoke", {})
    today, yesterday = jalali_numeric(iran_today()), jalali_numeric(iran_today() - timedelta(days=1))
    one_key = f"/admin/audit?kind=key&object={prefix.group(1)}"
    assert [s for _, s in said(admin.get(one_key).text)] == [f"demo-admin کلید شریک «{partner}» را باطل کرد",
                                                             f"demo-admin کلید شریک «{partner}» را ساخت"]
    assert len(said(admin.get(f"{one_key}&change=revoke").text)) == 1
    assert len(said(admin.get(f"{one_key}&day={today}").text)) == 2
    assert said(admin.get(f"{one_key}&day={yesterday}").text) == []
    assert said(admin.get(f"{one_key}&username=demo-planner").text) == []
    assert admin.get("/admin/audit?day=1405/13/40").status_code == 422


@pytest.mark.parametrize(("method", "route", "target", "expected"), [
    ("POST", "/roadmaps/new", {}, ("create", "roadmap", None)),
    ("POST", "/roadmaps/{roadmap_id}/actions/new", {"roadmap_id": "7"}, ("create", "action", None)),
    ("POST", "/actions/{action_id}/measure", {"action_id": "3"}, ("create", "measurement", None)),
    ("PATCH", "/api/roadmaps/{roadmap_id}", {"roadmap_id": "7"}, ("edit", "roadmap", "7")),
    ("DELETE", "/api/actions/{action_id}", {"action_id": "9"}, ("delete", "action", "9")),
    ("POST", "/admin/keys/{prefix}/revoke", {"prefix": "ab12"}, ("revoke", "key", "ab12")),
    ("POST", "/api/users", {}, ("create", "user", None)),
    ("POST", "/indicators/import", {}, ("import", "indicator", None)),
])
def test_a_request_that_said_nothing_is_described_from_its_route(
        method: str, route: str, target: dict[str, str], expected: tuple[str, str, str | None]) -> None:
    change = change_of_route(method, route, target)
    assert change is not None and (change.action, change.object_kind, change.object_id) == expected


def test_what_people_typed_is_shown_as_data_never_as_markup(client: TestClient, admin: PageClient) -> None:
    from tests.workspace.planning import fresh_roadmap

    roadmap_id = fresh_roadmap("IR-15-03")
    client.patch(f"/api/roadmaps/{roadmap_id}", json={"title": "<script>alert(1)</script>"})
    page = admin.get(f"/admin/audit?kind=roadmap&object={roadmap_id}").text
    assert "<script>alert(1)" not in page
    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>" in page


def test_a_form_sent_again_reads_as_sent_again_linking_to_the_first_result(
        signed_in: SignedIn, admin: PageClient) -> None:
    from tests.workspace.test_sent_once import _roadmap_fields, form_token

    planner = signed_in("demo-planner")
    fields = {**_roadmap_fields(), "form_token": form_token(planner.get("/roadmaps/new").text, "/roadmaps/new")}
    first = planner.post("/roadmaps/new", fields).headers["location"]
    planner.post("/roadmaps/new", fields)
    entries = said(admin.get("/admin/audit?username=demo-planner&change=resend").text)
    assert entries[0] == (first, t("audit.did.resend", "fa", who="demo-planner"))
