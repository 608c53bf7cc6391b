"""People and corrections pages over HTTP, as a signed-in browser sends their forms:
retiring asks for the handover first, contact is private, a withdrawn measurement leaves
the progress and shows its reason, and nothing is written outside the editor's area or
without a reason."""

from __future__ import annotations

import re
from datetime import date

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.db.engine import session_scope
from spatial.messages import t
from spatial.planning.cores import create_core
from spatial.planning.history import LocalEditor
from spatial.planning.people import create_person
from spatial.planning.roadmap_inputs import CoreIn, MeasurementIn, PersonIn, RoadmapPatch
from spatial.planning.roadmaps import create_measurement, update_roadmap
from tests.workspace.planning import SignedIn, count, fresh_action, fresh_roadmap, unique

EDITOR = LocalEditor("test-setup")
CORE_COUNTY = "IR-15-06"  # inside the demo core member's area (IR-15)
ELSEWHERE = "IR-07-03"


def _person(unit: str = CORE_COUNTY) -> int:
    with session_scope() as session:
        made = create_person(session, PersonIn(name=unique("رضا"), role="کارشناس", unit=unit, phone="09131234567",
                                               email="reza@example.org"), EDITOR)
    return int(made["id"])




def test_retiring_a_person_who_holds_a_roadmap_asks_for_the_handover_first(
        signed_in: SignedIn) -> None:
    admin = signed_in("demo-admin")
    person = _person()
    roadmap = fresh_roadmap(CORE_COUNTY)
    with session_scope() as session:
        update_roadmap(session, roadmap, RoadmapPatch(responsible_person_id=person), EDITOR)
    refused = admin.post(f"/people/{person}/retire", {"reason": "بازنشسته شد"})
    assert refused.status_code == 409
    assert t("person.hand_over_first_long", "fa") in refused.text
    link = re.search(r'href="(/handovers/new\?from_person=\d+)"', refused.text)
    assert link and link.group(1) == f"/handovers/new?from_person={person}"
    form = admin.get(link.group(1)).text
    assert re.search(rf'<option value="{person}" selected>', form)
    with session_scope() as session:
        assert session.execute(text("SELECT retired_at FROM person WHERE id = :id"), {"id": person}).scalar() is None


def test_contact_shows_only_to_editors_of_the_persons_area(app: FastAPI,
                                                          signed_in: SignedIn) -> None:
    person = _person()
    anonymous = TestClient(app).get(f"/people/{person}").text
    assert "reza@example.org" not in anonymous and t("person.contact_hidden", "fa") in anonymous
    core = signed_in("demo-core")
    assert "reza@example.org" in core.get(f"/people/{person}").text
    assert "reza@example.org" not in core.get(f"/people/{_person(ELSEWHERE)}").text


def test_a_withdrawn_measurement_leaves_the_progress_and_shows_its_reason(
        signed_in: SignedIn) -> None:
    core = signed_in("demo-core")
    action = fresh_action(fresh_roadmap(CORE_COUNTY))
    with session_scope() as session:
        m = create_measurement(session, MeasurementIn(key_result_id=action["key_results"][0]["id"],
                                                      measured_on=date.today(), value=100), EDITOR)
    assert core.get(f"/api/actions?roadmap={action['roadmap_id']}").json()[0]["progress_status"] == "achieved"
    sent = core.post(f"/measurements/{m['id']}/withdraw", {"reason": "شمارش تکراری"})
    assert sent.status_code == 303 and sent.headers["location"] == f"/actions/{action['id']}/measure"
    page = core.get(f"/actions/{action['id']}/measure").text
    assert t("fix.withdrawn", "fa") in page and "شمارش تکراری" in page
    assert core.get(f"/api/actions?roadmap={action['roadmap_id']}").json()[0]["progress_status"] == "no_data"
    history = core.get(f"/roadmaps/{action['roadmap_id']}/history").text
    assert t("history.op.withdraw", "fa") in history and "شمارش تکراری" in history


