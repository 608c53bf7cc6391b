"""Signing in and out in the browser, and the CSRF guard on every form."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.workspace.conftest import Browser

pytestmark = pytest.mark.browser


def test_a_planner_signs_in_sees_their_name_and_signs_out(tab: Browser) -> None:
    tab.open("/home")
    tab.page.click("[data-testid=sign-in]")
    tab.page.wait_for_url("**/signin**")
    tab.screenshot("signin-fa")
    tab.page.fill("input[name=username]", "demo-planner")
    tab.page.fill("input[name=password]", "demo-planner-1403")
    with tab.page.expect_navigation():
        tab.page.click("form button[type=submit]")
    assert "demo-planner" in tab.text() and "برنامه‌ریز" in tab.text()
    tab.page.click("[data-testid=sign-out]")
    tab.page.wait_for_url("**/signout**")
    with tab.page.expect_navigation():
        tab.page.click("form button[type=submit]")
    assert "demo-planner" not in tab.text()
    assert tab.page.locator("[data-testid=sign-in]").count() == 1
    assert tab.errors == [] and tab.outside == []


def test_a_wrong_password_is_refused_in_persian_naming_the_field(tab: Browser) -> None:
    tab.open("/signin")
    tab.page.fill("input[name=username]", "demo-planner")
    tab.page.fill("input[name=password]", "not-the-password")
    with tab.page.expect_navigation():
        tab.page.click("form button[type=submit]")
    assert "گذرواژه: نام کاربری یا گذرواژه درست نیست." in tab.text()
    assert tab.page.locator("[data-testid=sign-out]").count() == 0
    tab.screenshot("signin-refused-fa")


def test_the_session_cookie_is_httponly_and_samesite(tab: Browser) -> None:
    tab.sign_in("demo-analyst")
    cookie = next(c for c in tab.page.context.cookies() if c["name"] == "pishraft_session")
    assert cookie["httpOnly"] and cookie["sameSite"] in ("Lax", "Strict")


def test_the_sign_in_form_is_refused_without_its_token_and_accepted_with_it(live_server: str) -> None:
    credentials = {"username": "demo-planner", "password": "demo-planner-1403"}
    with httpx.Client(base_url=live_server) as client:
        form = client.get("/signin")
        # Set by hand: the cookie is Secure and this client speaks plain http.
        client.cookies.set("pishraft_csrf", form.cookies["pishraft_csrf"])
        found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
        assert found is not None
        token = found.group(1)
        forged = client.post("/signin", data=credentials)
        genuine = client.post("/signin", data={**credentials, "csrf_token": token})
    assert forged.status_code == 403
    assert "pishraft_session" not in forged.cookies
    assert "این فرم منقضی شده است" in forged.text
    assert genuine.status_code == 303 and "pishraft_session" in genuine.cookies


def test_a_cross_site_sign_out_without_the_token_keeps_the_session(tab: Browser, live_server: str) -> None:
    tab.sign_in("demo-viewer")
    cookie = next(c for c in tab.page.context.cookies() if c["name"] == "pishraft_session")
    with httpx.Client(base_url=live_server) as client:
        client.cookies.set("pishraft_session", cookie["value"])
        assert client.post("/signout", data={}).status_code == 403
    tab.open("/home")
    assert "demo-viewer" in tab.text()
