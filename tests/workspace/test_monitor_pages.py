"""The monitoring centre over HTTP, on the demo: the page and ``GET /api/monitor/...`` say
the same numbers; the late list downloads as a Persian workbook and a CSV with a byte-order
mark; money recorded on a financing line shows on the dashboard; anonymous visitors are
asked to sign in unless an administrator allows them; bad filters are refused by name."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from spatial.db.engine import session_scope
from spatial.jalali import format_date, jalali_numeric, persian_digits
from spatial.messages import code_words, t
from spatial.settings import get_settings
from spatial.planning.roadmap_inputs import ActionIn, FinancingIn
from spatial.planning.roadmaps import create_action
from tests.workspace.planning import EDITOR, PageClient, fresh_roadmap

PROVINCE = "IR-15"


@pytest.fixture
def anonymous(client: TestClient) -> Iterator[TestClient]:
    with TestClient(client.app) as c:
        yield c


@pytest.fixture
def monitor_open_to_all() -> Iterator[None]:
    """An administrator lets visitors who have not signed in see the monitoring centre."""
    os.environ["PISHRAFT_MONITOR_ANONYMOUS"] = "true"
    get_settings.cache_clear()
    try:
        yield
    finally:
        os.environ.pop("PISHRAFT_MONITOR_ANONYMOUS", None)
        get_settings.cache_clear()


def test_home_and_the_unit_page_lead_to_the_monitoring_centre(client: TestClient) -> None:
    assert 'href="/monitor"' in client.get("/home").text
    assert f'href="/monitor/{PROVINCE}"' in client.get(f"/units/{PROVINCE}").text


def test_monitor_is_the_whole_country_and_shows_the_api_numbers(client: TestClient) -> None:
    page = client.get("/monitor")
    assert page.status_code == 200 and page.url.path == "/monitor/IR"
    board = client.get("/api/monitor/IR").json()
    assert len(board["by_child"]) == 31 and "actions" not in board
    assert t("monitor.title", "fa", name=t("monitor.country", "fa")) in page.text
    province = client.get(f"/api/monitor/{PROVINCE}").json()
    kerman = next(c for c in board["by_child"] if c["code"] == PROVINCE)
    assert kerman["counts"] == province["counts"] and sum(province["counts"].values()) >= 7


def test_the_late_list_is_on_the_page_in_the_api_and_in_the_downloads(client: TestClient) -> None:
    late = client.get(f"/api/monitor/{PROVINCE}/late").json()
    assert late["count"] >= 1 and all(a["status"] in ("overdue", "behind") for a in late["actions"])
    first = late["actions"][0]
    page = client.get(f"/monitor/{PROVINCE}")
    assert f'href="/roadmaps/{first["roadmap_id"]}#action-{first["id"]}"' in page.text
    book = load_workbook(io.BytesIO(client.get(f"/monitor/{PROVINCE}/download?format=xlsx").content))
    sheet = book.active
    assert sheet.sheet_view.rightToLeft
    header = [c.value for c in sheet[1]]
    assert header[:3] == [t("monitor.col.id"), t("monitor.col.title"), t("monitor.col.status")]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [a["id"] for a in late["actions"]]
    words = {str(v) for row in sheet.iter_rows(min_row=2, values_only=True) for v in row if v is not None}
    assert not words & code_words()  # no stored code on a Persian sheet
    answer = client.get(f"/monitor/{PROVINCE}/download?format=csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][1] == t("monitor.col.title") and len(rows) == late["count"] + 1
    api_csv = client.get(f"/api/monitor/{PROVINCE}/late?format=csv")
    assert api_csv.content.startswith(b"\xef\xbb\xbf") and len(api_csv.content.decode("utf-8-sig").splitlines()) == len(rows)


def test_the_late_list_filters_by_sponsor_and_days_late(client: TestClient) -> None:
    every = client.get(f"/api/monitor/{PROVINCE}/late").json()["actions"]
    sponsor = next(a["sponsor_id"] for a in every if a["sponsor_id"])
    mine = client.get(f"/api/monitor/{PROVINCE}/late", params={"sponsor": sponsor}).json()["actions"]
    assert mine and {a["sponsor_id"] for a in mine} == {sponsor}
    far = client.get(f"/api/monitor/{PROVINCE}/late", params={"min_days_late": 100_000}).json()
    assert far["count"] == 0
    page = client.get(f"/monitor/{PROVINCE}", params={"sponsor": sponsor})
    assert page.text.count('data-testid="late-action"') == len(mine)


def test_progress_over_time_has_twenty_four_jalali_months(client: TestClient) -> None:
    series = client.get(f"/api/monitor/{PROVINCE}/over-time").json()
    assert len(series["months"]) == 24 and series["months"][-1]["day"] == date.today().isoformat()
    assert series["months"][-1]["counts"] == client.get(f"/api/monitor/{PROVINCE}").json()["counts"]
    assert len(series["rows"]) == 24 * 5 and series["rows"][0]["label"][0] in "۰۱۲۳۴۵۶۷۸۹"
    assert client.get(f"/api/monitor/{PROVINCE}/over-time?format=csv").text.splitlines()[0].endswith(
        "month,status,actions")


def test_money_recorded_on_a_line_shows_on_the_dashboard(client: TestClient) -> None:
    with session_scope() as session:
        line = session.execute(text(
            """SELECT f.id FROM financing f JOIN action a ON a.id = f.action_id JOIN roadmap r ON r.id = a.roadmap_id
               JOIN admin_unit u ON u.id = r.unit_id WHERE u.code = :c AND f.archived_at IS NULL ORDER BY f.id LIMIT 1"""),
            {"c": PROVINCE}).scalar_one()
    before = client.get(f"/api/monitor/{PROVINCE}/money").json()["totals"]
    for kind, amount in (("committed", 7_000_000_000), ("disbursed", 2_500_000_000)):
        made = client.post(f"/api/financing/{line}/disbursements",
                           json={"kind": kind, "on": date.today().isoformat(), "amount_rials": amount})
        assert made.status_code == 201, made.text
    after = client.get(f"/api/monitor/{PROVINCE}/money").json()["totals"]
    assert after["committed"] - before["committed"] == 7_000_000_000
    assert after["disbursed"] - before["disbursed"] == 2_500_000_000
    assert len(client.get(f"/api/financing/{line}/disbursements").json()) >= 2
    page = client.get(f"/monitor/{PROVINCE}")
    assert "۷٬۰۰۰٬۰۰۰٬۰۰۰" in page.text or "٬" in page.text  # rials in Persian digits
    refused = client.post(f"/api/financing/{line}/disbursements",
                          json={"kind": "promised", "on": date.today().isoformat(), "amount_rials": 1})
    assert refused.status_code == 422 and "kind" in refused.text


def test_the_map_is_drawn_for_the_country_and_for_a_province(client: TestClient) -> None:
    for code in ("IR", PROVINCE):  # (the browser test clicks a province on it)
        page = client.get(f"/monitor/{code}/map")
        assert page.status_code == 200 and "leaflet" in page.text.lower()


def test_anonymous_visitors_sign_in_first_unless_an_administrator_allows(anonymous: TestClient) -> None:
    page = anonymous.get(f"/monitor/{PROVINCE}")
    assert page.status_code == 401 and 'name="password"' in page.text
    assert anonymous.get(f"/api/monitor/{PROVINCE}").status_code == 401


def test_an_administrator_may_open_the_monitoring_centre_to_everyone(anonymous: TestClient,
                                                                     monitor_open_to_all: None) -> None:
    assert anonymous.get(f"/monitor/{PROVINCE}").status_code == 200
    assert anonymous.get(f"/api/monitor/{PROVINCE}/late").status_code == 200


@pytest.mark.parametrize(("query", "field"), [("sort=colour", "sort"), ("level=planet", "level"),
                                               ("sponsor=abc", "sponsor"), ("min_days_late=-1", "min_days_late")])
def test_bad_filters_are_refused_by_name(client: TestClient, query: str, field: str) -> None:
    answer = client.get(f"/api/monitor/{PROVINCE}/late?{query}")
    assert answer.status_code == 422 and field in answer.text
    assert client.get(f"/monitor/{PROVINCE}?{query}").status_code in (400, 422)


def test_an_unknown_area_is_not_found(client: TestClient) -> None:
    assert client.get("/api/monitor/IR-99").status_code == 404
    assert client.get("/monitor/IR-99").status_code == 404


def _line_in(code: str) -> int:
    with session_scope() as session:
        return int(session.execute(text(
            """SELECT f.id FROM financing f JOIN action a ON a.id = f.action_id JOIN roadmap r ON r.id = a.roadmap_id
               JOIN admin_unit u ON u.id = r.unit_id WHERE u.code = :c AND f.archived_at IS NULL
               ORDER BY f.id LIMIT 1"""), {"c": code}).scalar_one())


def test_a_planner_records_money_on_the_form_and_bad_amounts_are_refused_beside_the_field(
        client: TestClient) -> None:
    planner = PageClient(TestClient(client.app), "demo-planner")
    line = _line_in(PROVINCE)
    form = planner.get(f"/financing/{line}/money")
    assert form.status_code == 200 and 'data-testid="money-form"' in form.text
    before = client.get(f"/api/financing/{line}/disbursements").json()
    today = jalali_numeric(date.today(), persian=True)
    bad = planner.post(f"/financing/{line}/money", {"kind": "disbursed", "on": today, "amount_rials": "-5"})
    assert bad.status_code == 422 and t("monitor.money.whole_rials") in bad.text
    sent = planner.post(f"/financing/{line}/money", {"kind": "disbursed", "on": today, "amount_rials": "۱۲۰۰۰۰۰"})
    assert sent.status_code == 303
    after = client.get(f"/api/financing/{line}/disbursements").json()
    assert len(after) == len(before) + 1 and after[-1]["amount_rials"] == 1_200_000
    assert "۱٬۲۰۰٬۰۰۰" in planner.get(f"/financing/{line}/money").text
    # The roadmap page leads to the form.
    roadmap = client.get(f"/api/monitor/{PROVINCE}/late").json()["actions"][0]["roadmap_id"]
    assert "/money" in planner.get(f"/roadmaps/{roadmap}").text


def test_money_recorded_on_a_line_is_written_in_the_roadmaps_history_in_persian_words(client: TestClient) -> None:
    planner = PageClient(TestClient(client.app), "demo-planner")
    line = _line_in(PROVINCE)
    with session_scope() as session:
        roadmap = session.execute(text("SELECT a.roadmap_id FROM financing f JOIN action a ON a.id = f.action_id "
                                       "WHERE f.id = :f"), {"f": line}).scalar_one()
    today = jalali_numeric(date.today(), persian=True)
    sent = planner.post(f"/financing/{line}/money", {"kind": "committed", "on": today, "amount_rials": "۳۴۵۰۰۰۰"})
    assert sent.status_code == 303
    page = planner.get(f"/roadmaps/{roadmap}/history")
    said = t("history.disbursement", kind=t("monitor.money.committed"), amount="۳٬۴۵۰٬۰۰۰",
             on=format_date(date.today()), line=persian_digits(f"#{line}"))
    assert page.status_code == 200 and f"{t('history.entity.disbursement')}: «{said}»" in page.text
    entry = next(e for e in client.get(f"/api/roadmaps/{roadmap}/history").json()
                 if e["entity"] == "disbursement" and e["after"]["amount_rials"] == 3_450_000)
    assert entry["author"] == "demo-planner" and entry["operation"] == "create"
    assert entry["after"]["financing_id"] == line and entry["after"]["kind"] == "committed"


def test_a_core_member_records_no_money_outside_the_area(client: TestClient) -> None:
    core = PageClient(TestClient(client.app), "demo-core")  # area IR-15
    outside = _line_in(PROVINCE)
    with session_scope() as session:
        made = create_action(session, ActionIn(roadmap_id=fresh_roadmap("IR-16-04"), title="کارگاه بیرون از حوزه",
                                               financing=[FinancingIn(source="sponsor", amount_rials=10**9)]), EDITOR)
        elsewhere = session.execute(text("SELECT id FROM financing WHERE action_id = :a"),
                                    {"a": made["id"]}).scalar_one()
    assert core.get(f"/financing/{outside}/money").status_code == 200
    assert core.get(f"/financing/{elsewhere}/money").status_code == 403
    today = jalali_numeric(date.today(), persian=True)
    refused = core.post(f"/financing/{elsewhere}/money", {"kind": "committed", "on": today, "amount_rials": "5"})
    assert refused.status_code == 403
    assert client.get(f"/api/financing/{elsewhere}/disbursements").json() == []
