"""The history, handover, progress-core, past-plan, analyst and admin pages over HTTP:
every page answers in both languages, bad forms are refused naming the field with
nothing written, and each role is refused what the API refuses it."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.accounts.tokens import issue_token
from spatial.db.engine import session_scope
from spatial.jalali import iran_today, jalali_numeric
from spatial.messages import t

Headers = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def as_user(database_url: str) -> Headers:
    """Bearer headers for a demo account (API clients post forms without the CSRF token)."""
    return lambda username: {"Authorization": f"Bearer {issue_token(username)}"}


def count(sql: str, **params: Any) -> int:
    with session_scope() as session:
        return int(session.execute(text(sql), params).scalar_one())


def first_id(sql: str, **params: Any) -> int:
    return count(sql, **params)


def demo_roadmap(code: str) -> int:
    return first_id("SELECT r.id FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id WHERE u.code = :c "
                    "ORDER BY r.id LIMIT 1", c=code)


@pytest.fixture(scope="module")
def outside_roadmap(database_url: str) -> int:
    """A roadmap in Tehran province (IR-07), outside the demo core's area (IR-15)."""
    from spatial.planning.history import LocalEditor
    from spatial.planning.people import create_person
    from spatial.planning.roadmap_inputs import PersonIn, RoadmapIn
    from spatial.planning.roadmaps import create_roadmap

    with session_scope() as session:
        person = create_person(session, PersonIn(name="مسئول تهران", unit="IR-07"), LocalEditor("tests"))["id"]
        return int(create_roadmap(session, RoadmapIn(unit="IR-07", title="نقشه راه تهران (آزمون)",
                                                     start_date=date(2025, 3, 21), end_date=date(2029, 3, 20),
                                                     responsible_person_id=person), LocalEditor("tests"))["id"])


def pages(roadmap_id: int, core_id: int, plan_id: int) -> list[str]:
    return [f"/roadmaps/{roadmap_id}/history", f"/roadmaps/{roadmap_id}/as-of?on={jalali_numeric(iran_today())}",
            "/handovers", "/handovers/new", "/cores", f"/cores/{core_id}", "/cores/new", f"/cores/{core_id}/edit",
            "/past-plans", "/past-plans?q=water&outcome=succeeded", f"/past-plans/{plan_id}", "/past-plans/new",
            "/layers", "/layers/upload", "/indicators", "/indicators/import", "/indicators/derive",
            "/admin/users", "/admin/keys", "/admin/audit", "/admin/audit?method=POST&since=1400/01/01"]


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_page_of_these_families_answers_in_its_language(client: TestClient, lang: str) -> None:
    core = first_id("SELECT min(id) FROM progress_core")
    plan = first_id("SELECT min(id) FROM past_plan")
    for path in pages(demo_roadmap("IR-15"), core, plan):
        page = client.get(path + ("&" if "?" in path else "?") + "lang=en" if lang == "en" else path)
        assert page.status_code == 200, (path, page.text[:500])
        assert f'lang="{lang}"' in page.text, path


def test_the_history_names_the_fields_that_changed_and_the_handover_note(client: TestClient) -> None:
    roadmap = demo_roadmap("IR-15")
    page = client.get(f"/roadmaps/{roadmap}/history").text
    assert t("history.field.responsible_person_id", "fa") in page  # the demo handover moved the roadmap
    assert "جابه‌جایی مدیر" in page and t("history.handover", "fa") in page
    assert "responsible_person_id" not in page


def test_a_day_before_the_roadmap_existed_says_so(client: TestClient) -> None:
    answer = client.get(f"/roadmaps/{demo_roadmap('IR-15')}/as-of?on=1390/01/01")
    assert answer.status_code == 404 and "وجود نداشت" in answer.text


def test_an_as_of_day_that_is_not_a_jalali_date_is_named(client: TestClient) -> None:
    answer = client.get(f"/roadmaps/{demo_roadmap('IR-15')}/as-of?on=1405/13/40")
    assert answer.status_code == 422 and t("form.bad_date", "fa", field=t("history.as_of_day", "fa")) in answer.text


# ------------------------------------------------------------------ form errors: nothing written

def test_a_handover_to_the_same_person_is_refused_and_nothing_moves(client: TestClient) -> None:
    person = first_id("SELECT min(id) FROM person")
    before = count("SELECT count(*) FROM handover")
    answer = client.post("/handovers/new", data={"from_person_id": person, "to_person_id": person,
                                                  "handed_over_on": "۱۴۰۵/۰۱/۱۵"})
    assert answer.status_code == 422
    assert t("handover.same_person", "fa", field=t("handover.to", "fa")) in answer.text
    assert count("SELECT count(*) FROM handover") == before


