"""A planner opens a county, takes the roadmap draft from the evidence, drops a capacity and saves,
in real headless Chromium; the roadmap keeps each line's source and figure."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from spatial.jalali import jalali_numeric
from spatial.messages import t
from tests.workspace.conftest import Browser
from tests.workspace.planning import unique

pytestmark = pytest.mark.browser

COUNTY = "IR-15-05"


def click(tab: Browser, selector: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(selector)


def test_a_planner_takes_the_draft_drops_a_capacity_and_saves(tab: Browser) -> None:
    title = unique("نقشه راه از شواهد")
    tab.sign_in("demo-planner")
    tab.open(f"/units/{COUNTY}")
    click(tab, "[data-testid=new-roadmap]")
    click(tab, "[data-testid=take-draft]")
    assert tab.page.input_value("input[name=unit]") == COUNTY
    capacities = tab.page.locator("[data-lines=cap] input[name=cap_text]")
    taken = [capacities.nth(i).input_value() for i in range(capacities.count())]
    taken = [text for text in taken if text]
    assert len(taken) >= 2 and all(t("draft.source.sibling_rank") in text for text in taken)
    assert tab.page.locator("[data-testid=draft-source]").count() >= len(taken)  # source and figure beside each
    assert tab.page.input_value("textarea[name=strategies]")  # one strategy line per advantage
    # Drop the first capacity: its indicator and its words.
    tab.page.locator("[data-lines=cap] select[name=cap_indicator]").first.select_option("")
    capacities.first.fill("")
    tab.page.fill("input[name=title]", title)
    tab.page.fill("input[name=start_date]", jalali_numeric(date.today(), persian=True))
    tab.page.fill("input[name=end_date]", jalali_numeric(date.today() + timedelta(days=3 * 365), persian=True))
    click(tab, "[data-testid=roadmap-form] button[type=submit]")
    assert re.search(r"/roadmaps/\d+$", tab.page.url) and title in tab.page.inner_text("h1")
    kept = tab.page.locator("section.card", has=tab.page.locator("h2", has_text=t("rm.capacities"))).locator("li")
    assert kept.count() == len(taken) - 1
    assert all(text in kept.all_inner_texts()[i] for i, text in enumerate(taken[1:]))
    assert t("draft.source.location_quotient") in tab.page.inner_text("main")
    assert tab.errors == [] and tab.outside == []
