"""In Chromium: refreshing the page a new partner key was shown on, and double-clicking
"save" on a new roadmap, each make one object; the refreshed page shows the key list
without the secret."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from spatial.db.engine import session_scope
from tests.workspace.conftest import Browser


def rows(sql: str, **params: str) -> int:
    with session_scope() as session:
        return int(session.execute(text(sql), params).scalar_one())


def test_refreshing_the_new_key_page_makes_no_second_key_and_hides_the_secret(tab: Browser) -> None:
    partner = f"refresh-{uuid.uuid4().hex[:6]}"
    tab.sign_in("demo-admin")
    tab.open("/admin/keys")
    tab.page.fill("input[name=partner]", partner)
    tab.page.fill("input[name=collections]", "provinces")
    tab.page.fill("input[name=rate]", "5/s")
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=new-key-form] button[type=submit]")
    key = tab.page.inner_text("[data-testid=new-key]")
    tab.page.reload()  # the browser sends the same form again
    assert tab.page.url.endswith("/admin/keys")
    assert key not in tab.text() and tab.page.locator("[data-testid=new-key]").count() == 0
    assert rows("SELECT count(*) FROM api_key WHERE partner = :p", p=partner) == 1
    assert tab.errors == []


def test_the_same_roadmap_form_sent_twice_at_once_makes_one_roadmap(tab: Browser) -> None:
    """Chromium itself drops a second click while the first send is under way, so the page
    sends its form twice at once with fetch — as a slow network's resend would."""
    title = f"نقشه راه دوبار فرستاده {uuid.uuid4().hex[:6]}"
    tab.sign_in("demo-planner")
    tab.open("/roadmaps/new?unit=IR-15-03")
    form = "[data-testid=roadmap-form]"
    tab.page.fill(f"{form} input[name=title]", title)
    tab.page.fill(f"{form} input[name=start_date]", "1405/01/15")
    tab.page.fill(f"{form} input[name=end_date]", "1408/12/29")
    landed = tab.page.evaluate("""(selector) => {
        const form = document.querySelector(selector);
        const send = () => fetch(form.action, {method: "POST", body: new FormData(form)}).then(r => r.url);
        return Promise.all([send(), send()]);
    }""", form)
    assert landed[0] == landed[1] and "/roadmaps/" in landed[0]  # both led to the one roadmap's page
    assert rows("SELECT count(*) FROM roadmap WHERE title = :t", t=title) == 1