def test_a_handover_without_a_date_names_the_date(client: TestClient) -> None:
    people = [first_id("SELECT min(id) FROM person"), first_id("SELECT max(id) FROM person")]
    before = count("SELECT count(*) FROM handover")
    answer = client.post("/handovers/new?lang=en", data={"from_person_id": people[0], "to_person_id": people[1],
                                                          "handed_over_on": "someday"})
    assert answer.status_code == 422 and "Handed over on: write the date as 1405/01/15." in answer.text
    assert count("SELECT count(*) FROM handover") == before


def test_an_assessment_score_over_100_is_refused_and_the_core_is_unchanged(client: TestClient) -> None:
    core = first_id("SELECT min(id) FROM progress_core")
    before = count("SELECT count(*) FROM history WHERE entity = 'core'")
    answer = client.post(f"/cores/{core}/edit?lang=en", data={"name": "x", "stage": "trained", "members_count": "12",
                                                              "new_criterion": "market access", "new_score": "150"})
    assert answer.status_code == 422 and "Score" in answer.text and "0 to 100" in answer.text
    assert count("SELECT count(*) FROM history WHERE entity = 'core'") == before


def test_a_past_plan_without_title_or_outcome_is_refused_naming_both(client: TestClient) -> None:
    before = count("SELECT count(*) FROM past_plan")
    answer = client.post("/past-plans/new", data={"unit": "IR-15", "strengths": "قوی"})
    assert answer.status_code == 422
    assert t("form.required", "fa", field=t("past.title", "fa")) in answer.text
    assert t("form.required", "fa", field=t("past.outcome", "fa")) in answer.text
    assert count("SELECT count(*) FROM past_plan") == before


def test_a_past_plan_ending_before_it_began_is_refused(client: TestClient) -> None:
    before = count("SELECT count(*) FROM past_plan")
    answer = client.post("/past-plans/new?lang=en", data={"title": "Backwards", "unit": "IR-15", "outcome": "failed",
                                                          "start_year": "1400", "end_year": "1390"})
    assert answer.status_code == 422 and "End year" in answer.text
    assert count("SELECT count(*) FROM past_plan") == before


def test_a_file_that_is_no_layer_is_refused_and_nothing_is_kept(client: TestClient) -> None:
    before = count("SELECT count(*) FROM layer")
    answer = client.post("/layers/upload", data={"name": "not_a_layer"},
                         files={"file": ("notes.zip", b"this is not a zip", "application/zip")})
    assert answer.status_code == 422
    reason = t("refusal.zip_unreadable", "fa", name="notes.zip")  # why, in Persian, beside the file field
    assert t("form.field_says", "fa", field=t("layer.file", "fa"), reason=reason) in answer.text
    assert count("SELECT count(*) FROM layer") == before
    assert count("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'not_a_layer%'") == 0


def test_a_layer_name_that_is_not_a_slug_is_named(client: TestClient) -> None:
    answer = client.post("/layers/upload?lang=en", data={"name": "Health Centres"},
                         files={"file": ("x.geojson", b'{"type": "FeatureCollection", "features": []}',
                                         "application/json")})
    assert answer.status_code == 422 and "Layer name:" in answer.text


def test_an_indicator_csv_with_an_unknown_column_imports_nothing(client: TestClient) -> None:
    before = count("SELECT count(*) FROM indicator_value")
    csv = "unit_code,period,unemployment_rate,no_such_indicator\nIR-15-01-001,2031,12.5,3\n"
    answer = client.post("/indicators/import?lang=en",
                         files={"file": ("values.csv", io.BytesIO(csv.encode()), "text/csv")})
    assert answer.status_code == 422 and "no_such_indicator" in answer.text
    assert count("SELECT count(*) FROM indicator_value") == before


def test_an_indicator_csv_is_imported_and_reported(client: TestClient) -> None:
    csv = "unit_code,period,unemployment_rate\nIR-15-01-001,2031,12.5\nIR-15-01-002,2031,9\n"
    answer = client.post("/indicators/import", files={"file": ("values.csv", csv.encode(), "text/csv")})
    assert answer.status_code == 200 and 'data-testid="import-result"' in answer.text
    assert count("SELECT count(*) FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id "
                 "WHERE i.code = 'unemployment_rate' AND v.period = '2031'") >= 2


