"""One period model: the Jalali year 1403 and the Gregorian year 2024 are one period, stored
as 2024 (the Gregorian year in which the Jalali year begins), accepted in either calendar
by the core, the API and CSV imports, and shown in Jalali on Persian pages and in Gregorian
on English ones; migration 0011 brings periods stored the other way into line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.indicators import define_indicator, import_csv, values_by_unit
from spatial.errors import InvalidInput
from spatial.periods import period_key, show_period

MIGRATION = (Path(__file__).resolve().parents[2] / "spatial" / "db" / "migrations" / "versions"
             / "0011_one_period_model.py")
SAMPLE = {"code": "period_test", "name_fa": "شاخص آزمون دوره", "name_en": "Period test", "domain": "context",
          "direction": "higher_is_better", "rollup": "sum", "unit_of_measure": "people"}
HOOD = "IR-15-01-001"


@pytest.mark.parametrize(("typed", "stored"), [("1403", "2024"), ("۱۴۰۳", "2024"), ("2024", "2024"),
                                                (" 1402 ", "2023"), ("1179", "1800"), ("bench", "bench")])
def test_a_year_in_either_calendar_is_stored_as_the_gregorian_year_the_jalali_year_begins_in(
        typed: str, stored: str) -> None:
    assert period_key(typed) == stored


def test_a_period_is_shown_in_jalali_in_persian_and_gregorian_in_english() -> None:
    assert (show_period("2024", "fa"), show_period("2024", "en")) == ("۱۴۰۳", "2024")
    assert show_period(None, "fa") == "—"


def test_an_empty_period_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        period_key("  ", field="period")
    assert refused.value.field == "period"


def _stored_periods(session: Session) -> list[tuple[str, float]]:
    return [(p, v) for p, v in session.execute(text(
        """SELECT v.period, v.value FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id
           JOIN admin_unit u ON u.id = v.unit_id WHERE i.code = 'period_test' AND u.code = :hood
           ORDER BY v.period"""), {"hood": HOOD}).all()]


def test_a_csv_of_1403_and_a_csv_of_2024_write_the_same_period(session: Session) -> None:
    define_indicator(session, SAMPLE)
    summary = import_csv(session, f"unit_code,period,period_test\n{HOOD},۱۴۰۳,5\n")
    assert summary["periods"] == ["2024"]
    import_csv(session, f"unit_code,period,period_test\n{HOOD},2024,7\n")
    assert _stored_periods(session) == [("2024", 7.0)]
    assert values_by_unit(session, "period_test", "neighbourhood", "1403")[1][HOOD] == 7.0


def test_a_csv_naming_one_year_in_both_calendars_for_a_unit_is_refused(session: Session) -> None:
    define_indicator(session, SAMPLE)
    with pytest.raises(InvalidInput, match="more than once"):
        import_csv(session, f"unit_code,period,period_test\n{HOOD},1403,5\n{HOOD},2024,6\n")
    assert _stored_periods(session) == []


def test_the_api_takes_1403_for_2024(client: TestClient) -> None:
    jalali = client.get("/api/indicators/unemployment_rate/values", params={"level": "county", "period": "1403"})
    gregorian = client.get("/api/indicators/unemployment_rate/values", params={"level": "county", "period": "2024"})
    assert jalali.status_code == 200 and jalali.json() == gregorian.json() and jalali.json()["period"] == "2024"
    upload = client.post("/api/indicators/import", files={"file": (
        "census.csv", f"unit_code,period,unemployment_rate\n{HOOD},1409,5\n", "text/csv")})
    assert upload.status_code == 200 and upload.json()["periods"] == ["2030"]
    assert client.get("/maps/units/IR-15", params={"period": "۱۴۰۳"}).status_code == 200


def test_a_derivation_for_1403_is_stored_for_2024(client: TestClient) -> None:
    slug = next(layer["slug"] for layer in client.get("/api/layers").json() if layer.get("storage") == "vector")
    answer = client.post("/api/indicators/derive", json={"layer": slug, "level": "county", "method": "count",
                                                         "code": "period_test_count", "period": "۱۴۰۳"})
    assert answer.status_code == 200 and answer.json()["period"] == "2024"
    assert client.get("/api/indicators/period_test_count").json()["periods"] == ["2024"]


def test_unit_pages_show_1403_in_persian_and_2024_in_english(client: TestClient) -> None:
    persian = client.get(f"/units/{HOOD}").text
    english = client.get(f"/units/{HOOD}", params={"lang": "en"}).text
    assert '<td class="num">۱۴۰۳</td>' in persian and "۲۰۲۴" not in persian
    assert '<td class="num">2024</td>' in english and ">1403<" not in english


def test_migration_0011_moves_jalali_periods_to_the_gregorian_year_keeping_existing_rows(session: Session) -> None:
    indicator = define_indicator(session, SAMPLE)
    unit = session.execute(text("SELECT id FROM admin_unit WHERE code = :c AND valid_to IS NULL"),
                           {"c": HOOD}).scalar_one()
    rows = [("2024", 1.0), ("۱۴۰۳", 2.0), ("1402", 3.0)]  # 1403 twins a stored 2024; 1402 stands alone
    for period, value in rows:
        session.execute(text("INSERT INTO indicator_value (indicator_id, unit_id, period, value) "
                             "VALUES (:i, :u, :p, :v)"), {"i": indicator, "u": unit, "p": period, "v": value})
    spec = importlib.util.spec_from_file_location("one_period_model", MIGRATION)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with Operations.context(MigrationContext.configure(session.connection())):
        migration.upgrade()
    assert _stored_periods(session) == [("2023", 3.0), ("2024", 1.0)]
