"""An edit that asks for a change its form does not allow — a roadmap moved to another
unit, an action moved to another roadmap — is refused whole with a reason, through the
page and through the API, and nothing of it is written."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from spatial.jalali import jalali_numeric
from spatial.messages import t
from tests.workspace.planning import SignedIn, fresh_action, fresh_roadmap, unique

COUNTY = "IR-15-03"   # inside the demo core's area (Kerman, IR-15)
ELSEWHERE = "IR-15-01"



def edit_form(**changes: str) -> dict[str, str]:
    return {"title": unique("عنوان جعلی"), "start_date": jalali_numeric(date.today() - timedelta(days=200)),
            "end_date": jalali_numeric(date.today() + timedelta(days=900)), "status": "approved", **changes}


def test_a_forged_page_edit_moving_a_roadmap_to_another_unit_is_refused_with_nothing_written(
        signed_in: SignedIn, client: TestClient) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    before = client.get(f"/api/roadmaps/{roadmap_id}").json()
    planner = signed_in("demo-planner")
    answer = planner.post(f"/roadmaps/{roadmap_id}/edit", edit_form(unit=ELSEWHERE))
    assert answer.status_code == 422
    assert t("rm.unit_fixed", "fa", field=t("rm.unit_code", "fa")) in answer.text
    after = client.get(f"/api/roadmaps/{roadmap_id}").json()
    assert after == before  # the title and status are not half-applied either


def test_the_same_edit_without_the_forged_unit_is_saved(signed_in: SignedIn, client: TestClient) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    planner = signed_in("demo-planner")
    form = edit_form(unit=COUNTY)  # the unit it has: nothing asked that the form does not allow
    answer = planner.post(f"/roadmaps/{roadmap_id}/edit?lang=en", form)
    assert answer.status_code == 303, answer.text.split('role="alert"')[-1][:400]
    assert client.get(f"/api/roadmaps/{roadmap_id}").json()["title"] == form["title"]


def test_a_forged_page_edit_moving_an_action_to_another_roadmap_is_refused(
        signed_in: SignedIn, client: TestClient) -> None:
    roadmap_id, other = fresh_roadmap(COUNTY), fresh_roadmap(COUNTY)
    action = fresh_action(roadmap_id)
    planner = signed_in("demo-planner")
    answer = planner.post(f"/actions/{action['id']}/edit?lang=en",
                          {"title": unique("moved"), "status": "planned", "roadmap_id": str(other)})
    assert answer.status_code == 422 and t("form.cannot_change", "en", field="Roadmap") in answer.text
    assert [a["title"] for a in client.get(f"/api/roadmaps/{roadmap_id}").json()["actions"]] == [action["title"]]
    assert client.get(f"/api/roadmaps/{other}").json()["actions"] == []


def test_a_forged_api_edit_moving_a_roadmap_to_another_unit_is_refused_with_nothing_written(
        client: TestClient) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    before = client.get(f"/api/roadmaps/{roadmap_id}").json()
    answer = client.patch(f"/api/roadmaps/{roadmap_id}", json={"unit": ELSEWHERE, "title": "عنوان جعلی"})
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "unit"
    assert client.get(f"/api/roadmaps/{roadmap_id}").json() == before
