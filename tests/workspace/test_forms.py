"""The form pieces every workspace form is built from: the macros, the Jalali date
picker, and field errors in the page's language naming the field."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.datastructures import FormData
from starlette.requests import Request

from api.pages.forms import FormErrors
from api.pages.render import context, templates
from api.pages.security import Submitted
from tests.workspace.conftest import Browser

FIELDS = """{% import "macros.html" as m with context %}
<form method="post">{{ m.csrf_field() }}{{ m.form_errors(errors) }}
{{ m.text("title", "signin.username", values.title, errors, required=True) }}
{{ m.date("due", "form.pick_date", due, errors) }}
{{ m.select("sector", "unit.indicator", choices("sector", ["agriculture", "tourism"]), "tourism", errors) }}
</form>"""


def _request(lang: str) -> Request:
    query = b"lang=en" if lang == "en" else b""
    return Request({"type": "http", "method": "GET", "path": "/x", "query_string": query, "headers": []})


def _form(lang: str, **fields: str) -> tuple[str, FormErrors]:
    sent = Submitted(FormData(fields), None)
    errors = FormErrors(lang)
    errors.text(sent, "title", "signin.username")
    due = errors.date(sent, "due", "form.pick_date")
    html = templates.env.from_string(FIELDS).render(
        context(_request(lang), {"errors": errors, "values": fields, "due": due or fields.get("due")}))
    return html, errors


def test_errors_name_the_field_in_persian() -> None:
    html, errors = _form("fa", title="", due="1405/13/40")
    assert list(errors) == ["نام کاربری: این بخش را پر کنید.", "انتخاب تاریخ: تاریخ را به شکل ۱۴۰۵/۰۱/۱۵ بنویسید."]
    assert 'aria-invalid="true"' in html and "1405/13/40" in html  # what was typed is shown back
    assert '<option value="tourism" selected>گردشگری</option>' in html
    assert 'name="csrf_token"' in html


def test_errors_name_the_field_in_english() -> None:
    _html, errors = _form("en", title="", due="tomorrow")
    assert list(errors) == ["Username: this field is required.", "Pick a date: write the date as 1405/01/15."]


def test_a_good_date_is_read_and_shown_back_in_jalali_with_persian_digits() -> None:
    html, errors = _form("fa", title="x", due="۱۴۰۵/۰۱/۱۵")
    assert not errors
    assert 'value="۱۴۰۵/۰۱/۱۵"' in html
    assert FormErrors("fa").date(Submitted(FormData({"d": "1405/01/15"}), None), "d", "form.pick_date") == \
        date(2026, 4, 4)


@pytest.mark.browser
def test_the_date_picker_fills_a_jalali_day_in_persian_digits(tab: Browser) -> None:
    html, _ = _form("fa", title="x", due="۱۴۰۵/۰۱/۰۱")
    tab.open("/signin")
    tab.page.evaluate("html => document.querySelector('main').insertAdjacentHTML('beforeend', html)", html)
    tab.page.click("[data-pick-for=due]")
    tab.page.wait_for_selector(".jalali-picker")
    assert "فروردین" in tab.page.inner_text(".jalali-picker .head") and "۱۴۰۵" in tab.page.inner_text(
        ".jalali-picker .head")
    assert tab.page.locator(".jalali-picker [data-day]").count() == 31
    tab.screenshot("date-picker-fa", full_page=False)
    tab.page.click(".jalali-picker [data-day='15']")
    assert tab.page.input_value("input[name=due]") == "۱۴۰۵/۰۱/۱۵"
    lengths = tab.page.evaluate("[PishraftWorkspace.monthLength(1403, 12), PishraftWorkspace.monthLength(1404, 12),"
                                " PishraftWorkspace.toJalali(Date.UTC(2026, 3, 4))]")
    assert lengths == [30, 29, [1405, 1, 15]]
    assert tab.errors == []
