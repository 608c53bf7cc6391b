"""Competitions in real headless Chromium: a juror goes from /home to the event and scores
each entry on each criterion on their own form; once scoring has closed, the organiser (a
planner) goes from /home to the results and adopts the winner, which becomes the place's
roadmap while the other entry goes to the past plans; then publishes the adopted map, and
a citizen reads it without signing in. Screenshots go to test-artifacts/workspace/."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import text

from spatial.db.engine import session_scope
from spatial.planning import contests
from spatial.planning.history import LocalEditor
from tests.contests.helpers import run_to_scoring, to_results
from tests.workspace.conftest import Browser

#: The event is run through the pages, which commit: its rows go after it (an adopted map is a past plan).
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("leaves_no_rows")]

TARGET = "IR-15-03"


def submit(tab: Browser, selector: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(f"{selector} button[type=submit]")


def test_a_juror_scores_on_their_form_and_the_organiser_adopts_the_winner(new_tab: Callable[..., Browser]) -> None:
    title = f"طلوع پیشرفت {uuid.uuid4().hex[:6]}"
    contest = run_to_scoring(title, (TARGET,), ["demo-viewer", "demo-analyst"],
                             [(TARGET, "گروه جهادی الف"), (TARGET, "تشکل دانشجویی ب")])
    first, second = contest["entries"]
    criteria = [c["id"] for c in contest["criteria"]]

    juror = new_tab()
    juror.page.set_default_timeout(90_000)  # eight engineers' suites share two cores
    juror.sign_in("demo-viewer")
    juror.open("/home")
    juror.page.click("[data-testid=nav-contests]")
    juror.page.click(f"[data-testid=contest-list] a:has-text('{title}')")
    juror.page.click("[data-testid=score-link]")
    for entry, scores in ((first, ("۹۰", "۸۰")), (second, ("60", "70"))):
        for criterion, score in zip(criteria, scores, strict=True):
            juror.page.fill(f"input[name='score.{entry['id']}.{criterion}']", score)
    juror.screenshot("contest-score-form-fa")
    submit(juror, "[data-testid=score-form]")
    assert juror.page.locator("[data-testid=saved]").is_visible()
    assert juror.page.input_value(f"input[name='score.{first['id']}.{criteria[0]}']") == "۹۰"
    with session_scope() as session:
        mine = contests.juror_scores(session, contest["id"], "demo-viewer")
        # The other juror scores too; neither sees the other's scores before closing.
        contests.score_entry(session, first["id"], {criteria[0]: 70, criteria[1]: 70}, LocalEditor("demo-analyst"))
        contests.score_entry(session, second["id"], {criteria[0]: 80, criteria[1]: 50}, LocalEditor("demo-analyst"))
    assert mine == {first["id"]: {criteria[0]: 90.0, criteria[1]: 80.0},
                    second["id"]: {criteria[0]: 60.0, criteria[1]: 70.0}}
    juror.page.reload()
    assert juror.page.input_value(f"input[name='score.{second['id']}.{criteria[0]}']") == "۶۰"
    assert "۸۰" not in juror.page.input_value(f"input[name='score.{second['id']}.{criteria[0]}']")

    to_results(contest["id"])
    organiser = new_tab()
    organiser.page.set_default_timeout(90_000)
    organiser.sign_in("demo-planner")
    organiser.open("/home")
    organiser.page.click("[data-testid=nav-contests]")
    organiser.page.click(f"[data-testid=contest-list] a:has-text('{title}')")
    # first: (2·80 + 75)/3 = 78.33; second: (2·70 + 60)/3 = 66.67
    rows = organiser.page.locator(f"[data-testid=results-{TARGET}] tbody tr")
    assert "گروه جهادی الف" in rows.nth(0).inner_text() and "۷۸٫۳۳" in rows.nth(0).inner_text()
    organiser.screenshot("contest-results-fa")
    submit(organiser, f"[data-testid=adopt-{first['id']}]")
    assert organiser.page.locator("[data-testid^=adopt-]").count() == 0
    assert "در بانک طرح‌های گذشته" in organiser.page.locator(f"[data-testid=result-{second['id']}]").inner_text()
    organiser.screenshot("contest-adopted-fa")
    with session_scope() as session:
        status = session.execute(text("SELECT status FROM roadmap WHERE id = :id"),
                                 {"id": first["roadmap_id"]}).scalar_one()
        plan = session.execute(text("""SELECT p.outcome, p.lessons FROM contest_entry e JOIN past_plan p
                                       ON p.id = e.past_plan_id WHERE e.id = :id"""), {"id": second["id"]}).one()
    assert status == "approved" and plan.outcome == "not_adopted" and "۶۶٫۷" in plan.lessons

    # The adopted map, from the results to its page; published there, read by a citizen.
    organiser.page.click(f"[data-testid=result-{first['id']}] a")
    submit(organiser, "[data-testid=publish-form]")
    organiser.page.click("[data-testid=public-page]")
    citizen = new_tab()
    citizen.open(organiser.page.url.removeprefix(organiser.base_url))
    assert "اقدام گروه جهادی الف" in citizen.text()
    assert citizen.page.locator("[data-testid=sign-in]").is_visible()
    citizen.screenshot("watch-fa")
