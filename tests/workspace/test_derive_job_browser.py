"""A derivation job's page in real headless Chromium: the progress bar of a job under way,
in Persian, and its cancel button. Screenshots go to test-artifacts/workspace/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from spatial.analytics import jobs
from spatial.db.engine import session_scope
from spatial.messages import t
from tests.workspace.conftest import Browser

pytestmark = pytest.mark.browser


@pytest.fixture
def running_job(live_server: str) -> Iterator[int]:
    """A job 3 parts into 8, as the process running it would have written (none runs it here)."""
    with session_scope() as session:
        job_id = jobs.start_job(session, "browser_count", {"layer": "none", "level": "neighbourhood",
                                                           "method": "count"}, "demo-analyst")
        session.execute(text("UPDATE derivation_job SET state = 'running', done = 3, total = 8 WHERE id = :id"),
                        {"id": job_id})
    yield job_id
    with session_scope() as session:
        session.execute(text("DELETE FROM derivation_job WHERE id = :id"), {"id": job_id})


def test_an_analyst_sees_the_progress_bar_of_a_derivation_and_cancels_it(tab: Browser, running_job: int) -> None:
    tab.sign_in("demo-analyst")
    tab.open(f"/indicators/derive/jobs/{running_job}")
    bar = tab.page.locator("[data-testid=derive-job-progress]")
    assert bar.get_attribute("value") == "3" and bar.get_attribute("max") == "8"
    assert t("derive.job.progress", "fa", done="۳", total="۸") in tab.text()
    tab.screenshot("derive-job-fa")
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=derive-job-cancel] button[type=submit]")
    assert t("derive.job.cancelling", "fa") in tab.text()
    with session_scope() as session:
        assert jobs.job_state(session, running_job)["cancel_requested"]
    assert tab.errors == []
