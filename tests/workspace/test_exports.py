"""Downloads from the pages: a roadmap, a progress list, a unit's profile and the indicator
catalogue as Excel (Persian headers and words, Jalali days, right-to-left sheets, no
stored code), CSV (UTF-8 with a byte-order mark) and PDF (the Persian title extracted
in logical order); English with ``?lang=en``; the pages offer the buttons."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from spatial.db.engine import session_scope
from spatial.jalali import jalali_numeric
from spatial.messages import code_words, t
from spatial.planning.roadmap_inputs import ActionIn, KeyResultIn, RoadmapIn
from spatial.planning.roadmaps import create_action, create_roadmap
from tests.workspace.planning import EDITOR

COUNTY = "IR-15-03"
TITLE = "نقشه راه گردشگری روستایی و صنایع دستی"
START = date.today() - timedelta(days=120)


@pytest.fixture(scope="module")
def roadmap_id(database_url: str) -> int:
    """A roadmap with a Persian title and one action in the handicrafts sector."""
    with session_scope() as session:
        made = create_roadmap(session, RoadmapIn(unit=COUNTY, title=TITLE, start_date=START,
                                                 end_date=START + timedelta(days=1000)), EDITOR)
        create_action(session, ActionIn(
            roadmap_id=made["id"], title="کارگاه قالی‌بافی زنان", sector="handicrafts", start_date=START,
            end_date=START + timedelta(days=300), key_results=[KeyResultIn(
                indicator="بافندگان شاغل", baseline=0, target=40, target_date=START + timedelta(days=300))]), EDITOR)
    return int(made["id"])


def workbook(answer: object) -> object:
    return load_workbook(io.BytesIO(answer.content))  # type: ignore[attr-defined]


def test_a_roadmap_downloads_as_a_persian_right_to_left_workbook_without_codes(
        client: TestClient, roadmap_id: int) -> None:
    answer = client.get(f"/roadmaps/{roadmap_id}/download?format=xlsx")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vnd.openxml")
    assert answer.headers["content-disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(answer.content))
    actions = book[t("rm.actions", "fa")]
    assert all(sheet.sheet_view.rightToLeft for sheet in book)
    header = [c.value for c in actions[1]]
    assert header[:3] == [t("export.number", "fa"), t("act.title", "fa"), t("act.sector", "fa")]
    row = [c.value for c in actions[2]]
    assert row[header.index(t("rm.start_date", "fa"))] == jalali_numeric(START)  # Jalali, e.g. 1405/05/12
    assert row[header.index(t("act.sector", "fa"))] == t("sector.handicrafts", "fa")
    assert row[header.index(t("rm.progress", "fa"))] in {t(f"progress.{s}", "fa") for s in
                                                         ("on_track", "behind", "overdue", "no_data", "achieved")}
    fields = {r[0]: r[1] for r in book[t("pw.roadmap", "fa")].iter_rows(min_row=2, values_only=True)}
    assert fields[t("rm.title", "fa")] == TITLE and fields[t("rm.status", "fa")] == t("roadmap_status.draft", "fa")
    words = {c for sheet in book for r in sheet.iter_rows(values_only=True) for c in r if isinstance(c, str)}
    assert not words & code_words(), words & code_words()  # no mining, stalled, no_data …


def test_the_english_download_speaks_english_with_iso_days(client: TestClient, roadmap_id: int) -> None:
    book = load_workbook(io.BytesIO(client.get(f"/roadmaps/{roadmap_id}/download?format=xlsx&lang=en").content))
    actions = book["Actions"]
    assert not actions.sheet_view.rightToLeft
    header = [c.value for c in actions[1]]
    assert header[:3] == ["No.", "Action title", "Sector"]
    assert actions.cell(2, header.index("Start date") + 1).value.date() == START
    assert actions.cell(2, header.index("Sector") + 1).value == "Handicrafts"


def test_a_roadmap_csv_is_utf8_with_a_byte_order_mark(client: TestClient, roadmap_id: int) -> None:
    answer = client.get(f"/roadmaps/{roadmap_id}/download?format=csv")
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == [t("export.field", "fa"), t("export.value", "fa")]
    assert [t("rm.title", "fa"), TITLE] in rows and [t("rm.start_date", "fa"), jalali_numeric(START)] in rows


def test_a_roadmap_pdf_holds_its_persian_title_in_logical_order(client: TestClient, roadmap_id: int) -> None:
    answer = client.get(f"/roadmaps/{roadmap_id}/download?format=pdf")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert TITLE in text  # shaped by Pango, extracted in reading order, not reversed
    # (pypdf drops the zero-width non-joiner, which only shapes the letters beside it)
    assert "کارگاه قالیبافی زنان" in text and t("sector.handicrafts", "fa").replace("\u200c", "") in text


@pytest.mark.parametrize("path", ["/progress/IR-15/download", "/units/IR-15-03/download", "/indicators/download"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_progress_list_unit_profile_and_indicators_download_in_persian(client: TestClient, path: str, fmt: str,
                                                                       roadmap_id: int) -> None:
    answer = client.get(f"{path}?format={fmt}")
    assert answer.status_code == 200, answer.text
    if fmt == "csv":
        assert answer.content.startswith(b"\xef\xbb\xbf")
        cells = {c for row in csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))) for c in row}
    else:
        book = load_workbook(io.BytesIO(answer.content))
        assert all(sheet.sheet_view.rightToLeft for sheet in book)
        cells = {c for sheet in book for r in sheet.iter_rows(values_only=True) for c in r if isinstance(c, str)}
    assert not cells & code_words(), cells & code_words()


def test_the_progress_list_download_keeps_the_page_filters(client: TestClient, roadmap_id: int) -> None:
    whole = client.get("/progress/IR-15/download?format=csv").content.decode("utf-8-sig")
    narrowed = client.get("/progress/IR-15/download?format=csv&level=province").content.decode("utf-8-sig")
    assert "کارگاه قالی‌بافی زنان" in whole and "کارگاه قالی‌بافی زنان" not in narrowed


@pytest.mark.parametrize("path", ["/units/IR-15-03", "/indicators", "/progress/IR-15"])
def test_the_pages_offer_their_downloads(client: TestClient, path: str) -> None:
    page = client.get(path).text
    for fmt in ("xlsx", "csv", "pdf"):
        assert f'data-testid="download-{fmt}"' in page
    assert f'href="{path}/download?format=xlsx' in page or f'href="{path}/download?format=xlsx"' in page


def test_the_roadmap_page_offers_its_downloads(client: TestClient, roadmap_id: int) -> None:
    page = client.get(f"/roadmaps/{roadmap_id}").text
    assert f'href="/roadmaps/{roadmap_id}/download?format=pdf"' in page
