"""Forms that cannot be sent twice: every create form carries a one-time token; sending
it again (a refresh of the answer, a double click, two sends at the same moment) makes
exactly one object and leads to the page the first send led to; a new partner key is
not made twice nor shown again."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from api.pages import PAGE_MODULES
from spatial.db.engine import session_scope
from spatial.jalali import jalali_numeric
from tests.workspace.planning import SignedIn, fresh_action, fresh_roadmap, unique

COUNTY = "IR-15-03"  # inside the demo core's area (Kerman, IR-15)



def rows(sql: str, **params: Any) -> int:
    with session_scope() as session:
        return int(session.execute(text(sql), params).scalar_one())


def form_token(page: str, action: str) -> str:
    """The one-time token of the form on ``page`` that posts to ``action``."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form posting to {action}"
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', form.group(1))
    assert token, f"the form posting to {action} has no one-time token"
    return token.group(1)


@dataclass(frozen=True)
class CreateForm:
    """A create form: who sends it, the page that shows it, where it posts, what it
    sends, and how many objects of its kind there are (counted in the database)."""

    who: str
    page: Callable[[], str]
    fields: Callable[[], dict[str, str]]
    objects: Callable[[dict[str, str]], int]
    action: Callable[[str], str] = lambda page: page


def _roadmap_fields() -> dict[str, str]:
    today = date.today()
    return {"unit": COUNTY, "title": unique("نقشه راه یک‌بار"), "start_date": jalali_numeric(today - timedelta(days=5)),
            "end_date": jalali_numeric(today + timedelta(days=900)), "status": "draft"}


def _measured_action() -> str:
    return f"/actions/{fresh_action(fresh_roadmap(COUNTY))['id']}/measure"


def _measurement_fields_for(page: str) -> Callable[[], dict[str, str]]:
    def fields() -> dict[str, str]:
        action_id = int(page.split("/")[2])
        with session_scope() as session:
            kr = session.execute(text("SELECT id FROM key_result WHERE action_id = :a"), {"a": action_id}).scalar_one()
        return {"key_result_id": str(kr), "measured_on": jalali_numeric(date.today()), "value": "17",
                "source": unique("بازدید")}
    return fields


def create_forms() -> dict[str, Callable[[], CreateForm]]:
    """Every create form of the workspace, made lazily (some need a fresh roadmap or action)."""
    def key() -> CreateForm:
        return CreateForm("demo-admin", lambda: "/admin/keys",
                          lambda: {"partner": unique("partner"), "collections": "provinces", "rate": "5/s"},
                          lambda f: rows("SELECT count(*) FROM api_key WHERE partner = :p", p=f["partner"]))

    def user() -> CreateForm:
        return CreateForm("demo-admin", lambda: "/admin/users",
                          lambda: {"username": f"once-{uuid.uuid4().hex[:8]}", "password": "a long password",
                                   "role": "viewer", "area": ""},
                          lambda f: rows("SELECT count(*) FROM app_user WHERE username = :u", u=f["username"]))

    def roadmap() -> CreateForm:
        return CreateForm("demo-planner", lambda: "/roadmaps/new", _roadmap_fields,
                          lambda f: rows("SELECT count(*) FROM roadmap WHERE title = :t", t=f["title"]))

    def action() -> CreateForm:
        roadmap_id = fresh_roadmap(COUNTY)
        return CreateForm(
            "demo-planner", lambda: f"/roadmaps/{roadmap_id}/actions/new",
            lambda: {"title": unique("اقدام یک‌بار"), "status": "planned"},
            lambda f: rows("SELECT count(*) FROM action WHERE title = :t", t=f["title"]))

    def measurement() -> CreateForm:
        page = _measured_action()
        return CreateForm("demo-core", lambda: page, _measurement_fields_for(page),
                          lambda f: rows("SELECT count(*) FROM measurement WHERE source = :s", s=f["source"]))

    def core() -> CreateForm:
        return CreateForm("demo-planner", lambda: "/cores/new",
                          lambda: {"name": unique("هسته یک‌بار"), "unit": COUNTY, "stage": "identified"},
                          lambda f: rows("SELECT count(*) FROM progress_core WHERE name = :n", n=f["name"]))

    def past_plan() -> CreateForm:
        return CreateForm("demo-planner", lambda: "/past-plans/new",
                          lambda: {"title": unique("طرح گذشته یک‌بار"), "unit": COUNTY, "outcome": "succeeded"},
                          lambda f: rows("SELECT count(*) FROM past_plan WHERE title = :t", t=f["title"]))

    return {"key": key, "user": user, "roadmap": roadmap, "action": action, "measurement": measurement,
            "core": core, "past_plan": past_plan}


