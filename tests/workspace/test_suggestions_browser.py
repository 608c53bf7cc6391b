"""A planner opens a county, takes the draft, drops a capacity, adds two actions that worked in
a place like it and saves, in real headless Chromium; the roadmap page shows where each item
came from. Then a consolidation of that place's past plans, side by side."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from spatial.db.engine import session_scope
from spatial.jalali import jalali_numeric
from spatial.messages import t
from spatial.planning.history import LocalEditor
from spatial.planning.past_plans import create_past_plan, delete_past_plan
from spatial.planning.roadmap_inputs import ActionIn, FinancingIn, PastPlanIn, RoadmapIn
from spatial.planning.roadmaps import create_action, create_roadmap, delete_roadmap
from spatial.planning.similar import level_profile
from tests.workspace.conftest import Browser
from tests.workspace.planning import unique

pytestmark = pytest.mark.browser

#: The county the planner opens, and the county given a near-identical profile with actions that worked.
COUNTY, MODEL = "IR-15-08", "IR-15-05"
EDITOR = LocalEditor("demo")


@pytest.fixture
def place_like_it(live_server: str) -> Iterator[dict[str, Any]]:
    """COUNTY gets MODEL's indicators (within a thousandth); MODEL a roadmap with two done actions
    and three past plans. All of it undone afterwards (the deleted roadmap stays in the history)."""
    with session_scope() as session:
        period = level_profile(session, "county").period  # type: ignore[union-attr]
        saved = session.execute(text(
            """SELECT v.indicator_id, v.period, v.value FROM indicator_value v JOIN admin_unit u ON u.id = v.unit_id
               WHERE u.code = :c AND u.valid_to IS NULL AND v.period = :p"""), {"c": COUNTY, "p": period}).all()
        session.execute(text(
            """UPDATE indicator_value b SET value = a.value * 1.001
               FROM indicator_value a, admin_unit ua, admin_unit ub
               WHERE ua.code = :s AND ub.code = :t AND ua.valid_to IS NULL AND ub.valid_to IS NULL
                 AND a.unit_id = ua.id AND b.unit_id = ub.id AND a.indicator_id = b.indicator_id
                 AND a.period = b.period AND a.period = :p"""), {"s": MODEL, "t": COUNTY, "p": period})
        start = date.today() - timedelta(days=400)
        roadmap = create_roadmap(session, RoadmapIn(unit=MODEL, title=unique("نقشه راه الگو"), start_date=start,
                                                    end_date=start + timedelta(days=4 * 365)), EDITOR)
        titles = [unique("تعاونی زعفران"), unique("بازارچه صنایع دستی")]
        for title, sector in zip(titles, ("agriculture", "handicrafts"), strict=True):
            create_action(session, ActionIn(roadmap_id=roadmap["id"], title=title, sector=sector, status="done",
                                            financing=[FinancingIn(source="sponsor", amount_rials=3_000_000_000)]),
                          EDITOR)
        plans = [create_past_plan(session, PastPlanIn(title=unique(name), unit=MODEL, sector="water", outcome=outcome,
                                                      lessons=f"درس {name}"), EDITOR)["id"]
                 for name, outcome in (("همیاران آب", "succeeded"), ("قنات", "partial"), ("آب‌بندان", "failed"))]
    yield {"roadmap": roadmap, "actions": titles, "plans": plans}
    with session_scope() as session:
        delete_roadmap(session, roadmap["id"], EDITOR)
        for plan in plans:
            delete_past_plan(session, plan, EDITOR)
        for indicator_id, period, value in saved:
            session.execute(text(
                """UPDATE indicator_value v SET value = :v FROM admin_unit u WHERE u.code = :c AND u.valid_to IS NULL
                   AND v.unit_id = u.id AND v.indicator_id = :i AND v.period = :p"""),
                {"v": value, "c": COUNTY, "i": indicator_id, "p": period})


def click(tab: Browser, selector: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(selector)


def test_a_planner_takes_the_draft_and_two_actions_of_a_place_like_it(tab: Browser,
                                                                       place_like_it: dict[str, Any]) -> None:
    title = unique("نقشه راه از شواهد و جاهای مشابه")
    tab.sign_in("demo-planner")
    tab.open(f"/units/{COUNTY}")
    click(tab, "[data-testid=new-roadmap]")
    click(tab, "[data-testid=take-draft]")
    # The place like it, with the indicators that made it similar, and what worked there.
    assert tab.page.locator("[data-testid=similar-place]").count() >= 1
    suggestions = tab.page.locator("[data-testid=suggestion]")
    offered = suggestions.all_inner_texts()
    assert all(any(name in line for line in offered[:3]) for name in place_like_it["actions"])
    capacities = tab.page.locator("[data-lines=cap] input[name=cap_text]")
    taken = [text for text in (capacities.nth(i).input_value() for i in range(capacities.count())) if text]
    assert len(taken) >= 2
    # Drop the first capacity; tick the two actions of the model county.
    tab.page.locator("[data-lines=cap] select[name=cap_indicator]").first.select_option("")
    capacities.first.fill("")
    for name in place_like_it["actions"]:
        suggestions.filter(has_text=name).locator("input[name=suggested]").check()
    tab.page.fill("input[name=title]", title)
    tab.page.fill("input[name=start_date]", jalali_numeric(date.today(), persian=True))
    tab.page.fill("input[name=end_date]", jalali_numeric(date.today() + timedelta(days=3 * 365), persian=True))
    click(tab, "[data-testid=roadmap-form] button[type=submit]")
    assert re.search(r"/roadmaps/\d+$", tab.page.url) and title in tab.page.inner_text("h1")
    # Every item says where it came from: the draft's lines their analysis and figure, the actions their place.
    kept = tab.page.locator("section.card", has=tab.page.locator("h2", has_text=t("rm.capacities"))).locator("li")
    assert kept.count() == len(taken) - 1
    assert all(t("draft.source.sibling_rank") in line for line in kept.all_inner_texts())
    sources = tab.page.locator("[data-testid=action-source]")
    assert sources.count() == 2
    lines = sources.all_inner_texts()
    for name in place_like_it["actions"]:
        assert any(name in line and t("similar.from") in line and t("source.action") in line for line in lines)
    links = sources.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert all(f"/roadmaps/{place_like_it['roadmap']['id']}#action-" in link for link in links)
    assert tab.errors == [] and tab.outside == []


def test_a_planner_consolidates_three_past_plans_side_by_side(tab: Browser, place_like_it: dict[str, Any]) -> None:
    title = unique("نقشه راه اجماع")
    tab.sign_in("demo-planner")
    tab.open(f"/units/{MODEL}")
    click(tab, "[data-testid=consolidate-link]")
    for plan in place_like_it["plans"]:
        tab.page.check(f"input[name=plan][value='{plan}']")
    click(tab, "[data-testid=compare]")
    assert tab.page.locator("[data-testid=column]").count() == 3
    tab.page.locator("[data-testid=keep-plan]").first.check()
    tab.page.fill("[data-testid=consolidation-form] input[name=title]", title)
    tab.page.fill("input[name=start_date]", jalali_numeric(date.today(), persian=True))
    tab.page.fill("input[name=end_date]", jalali_numeric(date.today() + timedelta(days=3 * 365), persian=True))
    click(tab, "[data-testid=consolidation-form] button[type=submit]")
    assert re.search(r"/roadmaps/\d+$", tab.page.url) and title in tab.page.inner_text("h1")
    assert tab.page.locator("[data-testid=roadmap-sources] [data-testid=source]").count() == 3
    click(tab, "[data-testid=history-link]")
    # The history names the three past plans the roadmap was made from (and the one its action came from).
    made_from = tab.page.locator("[data-testid=history-sources]")
    assert all(t("history.sources") in line for line in made_from.all_inner_texts())
    links = made_from.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {f"/past-plans/{plan}" for plan in place_like_it["plans"]} <= set(links)
    assert tab.errors == [] and tab.outside == []
