"""People and corrections in real headless Chromium: the administrator starts at /home and,
clicking through the workspace, registers a person, names them responsible for a roadmap
(the picker's search box finds them), sees them on the roadmap's page, then archives one
of its actions with a reason and restores it. Screenshots go to test-artifacts/workspace/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from spatial.db.engine import session_scope
from tests.workspace.conftest import Browser
from tests.workspace.planning import fresh_action, fresh_roadmap, unique

pytestmark = pytest.mark.browser

COUNTY = "IR-15-05"


def submit(tab: Browser, form: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(f"[data-testid={form}] button[type=submit]")


def test_the_admin_adds_a_person_names_them_responsible_and_archives_then_restores_an_action(tab: Browser) -> None:
    title = unique("نقشه راه مسئول‌دار")
    roadmap_id = fresh_roadmap(COUNTY, title)
    action = fresh_action(roadmap_id)
    name = unique("مریم کرمانی")

    # Generous waits: eight engineers' test suites share this machine's two cores.
    tab.page.set_default_timeout(90_000)
    tab.sign_in("demo-admin")
    tab.open("/home")
    # A person, from the work navigation.
    tab.page.click("[data-testid=nav-people]")
    tab.page.click("[data-testid=new-person]")
    tab.page.fill("input[name=name]", name)
    tab.page.fill("input[name=role]", "مسئول توسعه شهرستان")
    tab.page.fill("input[name=unit]", COUNTY)
    tab.page.fill("input[name=phone]", "۰۹۱۳ ۱۲۳ ۴۵۶۷")
    tab.page.fill("input[name=email]", "maryam@example.org")
    tab.screenshot("person-form-fa")
    submit(tab, "person-form")
    assert re.search(r"/people/\d+$", tab.page.url), tab.page.url
    assert name in tab.text() and "maryam@example.org" in tab.text()
    person_id = int(tab.page.url.rsplit("/", 1)[1])
    tab.screenshot("person-fa")

    # Named responsible on the roadmap's edit form, found with the picker's search box.
    tab.page.click("[data-testid=nav-roadmaps]")
    tab.page.click(f"[data-testid=roadmap-list] a:has-text('{title}')")
    tab.page.click("[data-testid=edit-roadmap]")
    tab.page.wait_for_load_state("load")  # the picker's script runs once the page has loaded
    tab.page.fill("[data-testid=search-responsible_person_id]", name.split()[-1])
    expect(tab.page.locator("select[name=responsible_person_id]")).to_have_value(str(person_id))
    submit(tab, "roadmap-form")
    assert tab.page.url.endswith(f"/roadmaps/{roadmap_id}")
    responsible = tab.page.locator("[data-testid=responsible] a")
    assert responsible.inner_text() == name
    assert responsible.get_attribute("href") == f"/people/{person_id}"
    tab.screenshot("roadmap-with-responsible-fa")

    # The action archived with a reason: gone from the roadmap, listed as archived with the reason.
    article = tab.page.locator(f"#action-{action['id']}")
    article.locator("[data-testid=archive-action] summary").click()
    article.locator("[data-testid=archive-action] textarea[name=reason]").fill("دو بار ثبت شده بود")
    with tab.page.expect_navigation():
        article.locator("[data-testid=archive-action] button[type=submit]").click()
    assert tab.page.locator(f"#action-{action['id']}").count() == 0
    archived = tab.page.locator("[data-testid=archived-action]")
    assert action["title"] in archived.inner_text() and "دو بار ثبت شده بود" in archived.inner_text()
    tab.screenshot("roadmap-action-archived-fa")
    with session_scope() as session:
        row = session.execute(text("SELECT author, reason FROM history WHERE entity = 'action' AND entity_id = :id "
                                   "AND operation = 'archive'"), {"id": action["id"]}).one()
    assert tuple(row) == ("demo-admin", "دو بار ثبت شده بود")

    # Restored by the administrator: back among the roadmap's actions.
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=restore-action]")
    assert tab.page.locator(f"#action-{action['id']}").count() == 1
    assert tab.page.locator("[data-testid=archived-actions]").count() == 0
    # The history says who archived it and why.
    tab.page.click("[data-testid=history-link]")
    assert "دو بار ثبت شده بود" in tab.page.locator("[data-testid=history]").inner_text()
    tab.screenshot("history-archive-restore-fa")
    assert not tab.errors and not tab.outside