@pytest.mark.parametrize("kind", sorted(create_forms()))
def test_a_refreshed_create_form_makes_one_object_and_leads_where_the_first_send_led(
        kind: str, signed_in: SignedIn) -> None:
    form = create_forms()[kind]()
    browser = signed_in(form.who)
    page_path = form.page()
    token = form_token(browser.get(page_path).text, form.action(page_path))
    fields = {**form.fields(), "form_token": token}
    first = browser.post(form.action(page_path), fields)
    assert first.status_code in (200, 303), first.text
    again = browser.post(form.action(page_path), fields)  # the refresh: the same form, the same token
    assert again.status_code == 303
    if first.status_code == 303:
        assert again.headers["location"] == first.headers["location"]
    assert form.objects(fields) == 1


def test_a_refresh_after_a_new_key_shows_the_list_without_the_secret(signed_in: SignedIn) -> None:
    admin = signed_in("demo-admin")
    fields = {"partner": unique("partner"), "collections": "provinces", "rate": "5/s",
              "form_token": form_token(admin.get("/admin/keys").text, "/admin/keys")}
    shown = admin.post("/admin/keys", fields)
    secret = shown.text.split('data-testid="new-key">')[1].split("<")[0]
    again = admin.post("/admin/keys", fields)
    assert again.status_code == 303 and again.headers["location"] == "/admin/keys"
    listed = admin.get(again.headers["location"])
    assert listed.status_code == 200 and secret not in listed.text and 'data-testid="new-key"' not in listed.text
    assert rows("SELECT count(*) FROM api_key WHERE partner = :p", p=fields["partner"]) == 1


def test_a_double_click_sending_the_form_twice_at_once_makes_one_roadmap(signed_in: SignedIn) -> None:
    planner = signed_in("demo-planner")
    fields = {**_roadmap_fields(), "form_token": form_token(planner.get("/roadmaps/new").text, "/roadmaps/new")}
    answers: list[Any] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        answers.append(planner.post("/roadmaps/new", fields))

    clicks = [threading.Thread(target=send) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert rows("SELECT count(*) FROM roadmap WHERE title = :t", t=fields["title"]) == 1


def test_a_refused_form_sent_again_is_checked_again_not_taken_as_sent(signed_in: SignedIn) -> None:
    """A form refused (422) wrote nothing, so its token is still unused: sending it again
    with the mistake corrected makes the object."""
    planner = signed_in("demo-planner")
    fields = {**_roadmap_fields(), "form_token": form_token(planner.get("/roadmaps/new").text, "/roadmaps/new")}
    assert planner.post("/roadmaps/new", {**fields, "end_date": "1300/01/01"}).status_code == 422
    assert rows("SELECT count(*) FROM roadmap WHERE title = :t", t=fields["title"]) == 0
    assert planner.post("/roadmaps/new", fields).status_code == 303
    assert rows("SELECT count(*) FROM roadmap WHERE title = :t", t=fields["title"]) == 1


def test_every_create_form_of_the_workspace_carries_a_one_time_token(signed_in: SignedIn) -> None:
    """Every page route ``…/new`` (people, organisations … as they come) shows a form with
    a one-time token: the token is in the shared macro, not in each form."""
    planner = signed_in("demo-admin")
    paths = sorted({route.path for module in PAGE_MODULES for route in module.router.routes
                    if getattr(route, "path", "").endswith("/new") and "GET" in getattr(route, "methods", set())})
    assert "/roadmaps/new" in paths
    roadmap_id = fresh_roadmap(COUNTY)
    for path in paths:
        concrete = path.replace("{roadmap_id}", str(roadmap_id))
        page = planner.get(concrete)
        assert page.status_code == 200, concrete
        form_token(page.text, concrete)
