"""The journey's forms refuse, in the page's language and with nothing written, what their
sender may not do: a core member moving a stage or reviewing a draft, a planner scoring in a
round that does not name them, a move the journey does not allow; and every journey page
answers in Persian with Jalali days."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from spatial.accounts.tokens import issue_token
from spatial.db.engine import session_scope
from spatial.messages import t

Headers = Callable[[str], dict[str, str]]
COUNTY = "IR-15-03"

#: The API and the pages commit: each test's rows go after it, so order does not matter.
pytestmark = pytest.mark.usefixtures("leaves_no_rows")


@pytest.fixture(scope="module")
def as_user(database_url: str) -> Headers:
    """Bearer headers for a demo account (API clients post forms without the CSRF token)."""
    return lambda username: {"Authorization": f"Bearer {issue_token(username)}"}


def count(sql: str, **params: Any) -> int:
    with session_scope() as session:
        return int(session.execute(text(sql), params).scalar_one())


@pytest.fixture
def core(client: TestClient) -> int:
    """A new identified core in the county."""
    made = client.post("/api/cores", json={"name": f"هسته {uuid.uuid4().hex[:6]}", "unit": COUNTY,
                                           "stage": "identified"})
    return int(made.json()["id"])


def test_a_core_member_may_not_move_a_stage_nor_review(client: TestClient, as_user: Headers, core: int) -> None:
    before = count("SELECT count(*) FROM core_stage_event WHERE core_id = :c", c=core)
    moved = client.post(f"/cores/{core}/stage", headers=as_user("demo-core"), data={"to": "paused", "reason": "x"})
    assert moved.status_code == 403 and t("refusal.organisers_only") in moved.text
    assert count("SELECT count(*) FROM core_stage_event WHERE core_id = :c", c=core) == before


def test_a_planner_not_named_on_a_round_may_not_score_in_it(client: TestClient, as_user: Headers, core: int) -> None:
    round_id = client.post("/api/cores/rounds", json={
        "unit": "IR-15", "title": "دور آزمون", "criteria": [{"code": "c1", "name": "تعهد", "weight": 1}],
        "assessors": ["local"]}).json()["id"]
    page = client.get(f"/cores/rounds/{round_id}", headers=as_user("demo-planner"))
    assert page.status_code == 200 and 'data-testid="score-form"' not in page.text
    sent = client.post(f"/cores/rounds/{round_id}/scores", headers=as_user("demo-planner"),
                       data={"core_id": str(core), "score.c1": "۸۰"})
    assert sent.status_code == 403 and t("refusal.not_an_assessor") in sent.text
    assert count("SELECT count(*) FROM assessment_score WHERE round_id = :r", r=round_id) == 0


def test_a_move_the_journey_does_not_allow_is_refused_beside_the_field(client: TestClient, as_user: Headers,
                                                                      core: int) -> None:
    answer = client.post(f"/cores/{core}/stage", headers=as_user("demo-planner"), data={"to": "trained"})
    assert answer.status_code == 422 and t("refusal.stage_move_refused") in answer.text
    page = client.get(f"/cores/{core}")
    assert t("core_stage.identified") in page.text and t("journey.stages") in page.text


@pytest.mark.parametrize("path", ["/cores", "/cores/rounds", "/cores/courses", "/cores/rounds/new",
                                  "/cores/courses/new"])
def test_the_journey_pages_answer_in_persian(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200 and 'dir="rtl"' in answer.text


def test_the_record_card_is_a_page_and_a_pdf(client: TestClient, core: int) -> None:
    page = client.get(f"/cores/{core}/card")
    assert page.status_code == 200 and t("card.stages") in page.text
    pdf = client.get(f"/cores/{core}/card/download?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