def test_an_overlay_derivation_from_a_demo_layer_writes_the_indicator(client: TestClient) -> None:
    layer = count("SELECT count(*) FROM layer WHERE storage = 'vector'")
    assert layer, "the demo has vector layers"
    with session_scope() as session:
        slug = session.execute(
            text("SELECT slug FROM layer WHERE storage = 'vector' ORDER BY slug LIMIT 1")).scalar_one()
    answer = client.post("/indicators/derive", data={"layer": slug, "level": "county", "method": "count",
                                                      "code": "workspace_test_count", "period": "2024"})
    assert answer.status_code == 200 and 'data-testid="derive-result"' in answer.text
    assert count("SELECT count(*) FROM indicator WHERE code = 'workspace_test_count'") == 1


def test_a_zonal_derivation_without_its_statistic_is_refused(client: TestClient) -> None:
    answer = client.post("/indicators/derive?lang=en", data={"layer": "x", "level": "county", "method": "zonal",
                                                             "code": "z", "period": "2024"})
    assert answer.status_code == 422 and "Raster statistic: this field is required." in answer.text


def test_a_user_with_a_short_password_is_not_created(client: TestClient) -> None:
    answer = client.post("/admin/users?lang=en", data={"username": "shorty", "password": "short", "role": "viewer"})
    assert answer.status_code == 422 and "Password:" in answer.text
    assert count("SELECT count(*) FROM app_user WHERE username = 'shorty'") == 0


def test_a_core_member_without_an_area_is_not_created(client: TestClient) -> None:
    answer = client.post("/admin/users", data={"username": "no-area", "password": "a long password", "role": "core"})
    assert answer.status_code == 422 and t("form.required", "fa", field=t("admin.area", "fa")) in answer.text
    assert count("SELECT count(*) FROM app_user WHERE username = 'no-area'") == 0


def test_a_key_with_a_bad_rate_is_not_created(client: TestClient) -> None:
    before = count("SELECT count(*) FROM api_key")
    answer = client.post("/admin/keys?lang=en", data={"partner": "city", "collections": "all", "rate": "fast"})
    assert answer.status_code == 422 and "Rate limit:" in answer.text
    assert count("SELECT count(*) FROM api_key") == before


