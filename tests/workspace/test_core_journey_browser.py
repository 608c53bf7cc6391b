"""A progress core's whole journey in real headless Chromium, by clicking from /home: the
organiser (a planner) proposes a core with two members by name and gives one of them their
account; two assessors score it in a round; it is selected, enrolled in a course and its
attendance entered until it is trained; the member drafts a county map with three actions
and submits it; the planner asks for a change (on a section and on an action); the member
revises and submits again; the planner adopts it; and the group record card shows every step
in Persian with Jalali dates, as a page and as a PDF. Screenshots go to test-artifacts/workspace/."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from spatial.db.engine import session_scope
from spatial.jalali import format_number, jalali_numeric
from spatial.messages import label, t
from spatial.planning.history import LocalEditor
from spatial.planning.people import create_person
from spatial.planning.roadmap_inputs import PersonIn
from tests.workspace.conftest import Browser
from tests.workspace.planning import unique

#: The journey is walked through the pages, which commit: each test's rows go after it.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("leaves_no_rows")]

COUNTY = "IR-15-04"


def submit(tab: Browser, form: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(f"[data-testid={form}] button[type=submit]")


def open_core(tab: Browser, name: str) -> None:
    """From /home to the core's page, by clicking."""
    tab.open("/home")
    tab.page.click("[data-testid=nav-cores]")
    tab.page.click(f"[data-testid=core-list] a:has-text('{name}')")


def persian_unique(name: str) -> str:
    """``name`` with a suffix of Persian letters no other test uses (Latin letters or digits
    beside Persian ones come back from pypdf out of their reading order)."""
    letters = "ابپتثجچحخدذرزسشص"
    return f"{name} {''.join(letters[int(c, 16)] for c in uuid.uuid4().hex[:6])}"


def no_plain(value: str) -> str:
    """Text as pypdf gives it back: without the zero-width non-joiner."""
    return value.replace("\u200c", "")