def test_no_archive_outside_the_area_or_without_a_reason(signed_in: SignedIn) -> None:
    core = signed_in("demo-core")
    outside = fresh_action(fresh_roadmap(ELSEWHERE))
    inside = fresh_action(fresh_roadmap(CORE_COUNTY))
    history = count("history")
    assert core.post(f"/actions/{outside['id']}/archive", {"reason": "نه"}).status_code == 403
    assert core.post(f"/roadmaps/{outside['roadmap_id']}/archive", {"reason": "نه"}).status_code == 403
    blank = core.post(f"/actions/{inside['id']}/archive", {"reason": " "})
    assert blank.status_code == 422 and 'data-testid="reason-form"' in blank.text
    assert count("history") == history
    # A core member may archive inside the area, but only an administrator restores.
    assert core.post(f"/actions/{inside['id']}/archive", {"reason": "تکراری"}).status_code == 303
    assert core.post(f"/actions/{inside['id']}/restore", {}).status_code == 403
    assert signed_in("demo-admin").post(f"/actions/{inside['id']}/restore", {}).status_code == 303


def test_a_core_names_its_members_on_its_form(signed_in: SignedIn) -> None:
    core = signed_in("demo-core")
    member = _person()
    with session_scope() as session:
        core_id = create_core(session, CoreIn(name=unique("هسته"), unit=CORE_COUNTY), EDITOR)["id"]
        name = session.execute(text("SELECT name FROM person WHERE id = :id"), {"id": member}).scalar_one()
    form = core.get(f"/cores/{core_id}/edit").text
    assert 'name="member_ids"' in form and 'data-filter-for="member_ids"' in form
    sent = core.post(f"/cores/{core_id}/edit", [("name", unique("هسته")), ("stage", "identified"),
                                                 ("member_ids", str(member))])
    assert sent.status_code == 303, sent.text
    assert name in core.get(f"/cores/{core_id}").text


def test_an_archived_roadmap_is_listed_apart_and_its_page_says_who_and_why(
        signed_in: SignedIn) -> None:
    core = signed_in("demo-core")
    roadmap = fresh_roadmap(CORE_COUNTY, "نقشه راه کنارگذاشتنی")
    with session_scope() as session:
        title = session.execute(text("SELECT title FROM roadmap WHERE id = :id"), {"id": roadmap}).scalar_one()
    sent = core.post(f"/roadmaps/{roadmap}/archive", {"reason": "نسخه تازه‌تری دارد"})
    assert sent.status_code == 303 and sent.headers["location"] == f"/roadmaps/{roadmap}"
    assert title not in core.get(f"/roadmaps?unit={CORE_COUNTY}").text
    assert title in core.get(f"/roadmaps?unit={CORE_COUNTY}&archived=true").text
    page = core.get(f"/roadmaps/{roadmap}").text
    assert 'data-testid="roadmap-archived"' in page and "نسخه تازه‌تری دارد" in page


def test_home_and_unit_pages_link_responsible_people_and_core_members_to_their_pages(
        signed_in: SignedIn, app: FastAPI) -> None:
    person = _person()
    roadmap = fresh_roadmap(CORE_COUNTY)
    with session_scope() as session:
        update_roadmap(session, roadmap, RoadmapPatch(responsible_person_id=person), EDITOR)
        create_core(session, CoreIn(name=unique("هسته"), unit=CORE_COUNTY, member_ids=[person]), EDITOR)
    late = fresh_action(roadmap, days=50, responsible_person_id=person)
    with session_scope() as session:  # measured short of the target after its date: overdue, a late action
        create_measurement(session, MeasurementIn(key_result_id=late["key_results"][0]["id"],
                                                  measured_on=date.today(), value=10), EDITOR)
    link = f'href="/people/{person}"'
    home = signed_in("demo-core").get("/home").text  # everything in the core member's area is theirs
    unit = TestClient(app).get(f"/units/{CORE_COUNTY}").text  # an anonymous reader
    for page in (home, unit):
        roadmaps, late, cores = (re.search(rf'data-testid="{part}".*?</section>', page, re.S)
                                 for part in ("mine" if page is home else "roadmaps",
                                              "mine" if page is home else "late-actions",
                                              "mine" if page is home else "cores"))
        for section in (roadmaps, late, cores):
            assert section is not None and link in section.group(0)
        assert 'data-testid="core-members"' in page
    # Links only: the contact stays on the person's page, for those who may see it.
    assert "09131234567" not in unit and "reza@example.org" not in unit
    assert "09131234567" not in TestClient(app).get(f"/people/{person}").text
