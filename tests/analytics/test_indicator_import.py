"""Importing indicator values from census-style CSV files: clear errors, nothing half-written."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput, NotFound
from spatial.analytics.indicators import define_indicator, import_csv, list_indicators, values_by_unit
from spatial.analytics.target_community import target_community

YOUTH = {"code": "unemployed_youth_test", "name_fa": "جوانان بیکار", "name_en": "Unemployed youth",
         "domain": "target_community", "direction": "higher_is_worse", "rollup": "sum",
         "unit_of_measure": "people", "meta": {"group": "test_unemployed", "class": "youth"}}
WOMEN = {**YOUTH, "code": "unemployed_women_test", "name_fa": "زنان بیکار", "name_en": "Unemployed women",
         "meta": {"group": "test_unemployed", "class": "women"}}


@pytest.fixture
def defined(session: Session) -> None:
    define_indicator(session, YOUTH)
    define_indicator(session, WOMEN)


def _hoods(session: Session, county: str = "IR-15-01") -> list[str]:
    return list(session.execute(text("""SELECT n.code FROM admin_unit n JOIN admin_unit c ON c.id = n.parent_id
                                        WHERE c.code = :c ORDER BY n.code"""), {"c": county}).scalars())


def _count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM indicator_value")).scalar() or 0)


def test_import_writes_values_and_rolls_them_up(session: Session, defined: None) -> None:
    hoods = _hoods(session)
    rows = "\n".join(f"{code},2024,{10 * i},{i}" for i, code in enumerate(hoods, start=1))
    summary = import_csv(session, f"unit_code,period,unemployed_youth_test,unemployed_women_test\n{rows}\n")
    assert summary == {"rows": len(hoods), "values": 2 * len(hoods), "level": "neighbourhood", "periods": ["2024"],
                       "indicators": ["unemployed_youth_test", "unemployed_women_test"]}
    _, county = values_by_unit(session, "unemployed_youth_test", "county", "2024", "IR-15")
    assert county["IR-15-01"] == sum(10 * i for i in range(1, len(hoods) + 1))


def test_reimport_replaces_values_and_refreshes_parents(session: Session, defined: None) -> None:
    hood = _hoods(session)[0]
    import_csv(session, f"unit_code,period,unemployed_youth_test\n{hood},2024,5\n")
    import_csv(session, f"unit_code,period,unemployed_youth_test\n{hood},2024,7\n")
    _, county = values_by_unit(session, "unemployed_youth_test", "county", "2024", "IR-15")
    assert county["IR-15-01"] == 7


def test_empty_cells_are_missing_values(session: Session, defined: None) -> None:
    a, b = _hoods(session)[:2]
    summary = import_csv(session, f"unit_code,period,unemployed_youth_test,unemployed_women_test\n{a},2024,5,\n"
                                  f"{b},2024,,3\n")
    assert summary["values"] == 2


@pytest.mark.parametrize(("body", "error", "message"), [
    ("unit_code,period,unemployed_youth_test\n,2024,5\n", InvalidInput, "unit_code is empty on line.*2"),
    ("unit_code,period,unemployed_youth_test\n{a},2024,5\n{b},2024,6\n{a},2024,7\n", InvalidInput,
     "appear more than once.*lines 2, 4"),
    ("unit_code,period,unemployed_youth_test\nIR-99-99-999,2024,5\n", NotFound, "unknown unit code.*IR-99-99-999"),
    ("unit_code,period,no_such_indicator\n{a},2024,5\n", NotFound, "no_such_indicator"),
    ("unit_code,period,unemployed_youth_test\n{a},2024,lots\n", InvalidInput, "line 2.*'lots' is not a number"),
    ("code,year,unemployed_youth_test\n{a},2024,5\n", InvalidInput, "unit_code"),
    ("unit_code,period,unemployed_youth_test\n{a},2024,5\nIR-15-01,2024,6\n", InvalidInput, "mix levels"),
    ("unit_code,period,unemployed_youth_test\n", InvalidInput, "no rows"),
])
def test_bad_csv_is_refused_and_nothing_is_written(session: Session, defined: None, body: str, error: type,
                                                   message: str) -> None:
    a, b = _hoods(session)[:2]
    before = _count(session)
    with pytest.raises(error, match=message):
        import_csv(session, body.format(a=a, b=b), filename="census.csv")
    assert _count(session) == before


def test_target_community_counts_and_shares_by_class(session: Session, defined: None) -> None:
    hood = _hoods(session)[0]
    import_csv(session, f"unit_code,period,unemployed_youth_test,unemployed_women_test\n{hood},2024,30,20\n")
    population = session.execute(text("SELECT population FROM admin_unit WHERE code = :c"), {"c": hood}).scalar()
    result = target_community(session, hood)
    group = result["groups"]["test_unemployed"]
    assert result["period"] == "2024" and group["count"] == 50
    assert group["share"] == pytest.approx(50 / population)
    assert {c["class"]: c["count"] for c in group["classes"]} == {"youth": 30, "women": 20}


def test_indicator_definitions_are_validated(session: Session) -> None:
    with pytest.raises(InvalidInput, match="domain"):
        define_indicator(session, {**YOUTH, "domain": "weather"})
    with pytest.raises(InvalidInput, match="code"):
        define_indicator(session, {**YOUTH, "code": "Bad Code"})


def test_list_indicators_filters_by_domain(session: Session) -> None:
    codes = {i["code"] for i in list_indicators(session, "capacity")}
    assert "literacy_rate" in codes and "unemployment_rate" not in codes
