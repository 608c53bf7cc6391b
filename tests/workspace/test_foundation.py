"""The workspace's foundation without a browser: the catalogue, Jalali dates typed in
forms, links that keep the language, and pages answering errors in HTML."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from spatial.errors import InvalidInput
from spatial.jalali import jalali_numeric, parse_jalali, persian_digits
from spatial.messages import EN, FA, VOCABULARIES, code_words, label, t


def test_every_word_of_the_catalogue_exists_in_both_languages() -> None:
    assert set(FA) == set(EN)
    assert all(FA[k].strip() and EN[k].strip() for k in FA)


def test_a_code_the_catalogue_lacks_never_shows_as_english_code_in_persian() -> None:
    assert label("sector", "fisheries", "fa") == t("common.other", "fa")
    assert label("sector", "fisheries", "en") == "fisheries"
    assert label("financing", "investment_fund", "fa") == "صندوق سرمایه‌گذاری"


def test_the_code_words_are_the_stored_codes_of_every_vocabulary() -> None:
    words = code_words()
    assert {"investment_fund", "agriculture", "overdue", "in_progress", "planner", "neighbourhood"} <= words
    assert all(any(f"{v}.{w}" in FA for v in VOCABULARIES) for w in words)


@pytest.mark.parametrize("typed", ["۱۴۰۵/۰۱/۱۵", "1405/01/15", "1405/1/15", "١٤٠٥-٠١-١٥", " 1405 / 01 / 15 "])
def test_a_jalali_date_is_read_in_persian_or_western_digits(typed: str) -> None:
    assert parse_jalali(typed) == date(2026, 4, 4)


@pytest.mark.parametrize("typed", ["", "1405/13/01", "1404/12/30", "2026-04-04x", "فردا"])
def test_a_date_that_is_not_a_jalali_day_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_jalali(typed, field="end_date")
    assert refused.value.field == "end_date"


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_a_day_shown_in_jalali_reads_back_as_the_same_day(day: date) -> None:
    assert parse_jalali(jalali_numeric(day)) == day
    assert parse_jalali(persian_digits(jalali_numeric(day))) == day


def test_links_keep_english_and_the_switch_leads_back_to_persian(client: TestClient) -> None:
    page = client.get("/home?lang=en").text
    assert 'href="/maps/bivariate?lang=en"' in page
    assert 'href="/home"' in page and 'lang="en" dir="ltr"' in page


def test_a_missing_unit_is_an_html_page_in_the_page_language(client: TestClient) -> None:
    answer = client.get("/units/NO-SUCH-UNIT")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert t("error.not_found", "fa") in answer.text and 'dir="rtl"' in answer.text
    assert client.get("/api/units/NO-SUCH-UNIT").headers["content-type"] == "application/json"