def test_a_core_goes_from_proposed_to_its_map_adopted_and_the_record_card_shows_every_step(
        new_tab: Callable[..., Browser], live_server: str) -> None:
    core_name = persian_unique("گروه جهادی شهید")
    with session_scope() as session:
        members = [create_person(session, PersonIn(name=unique(n), unit=COUNTY), LocalEditor("test-setup"))
                   for n in ("فاطمه رستمی", "حسین نادری")]
    planner, admin, member = new_tab(), new_tab(), new_tab()
    for tab, who in ((planner, "demo-planner"), (admin, "demo-admin"), (member, "demo-core")):
        tab.page.set_default_timeout(90_000)  # eight engineers' suites share two cores
        tab.sign_in(who)

    # The organiser proposes the core, with its members by name, and gives the first their account.
    planner.open("/home")
    planner.page.click("[data-testid=nav-cores]")
    planner.page.click("[data-testid=new-core]")
    planner.page.fill("input[name=name]", core_name)
    planner.page.fill("input[name=unit]", COUNTY)
    planner.page.select_option("select[name=kind]", "jihadi_group")
    planner.page.fill("textarea[name=contacts]", "پایگاه بسیج محله")
    planner.page.select_option("select[name=member_ids]", [str(m["id"]) for m in members])
    submit(planner, "core-form")
    assert re.search(r"/cores/\d+$", planner.page.url), planner.page.url
    core_id = int(planner.page.url.rsplit("/", 1)[1])
    assert planner.page.inner_text("[data-testid=core-stage]") == t("core_stage.proposed")
    planner.page.click(f"a[href='/cores/{core_id}/edit']")
    planner.page.select_option(f"select[name='account.{members[0]['id']}']", "demo-core")
    submit(planner, "core-form")
    planner.page.select_option("[data-testid=move-stage] select[name=to]", "identified")
    submit(planner, "move-stage")
    assert planner.page.inner_text("[data-testid=core-stage]") == t("core_stage.identified")

    # An assessment round with two weighted criteria and two assessors, each scoring on their own form.
    planner.page.click("[data-testid=nav-cores]")
    planner.page.click("[data-testid=nav-rounds]")
    planner.page.click("[data-testid=new-round]")
    planner.page.fill("input[name=title]", unique("ارزیابی هسته‌ها"))
    planner.page.fill("input[name=unit]", "IR-15")
    planner.page.fill("input[name=criterion_1]", "تعهد")
    planner.page.fill("input[name=weight_1]", "۳")
    planner.page.fill("input[name=criterion_2]", "شناخت محلی")
    planner.page.fill("input[name=weight_2]", "۱")
    planner.page.select_option("select[name=assessors]", ["demo-planner", "demo-admin"])
    submit(planner, "round-form")
    round_path = planner.page.url.removeprefix(live_server)
    for tab, scores in ((planner, ("۸۰", "۶۰")), (admin, ("90", "70"))):
        if tab is admin:
            tab.open("/home")
            tab.page.click("[data-testid=nav-cores]")
            tab.page.click("[data-testid=nav-rounds]")
            tab.page.click(f"a[href='{round_path}']")
        tab.page.select_option("[data-testid=score-form] select[name=core_id]", str(core_id))
        tab.page.fill("input[name='score.c1']", scores[0])
        tab.page.fill("input[name='score.c2']", scores[1])
        submit(tab, "score-form")
    planner.open(round_path)
    combined = (85 * 3 + 65 * 1) / 4  # the assessors' means (85, 65) weighted 3 : 1
    assert planner.page.inner_text(f"[data-testid=combined-{core_id}]") == format_number(combined, "fa", 2)
    planner.screenshot("journey-round-fa")

    # Selected with a reason, enrolled in a course, attendance entered: trained.
    planner.page.click(f"[data-testid=ranking] a[href='/cores/{core_id}']")
    assert planner.page.inner_text("[data-testid=core-stage]") == t("core_stage.assessed")
    planner.page.select_option("[data-testid=move-stage] select[name=to]", "selected")
    planner.page.fill("[data-testid=move-stage] textarea[name=reason]", "بیشترین امتیاز شهرستان")
    submit(planner, "move-stage")
    planner.page.click("[data-testid=nav-cores]")
    planner.page.click("[data-testid=nav-courses]")
    planner.page.click("[data-testid=new-course]")
    planner.page.fill("input[name=title]", unique("دوره تدوین نقشه پیشرفت"))
    planner.page.fill("input[name=unit]", "IR-15")
    planner.page.fill("input[name=required_sessions]", "۲")
    submit(planner, "course-form")
    planner.page.select_option("[data-testid=enrol-form] select[name=core_id]", str(core_id))
    submit(planner, "enrol-form")
    for day in ("۱۴۰۵/۰۷/۱۰", "۱۴۰۵/۰۷/۱۷"):
        planner.page.fill("[data-testid=session-form] input[name=held_on]", day)
        planner.page.fill("[data-testid=session-form] input[name=topic]", "شناخت ظرفیت‌ها")
        submit(planner, "session-form")
    for n in (1, 2):
        for box in planner.page.locator(f"[data-testid=attendance-{n}] input[type=checkbox]").all():
            box.check()
        submit(planner, f"attendance-{n}")
    planner.screenshot("journey-course-fa")
    open_core(planner, core_name)
    assert planner.page.inner_text("[data-testid=core-stage]") == t("core_stage.trained")

    # The member drafts the county's map with three actions and submits it.
    map_title = unique("نقشه پیشرفت شهرستان")
    open_core(member, core_name)
    member.page.fill("[data-testid=start-draft] input[name=unit]", COUNTY)
    member.page.fill("[data-testid=start-draft] input[name=title]", map_title)
    member.page.fill("[data-testid=start-draft] input[name=start_date]", "۱۴۰۵/۱۰/۰۱")
    member.page.fill("[data-testid=start-draft] input[name=end_date]", "۱۴۰۸/۱۰/۰۱")
    submit(member, "start-draft")
    draft_path = member.page.url.removeprefix(live_server)
    member.page.click("[data-testid=open-map]")
    actions = ["کارگاه فرش دستباف", "گلخانه خانگی", "بازارچه محلی"]
    for title in actions:
        member.page.click("[data-testid=add-action]")
        member.page.fill("[data-testid=action-form] input[name=title]", title)
        submit(member, "action-form")
    member.page.click("[data-testid=draft-link]")
    assert [li.strip() for li in member.page.inner_text("[data-testid=draft-actions]").splitlines()] == actions
    submit(member, "submit-draft")
    assert member.page.inner_text("[data-testid=draft-state]") == t("draft_state.submitted")

    # The planner asks for a change, on the strategies and on one action.
    open_core(planner, core_name)
    planner.page.click(f"[data-testid=core-drafts] a[href='{draft_path}']")
    planner.page.select_option("[data-testid=review-draft] select[name=decision]", "changes")
    planner.page.fill("[data-testid=review-draft] textarea[name=note]", "اشتغال هر اقدام را بنویسید")
    planner.page.fill("[data-testid=review-draft] textarea[name='comment.strategies']", "راهبرد گردشگری کویر را بیفزایید")
    planner.page.locator("[data-testid=review-draft] textarea[name^='comment.action.']").first.fill("چند شغل؟")
    submit(planner, "review-draft")
    assert planner.page.inner_text("[data-testid=draft-state]") == t("draft_state.changes_requested")
    planner.screenshot("journey-review-fa")

    # The member revises the first action and submits again; the planner adopts the map.
    member.open(draft_path)
    assert "چند شغل؟" in member.page.inner_text("[data-testid=review-steps]")
    member.page.click("[data-testid=open-map]")
    member.page.locator("[data-testid=edit-action]").first.click()
    member.page.fill("[data-testid=action-form] input[name=jobs_expected]", "۱۲")
    submit(member, "action-form")
    member.page.click("[data-testid=draft-link]")
    submit(member, "submit-draft")
    planner.open(draft_path)
    planner.page.select_option("[data-testid=review-draft] select[name=decision]", "adopt")
    planner.page.fill("[data-testid=review-draft] textarea[name=note]", "تصویب در شورای برنامه‌ریزی")
    submit(planner, "review-draft")
    assert planner.page.inner_text("[data-testid=draft-state]") == t("draft_state.adopted")

    # The record card shows every step, with its Jalali day.
    open_core(planner, core_name)
    assert planner.page.inner_text("[data-testid=core-stage]") == t("core_stage.adopted")
    planner.page.click("[data-testid=record-card]")
    card = planner.text()
    assert core_name in card
    for stage in ("proposed", "identified", "assessed", "selected", "in_training", "trained", "drafting",
                  "submitted", "adopted"):
        assert label("core_stage", stage) in card, stage
    for step in ("started", "submitted", "changes_requested", "adopted"):
        assert label("review_step", step) in card, step
    today = jalali_numeric(date.today(), persian=True)
    assert today in card and "بیشترین امتیاز شهرستان" in card and "چند شغل؟" in card
    assert format_number(combined, "fa", 2) in card and map_title in card and members[0]["name"] in card
    planner.screenshot("journey-record-card-fa")
    with session_scope() as session:
        moves = session.execute(text("SELECT count(*) FROM core_stage_event WHERE core_id = :c"),
                                {"c": core_id}).scalar_one()
    assert moves == 11  # proposed … submitted, drafting again, submitted, adopted

    # …and as a PDF whose text holds the core's Persian name and each stage's row with its Jalali
    # day (pypdf gives a right-to-left line's run of digits back in either order: both are read).
    answer = planner.page.request.get(f"{live_server}/cores/{core_id}/card/download?format=pdf")
    assert answer.status == 200 and answer.body().startswith(b"%PDF")
    pdf = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.body())).pages)
    assert no_plain(core_name) in pdf
    lines = pdf.splitlines()
    for stage in ("proposed", "identified", "assessed", "selected", "in_training", "trained", "adopted"):
        word = no_plain(label("core_stage", stage))
        assert any(word in line and (today in line or today[::-1] in line) for line in lines), stage
    assert not planner.errors and not member.errors and not admin.errors