def test_a_new_key_is_shown_once_and_works(client: TestClient) -> None:
    answer = client.post("/admin/keys", data={"partner": "shown-once", "collections": "provinces", "rate": "5/s"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    key = answer.text.split('data-testid="new-key">')[1].split("<")[0]
    assert client.get("/collections/provinces", headers={"X-API-Key": key, "Authorization": ""}).status_code == 200
    assert key not in client.get("/admin/keys").text


def test_the_audit_log_filters_by_user_and_method(client: TestClient) -> None:
    client.post("/admin/users", data={"username": "audited", "password": "x", "role": "viewer"})  # refused, recorded
    page = client.get("/admin/audit?username=local&method=POST&route=/admin/users").text
    assert "/admin/users" in page and t("admin.no_entries", "fa") not in page
    assert t("admin.no_entries", "fa") in client.get("/admin/audit?username=no-such-user-in-the-audit-log").text


# ------------------------------------------------------------------ roles, as the API

@pytest.mark.parametrize(("username", "path"), [
    ("demo-viewer", "/layers/upload"), ("demo-planner", "/indicators/import"), ("demo-analyst", "/handovers/new"),
    ("demo-analyst", "/admin/users"), ("demo-planner", "/admin/audit"), ("demo-core", "/admin/keys"),
])
def test_a_form_page_is_not_offered_to_a_role_without_its_permission(client: TestClient, as_user: Headers,
                                                                      username: str, path: str) -> None:
    answer = client.get(path, headers=as_user(username))
    assert answer.status_code == 403 and t("error.forbidden", "fa") in answer.text


def test_an_analyst_cannot_create_a_user(client: TestClient, as_user: Headers) -> None:
    answer = client.post("/admin/users", headers=as_user("demo-analyst"),
                         data={"username": "sneaky", "password": "a long password", "role": "admin"})
    assert answer.status_code == 403
    assert count("SELECT count(*) FROM app_user WHERE username = 'sneaky'") == 0


def test_a_planner_cannot_upload_a_layer(client: TestClient, as_user: Headers) -> None:
    before = count("SELECT count(*) FROM layer")
    answer = client.post("/layers/upload", headers=as_user("demo-planner"), data={"name": "planner_layer"},
                         files={"file": ("x.geojson", b"{}", "application/json")})
    assert answer.status_code == 403 and count("SELECT count(*) FROM layer") == before


def test_a_core_member_is_refused_a_handover_outside_the_area(client: TestClient, as_user: Headers,
                                                               outside_roadmap: int) -> None:
    page = client.get("/handovers/new", headers=as_user("demo-core")).text
    offered = page.split('name="roadmap_id"')[1].split("</select>")[0]
    assert f'value="{outside_roadmap}"' not in offered and f'value="{demo_roadmap("IR-15")}"' in offered
    giver = first_id("SELECT responsible_person_id FROM roadmap WHERE id = :id", id=outside_roadmap)
    taker = first_id("SELECT min(id) FROM person WHERE id <> :p", p=giver)
    before = count("SELECT count(*) FROM handover")
    forged = client.post("/handovers/new", headers=as_user("demo-core"),
                         data={"from_person_id": giver, "to_person_id": taker, "roadmap_id": outside_roadmap,
                               "handed_over_on": "1405/01/15"})
    assert forged.status_code == 403
    assert count("SELECT count(*) FROM handover") == before
    assert first_id("SELECT responsible_person_id FROM roadmap WHERE id = :id", id=outside_roadmap) == giver


def test_a_core_member_may_not_register_a_core_outside_the_area(client: TestClient, as_user: Headers) -> None:
    before = count("SELECT count(*) FROM progress_core")
    answer = client.post("/cores/new", headers=as_user("demo-core"),
                         data={"name": "هسته تهران", "unit": "IR-07", "stage": "identified"})
    assert answer.status_code == 403 and count("SELECT count(*) FROM progress_core") == before


def test_a_core_member_records_progress_of_the_own_core(client: TestClient, as_user: Headers) -> None:
    core = first_id("SELECT min(id) FROM progress_core")
    answer = client.post(f"/cores/{core}/edit", headers=as_user("demo-core"), follow_redirects=False,
                         data={"name": "هسته پیشرفت شهرستان نمونه ۱ (نمونه)", "stage": "trained", "members_count": "14",
                               "score.commitment": "91", "score.local_knowledge": "82", "score.planning_skills": "70",
                               "training_title": "گزارش‌نویسی", "training_on": "۱۴۰۵/۰۲/۰۱", "training_hours": "6"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/cores/{core}"
    page = client.get(f"/cores/{core}").text
    assert "گزارش‌نویسی" in page and "۱۴" in page
    assert count("SELECT (assessment->>'planning_skills')::float::int FROM progress_core WHERE id = :id", id=core) == 70


def test_a_handover_with_a_note_moves_the_roadmap_and_shows_in_its_history(client: TestClient) -> None:
    roadmap = demo_roadmap("IR-15-01")
    giver = first_id("SELECT responsible_person_id FROM roadmap WHERE id = :id", id=roadmap)
    taker = first_id("SELECT min(id) FROM person WHERE id <> :p", p=giver)
    answer = client.post("/handovers/new", follow_redirects=False,
                         data={"from_person_id": giver, "to_person_id": taker, "roadmap_id": roadmap,
                               "handed_over_on": "۱۴۰۵/۰۱/۱۵", "note": "سپردن پرونده‌ها در جلسه شورا"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/roadmaps/{roadmap}/history"
    assert first_id("SELECT responsible_person_id FROM roadmap WHERE id = :id", id=roadmap) == taker
    history = client.get(f"/roadmaps/{roadmap}/history").text
    assert "سپردن پرونده‌ها در جلسه شورا" in history and "۱۵ فروردین ۱۴۰۵" in history


def visible_words(html: str) -> set[str]:
    """The words a reader sees: text outside tags, scripts and styles (attribute values are not
    shown); names such as ``demo-admin`` and addresses such as ``/admin/users`` stay one word."""
    import re

    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return set(re.findall(r"[A-Za-z_/][A-Za-z0-9_./@-]*", re.sub(r"<[^>]+>", " ", body)))


# Pages without stored names (other tests add people, cores, accounts and layers with English names;
# the core form lists the core-role accounts by username).
@pytest.mark.parametrize("path", ["/past-plans/new", "/layers/upload", "/indicators/import"])
def test_no_stored_code_shows_on_a_persian_form_page(client: TestClient, path: str) -> None:
    from spatial.messages import code_words

    shown = visible_words(client.get(path).text) & code_words()
    assert not shown, f"{path} shows codes {shown}"
