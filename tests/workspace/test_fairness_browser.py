"""The fair-distribution page in real headless Chromium: reached from home (where the demo
planner's inbox lists their late actions) by clicking, it draws its three charts (trend of
Gini and Theil, Lorenz curve, deprived fifths) in Persian with Jalali years, and its table
shows the Gini of ``spatial_stats.inequality`` per period; choosing the money disbursed per
head draws its charts too."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.fairness import NATION
from spatial.analytics.spatial_stats import inequality
from spatial.db.engine import session_scope
from spatial.jalali import format_number
from spatial.planning.monitor import record_disbursement
from spatial.planning.roadmap_inputs import ActionIn, FinancingIn
from spatial.planning.roadmaps import create_action
from tests.workspace.conftest import ARTIFACTS, Browser
from tests.workspace.planning import EDITOR, fresh_roadmap

pytestmark = pytest.mark.browser

CHARTS = 3


@pytest.fixture
def money_paid() -> Iterator[None]:
    """Money disbursed in two Jalali years on an action of a county (committed for the browser's
    server to see; the roadmap, its money and its history are deleted after the test)."""
    roadmap = fresh_roadmap("IR-15-01", "نقشه راه پول سرانه")
    try:
        with session_scope() as session:
            action = create_action(session, ActionIn(
                roadmap_id=roadmap, title="اقدام پول سرانه", start_date=date.today() - timedelta(days=400),
                end_date=date.today() + timedelta(days=400),
                financing=[FinancingIn(source="sponsor", amount_rials=10**11)]), EDITOR)
            line = session.execute(text("SELECT id FROM financing WHERE action_id = :a"), {"a": action["id"]}).scalar_one()
            for day in (date.today() - timedelta(days=380), date.today() - timedelta(days=10)):
                record_disbursement(session, line, "disbursed", day, 5_000_000_000, EDITOR)
        yield
    finally:
        with session_scope() as session:
            session.execute(text("DELETE FROM history WHERE roadmap_id = :r"), {"r": roadmap})
            session.execute(text("DELETE FROM roadmap WHERE id = :r"), {"r": roadmap})


def test_a_planner_reaches_the_fairness_page_from_home_and_sees_its_charts(tab: Browser, session: Session,
                                                                           money_paid: None) -> None:
    tab.sign_in("demo-planner")
    tab.open("/home")
    # The demo planner is the demo's county officer: their inbox lists their late actions.
    assert tab.page.locator("[data-testid=inbox-late] li").count() >= 1
    tab.page.locator("[data-testid=inbox]").screenshot(path=str(ARTIFACTS / "home-inbox-fa.png"))
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=fairness-link]")
    assert tab.page.url.endswith(f"/monitor/{NATION}/fairness")
    tab.page.wait_for_function(f"document.querySelectorAll('[data-chart][data-drawn]').length === {CHARTS}",
                               timeout=20_000)
    assert tab.page.locator("[data-chart][data-drawn=true]").count() == CHARTS, tab.page.evaluate(
        "[...document.querySelectorAll('[data-chart]')].map(e => e.title)")
    trend, lorenz, fifths = tab.page.locator("[data-chart]").all()
    assert trend.locator("svg .mark-line path").count() >= 4  # Gini, Theil, between, within
    assert lorenz.locator("svg .mark-line path").count() >= 2  # the curve and the line of equality
    words = list(trend.evaluate("el => [...el.querySelectorAll('svg text')].map(t => t.textContent)"))
    assert "۱۴۰۲" in words and "۱۴۰۳" in words and not any(re.search(r"[0-9]", w) for w in words)

    area = tab.page.locator("[data-testid=charts]")
    png = area.screenshot(path=str(ARTIFACTS / "fairness-charts-fa.png"))
    colours = Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20  # drawn lines and words, not a blank card

    indicator = tab.page.input_value("select[name=indicator]")
    for period in ("2023", "2024"):
        expected = inequality(session, indicator, "county", period)["gini"]
        shown = tab.page.inner_text(f"tr[data-period='{period}'] [data-testid=gini]")
        assert shown == format_number(expected, "fa", 3)
    tab.screenshot("fairness-fa")

    # The money disbursed per head, beside the indicators: its charts are drawn as well.
    tab.page.select_option("select[name=indicator]", "money_per_head")
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=fairness-form] button[type=submit]")
    tab.page.wait_for_function(f"document.querySelectorAll('[data-chart][data-drawn]').length === {CHARTS}",
                               timeout=20_000)
    assert tab.page.locator("[data-chart][data-drawn=true]").count() == CHARTS
    assert tab.page.locator("[data-testid=money-about]").count() == 1
    assert tab.page.locator("[data-chart]").first.locator("svg .mark-line path").count() >= 4
    png = tab.page.locator("[data-testid=charts]").screenshot(path=str(ARTIFACTS / "fairness-money-fa.png"))
    colours = Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20
    assert tab.errors == [] and tab.outside == []


def test_the_unit_page_links_to_its_fairness_page(tab: Browser) -> None:
    tab.open("/units/IR-15")
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=fairness-page]")
    assert tab.page.url.endswith("/monitor/IR-15/fairness")
    tab.page.wait_for_function(f"document.querySelectorAll('[data-chart][data-drawn=true]').length === {CHARTS}",
                               timeout=20_000)
    assert tab.page.locator("select[name=level]").input_value() == "neighbourhood"
    assert tab.errors == [] and tab.outside == []
