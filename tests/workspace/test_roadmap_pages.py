"""The roadmap, action and progress pages over HTTP: forms that write through the core in
one transaction, errors in the page's language naming the field with nothing written,
the area scope of progress-core members, and counts that match ``GET /api/progress``."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient

from spatial.jalali import jalali_numeric, persian_digits
from spatial.messages import t
from tests.workspace.planning import SignedIn, count, fresh_action, fresh_roadmap, point_in, unique

COUNTY = "IR-15-03"          # inside the demo core's area (Kerman, IR-15)
OUTSIDE = "IR-07-02"         # another province's county




def jalali(days_from_today: int, persian: bool = False) -> str:
    return jalali_numeric(date.today() + timedelta(days=days_from_today), persian=persian)


def roadmap_form(**changes: str) -> dict[str, str]:
    return {"unit": COUNTY, "title": unique("نقشه راه شهرستان"), "start_date": jalali(-30, persian=True),
            "end_date": jalali(4 * 365), "status": "draft", "strategies": "گردشگری\nصنایع دستی", **changes}


def test_a_planner_creates_a_roadmap_through_the_form(signed_in: SignedIn,
                                                      client: TestClient) -> None:
    planner = signed_in("demo-planner")
    form = roadmap_form(cap_indicator="", cap_text="قنات‌های فعال")
    answer = planner.post("/roadmaps/new", form)
    assert answer.status_code == 303
    made = client.get(answer.headers["location"].replace("/roadmaps/", "/api/roadmaps/")).json()
    assert made["title"] == form["title"] and made["unit"]["code"] == COUNTY
    assert made["strategies"] == ["گردشگری", "صنایع دستی"]
    assert made["capacities"] == [{"indicator": None, "text": "قنات‌های فعال"}]
    assert made["start_date"] == (date.today() - timedelta(days=30)).isoformat()
    page = planner.get(answer.headers["location"]).text
    assert form["title"] in page and "قنات‌های فعال" in page


def test_roadmap_form_errors_name_the_field_in_persian_and_nothing_is_written(
        signed_in: SignedIn) -> None:
    planner = signed_in("demo-planner")
    before = count("roadmap")
    answer = planner.post("/roadmaps/new", roadmap_form(title="", end_date=jalali(-400), start_date="1405/13/40"))
    assert answer.status_code == 422 and 'dir="rtl"' in answer.text
    assert "عنوان: این بخش را پر کنید." in answer.text
    assert "تاریخ شروع: تاریخ را به شکل ۱۴۰۵/۰۱/۱۵ بنویسید." in answer.text
    assert count("roadmap") == before


def test_roadmap_form_errors_are_in_english_on_english_pages(signed_in: SignedIn) -> None:
    planner = signed_in("demo-planner")
    answer = planner.post("/roadmaps/new?lang=en", roadmap_form(unit="IR-99-99", start_date=jalali(10),
                                                                end_date=jalali(0)))
    assert answer.status_code == 422
    assert "Unit code: no unit has this code" in answer.text
    assert "End date: cannot be before the start date." in answer.text


def action_form(**changes: object) -> list[tuple[str, str]]:
    """An action form: two financing lines and one key result, plus ``changes``."""
    fields: dict[str, object] = {
        "title": unique("کارگاه فرش"), "sector": "handicrafts", "status": "planned",
        "target_group": "زنان سرپرست خانوار",
        "target_size": "۴۰", "jobs_expected": "20", "start_date": jalali(-60), "end_date": jalali(300),
        "geometry": "", "fin_source": ["sponsor", "bank_loan"], "fin_amount": ["۶۰۰۰۰۰۰", "2500000"],
        "fin_note": ["", "وام قرض‌الحسنه"], "kr_id": [""], "kr_indicator": ["بافندگان شاغل"],
        "kr_unit_of_measure": ["نفر"], "kr_baseline": ["0"], "kr_target": ["۴۰"], "kr_target_date": [jalali(300)],
        **changes}
    return [(k, str(v)) for k, values in fields.items()
            for v in (values if isinstance(values, list) else [values])]


def test_an_action_is_saved_with_its_place_financing_and_key_results(
        signed_in: SignedIn, client: TestClient) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    planner = signed_in("demo-planner")
    place = point_in(COUNTY)
    answer = planner.post(f"/roadmaps/{roadmap_id}/actions/new",
                          action_form(geometry=f'{{"type": "Point", "coordinates": {place["coordinates"]}}}'))
    assert answer.status_code == 303, answer.text
    (action,) = client.get(f"/api/roadmaps/{roadmap_id}").json()["actions"]
    assert action["geometry"]["type"] == "Point" and action["target_size"] == 40 and action["jobs_expected"] == 20
    assert [(f["source"], f["amount_rials"]) for f in action["financing"]] == [("sponsor", 6_000_000),
                                                                               ("bank_loan", 2_500_000)]
    assert action["key_results"][0]["indicator"] == "بافندگان شاغل" and action["key_results"][0]["target"] == 40


def test_a_place_outside_the_unit_is_refused_plainly_and_nothing_is_written(
        signed_in: SignedIn) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    planner = signed_in("demo-planner")
    elsewhere = point_in(OUTSIDE)["coordinates"]
    before = (count("action"), count("financing"), count("key_result"))
    answer = planner.post(f"/roadmaps/{roadmap_id}/actions/new",
                          action_form(geometry=f'{{"type": "Point", "coordinates": {elsewhere}}}'))
    assert answer.status_code == 422
    assert re.search(r"مکان اقدام: مکان کشیده‌شده بیرون از [^<]+ است", answer.text)
    assert (count("action"), count("financing"), count("key_result")) == before


def test_a_bad_financing_line_and_key_result_are_named_by_their_line(
        signed_in: SignedIn) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    planner = signed_in("demo-planner")
    before = count("action")
    answer = planner.post(f"/roadmaps/{roadmap_id}/actions/new", action_form(
        fin_amount=["۶۰۰۰۰۰۰", "-5"], kr_target=["بسیار"], kr_target_date=[jalali(-90)]))
    assert answer.status_code == 422
    text = answer.text
    assert "تأمین مالی · مبلغ (ریال) (ردیف ۲): نمی‌تواند منفی باشد." in text
    assert "نتایج کلیدی · مقدار هدف (ردیف ۱): یک عدد بنویسید." in text
    assert "نتایج کلیدی · تاریخ هدف (ردیف ۱): باید پس از تاریخ شروع" in text
    assert count("action") == before


def test_the_progress_counts_match_the_api(signed_in: SignedIn, client: TestClient) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    fresh_action(roadmap_id)                             # no measurement, no place
    fresh_action(roadmap_id, place=point_in(COUNTY))     # placed
    viewer = signed_in("demo-viewer")
    for unit, level in (("IR-15", None), ("IR-15", "county"), (COUNTY, None), ("IR-15-01", None)):
        query = f"?level={level}" if level else ""
        page = viewer.get(f"/progress/{unit}{query}").text
        shown = {status: int(_latin(n)) for status, n in re.findall(r'data-count="(\w+)">([^<]+)<', page)}
        api = client.get(f"/api/progress?unit={unit}" + (f"&level={level}" if level else "")).json()
        assert {k: v for k, v in shown.items() if k != "total"} == api["counts"], unit
        assert shown["total"] == len(api["actions"])
        placed = sum(a["has_geometry"] for a in api["actions"])
        assert persian_digits(placed) + " اقدام روی نقشه" in page
        assert persian_digits(len(api["actions"]) - placed) + " اقدام بی‌مکان" in page


def test_the_progress_list_puts_overdue_and_behind_first(signed_in: SignedIn) -> None:
    page = signed_in("demo-viewer").get("/progress/IR-15").text
    statuses = re.findall(r'data-status="(\w+)"', page)
    order = ["overdue", "behind", "no_data", "on_track", "achieved"]
    assert statuses == sorted(statuses, key=order.index) and statuses[0] == "overdue"


def _latin(digits: str) -> str:
    return digits.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))


def test_a_measurement_is_recorded_with_a_jalali_date(signed_in: SignedIn,
                                                      client: TestClient) -> None:
    action = fresh_action(fresh_roadmap(COUNTY))
    core = signed_in("demo-core")
    form = core.get(f"/actions/{action['id']}/measure")
    assert form.status_code == 200 and t("progress.no_data") in form.text
    answer = core.post(f"/actions/{action['id']}/measure", {
        "key_result_id": str(action["key_results"][0]["id"]), "measured_on": jalali(-2, persian=True),
        "value": "۸۰", "source": "گزارش هسته"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/progress/{COUNTY}"
    (measured,) = client.get(f"/api/measurements?action={action['id']}").json()
    assert measured["measured_on"] == (date.today() - timedelta(days=2)).isoformat() and measured["value"] == 80
    assert measured["reported_by"] == "demo-core"


def test_a_measurement_in_the_future_is_refused_naming_the_date(signed_in: SignedIn) -> None:
    action = fresh_action(fresh_roadmap(COUNTY))
    before = count("measurement")
    answer = signed_in("demo-planner").post(f"/actions/{action['id']}/measure", {
        "key_result_id": str(action["key_results"][0]["id"]), "measured_on": jalali(5), "value": "3"})
    assert answer.status_code == 422 and "تاریخ اندازه‌گیری: این تاریخ هنوز نیامده است" in answer.text
    assert count("measurement") == before


def test_a_core_member_is_not_offered_forms_outside_the_area_and_a_forged_post_is_refused(
        signed_in: SignedIn) -> None:
    outside = fresh_roadmap(OUTSIDE)
    action = fresh_action(outside)
    core = signed_in("demo-core")
    page = core.get(f"/roadmaps/{outside}").text
    assert f"/actions/{action['id']}/measure" not in page and f"/roadmaps/{outside}/edit" not in page
    assert core.get(f"/actions/{action['id']}/measure").status_code == 403
    assert core.get(f"/roadmaps/{outside}/actions/new").status_code == 403
    assert core.get(f"/roadmaps/new?unit={OUTSIDE}").status_code == 403
    before = (count("measurement"), count("action"), count("roadmap"), count("history"))
    forged = [
        core.post(f"/actions/{action['id']}/measure", {"key_result_id": str(action["key_results"][0]["id"]),
                                                       "measured_on": jalali(-1), "value": "50"}),
        core.post(f"/roadmaps/{outside}/actions/new", action_form()),
        core.post(f"/roadmaps/{outside}/edit", roadmap_form()),
        core.post("/roadmaps/new", roadmap_form(unit=OUTSIDE)),
    ]
    assert [f.status_code for f in forged] == [403] * 4
    assert t("error.forbidden") in forged[0].text
    assert (count("measurement"), count("action"), count("roadmap"), count("history")) == before


def test_a_core_member_is_offered_forms_inside_the_area(signed_in: SignedIn) -> None:
    inside = fresh_roadmap(COUNTY)
    action = fresh_action(inside)
    page = signed_in("demo-core").get(f"/roadmaps/{inside}").text
    assert f"/actions/{action['id']}/measure" in page and f"/roadmaps/{inside}/edit" in page


def test_a_viewer_gets_no_form_and_no_link(signed_in: SignedIn) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    viewer = signed_in("demo-viewer")
    assert viewer.get("/roadmaps/new").status_code == 403
    assert "/roadmaps/new" not in viewer.get("/roadmaps").text
    assert f"/roadmaps/{roadmap_id}/edit" not in viewer.get(f"/roadmaps/{roadmap_id}").text


def test_the_roadmap_list_filters_like_the_api(signed_in: SignedIn, client: TestClient) -> None:
    viewer = signed_in("demo-viewer")
    for query in ("unit=IR-15", "unit=IR-15&level=county", "status=approved", "unit=IR-15-01&status=draft"):
        page = viewer.get(f"/roadmaps?{query}").text
        shown = sorted(int(i) for i in re.findall(r'<a href="/roadmaps/(\d+)">', page))
        assert shown == sorted(r["id"] for r in client.get(f"/api/roadmaps?{query}").json()), query


def test_editing_a_roadmap_keeps_what_the_form_shows(signed_in: SignedIn,
                                                     client: TestClient) -> None:
    roadmap_id = fresh_roadmap(COUNTY)
    planner = signed_in("demo-planner")
    form = planner.get(f"/roadmaps/{roadmap_id}/edit").text
    shown = re.search(r'name="start_date" value="([^"]+)"', form)
    assert shown, "the form shows the start date"
    start = shown.group(1)
    answer = planner.post(f"/roadmaps/{roadmap_id}/edit", {
        "title": "عنوان تازه", "start_date": start, "end_date": jalali(900), "status": "approved",
        "strategies": "راهبرد یک"})
    assert answer.status_code == 303
    doc = client.get(f"/api/roadmaps/{roadmap_id}").json()
    assert doc["title"] == "عنوان تازه" and doc["status"] == "approved" and doc["strategies"] == ["راهبرد یک"]
    assert doc["start_date"] == (date.today() - timedelta(days=200)).isoformat()


def _visible_words(page: str) -> set[str]:
    """The Latin words a reader sees in a page's content (scripts, tags and attributes left
    out, and so are names people typed: the site header's username such as demo-planner, and
    the people, organisations, cores and roadmaps offered by id in select lists)."""
    shown = re.sub(r"<(script|style|header)\b.*?</\1>", " ", page, flags=re.S)
    shown = re.sub(r'<option value="\d+"[^>]*>.*?</option>', " ", shown, flags=re.S)
    shown = re.sub(r"<[^>]+>", " ", shown)
    return set(re.findall(r"[A-Za-z_]+", shown))


def test_no_code_word_reaches_a_persian_roadmap_or_progress_page(signed_in: SignedIn) -> None:
    county = "IR-15-07"  # a county only this test writes plans in: every word on its pages is ours
    roadmap_id = fresh_roadmap(county)
    action = fresh_action(roadmap_id, place=point_in(county), sector="handicrafts", status="in_progress")
    planner = signed_in("demo-planner")
    from spatial.messages import code_words

    for path in (f"/roadmaps/{roadmap_id}", f"/progress/{county}", f"/roadmaps?unit={county}",
                 f"/roadmaps/{roadmap_id}/edit", f"/actions/{action['id']}/edit", f"/actions/{action['id']}/measure"):
        page = planner.get(path)
        assert page.status_code == 200, path
        assert not (_visible_words(page.text) & code_words()), (path, _visible_words(page.text) & code_words())
