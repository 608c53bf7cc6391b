"""Roll-up through the real hierarchy, checked on random values (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.indicators import define_indicator, roll_up, values_by_unit

PROVINCE = "IR-15"


@pytest.fixture
def leaves(session: Session) -> list[str]:
    return list(session.execute(text(
        """SELECT n.code FROM admin_unit n JOIN admin_unit c ON c.id = n.parent_id JOIN admin_unit p ON p.id = c.parent_id
           WHERE p.code = :p ORDER BY n.code"""), {"p": PROVINCE}).scalars())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_roll_up_of_a_sum_equals_the_sum_over_leaves(session: Session, leaves: list[str], data: st.DataObject) -> None:
    values = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=len(leaves),
                                max_size=len(leaves)))
    savepoint = session.begin_nested()
    try:
        indicator = define_indicator(session, {"code": "prop_count", "name_fa": "x", "name_en": "x",
                                               "domain": "context", "direction": "higher_is_better", "rollup": "sum"})
        session.execute(
            text("""INSERT INTO indicator_value (indicator_id, unit_id, period, value)
                    SELECT :ind, u.id, '2024', t.v FROM unnest(CAST(:codes AS text[]), CAST(:vals AS float8[])) t(c, v)
                    JOIN admin_unit u ON u.code = t.c"""),
            {"ind": indicator, "codes": leaves, "vals": values})
        roll_up(session, "prop_count", "2024")
        _, counties = values_by_unit(session, "prop_count", "county", "2024", PROVINCE)
        _, provinces = values_by_unit(session, "prop_count", "province", "2024")
        by_county: dict[str, float] = {}
        for code, value in zip(leaves, values, strict=True):
            if value is not None:
                by_county[code.rsplit("-", 1)[0]] = by_county.get(code.rsplit("-", 1)[0], 0) + value
        assert {c: v for c, v in counties.items() if v is not None} == by_county
        assert (provinces.get(PROVINCE) or 0) == sum(v for v in values if v is not None)
    finally:
        savepoint.rollback()
