"""Sign-in locks and sessions in real headless Chromium: twenty wrong passwords lock an
account; the administrator, clicking from home to the admin pages, sees the lock in
Persian and lifts it; the person then signs in, finds the session on their own sessions
page, and the administrator signs that session out."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from spatial.accounts import signin
from spatial.accounts import users as accounts
from spatial.db.engine import session_scope
from spatial.errors import NotFound
from spatial.messages import t
from tests.workspace.conftest import Browser

pytestmark = pytest.mark.browser

PASSWORD = "a sentence only I know"
LOOPBACK = "127.0.0.1"


@pytest.fixture
def guessed() -> Iterator[str]:
    """A fresh viewer account; afterwards this machine's address is cleared of its wrong passwords."""
    username = f"guessed-{uuid.uuid4().hex[:8]}"
    with session_scope() as session:
        accounts.create_user(session, username, PASSWORD, "viewer")
    yield username
    with session_scope() as session:
        try:
            signin.lift(session, "address", LOOPBACK)
        except NotFound:
            pass  # nothing counted against the address


def try_password(tab: Browser, username: str, password: str) -> None:
    tab.open("/signin")
    tab.page.fill("input[name=username]", username)
    tab.page.fill("input[name=password]", password)
    with tab.page.expect_navigation():
        tab.page.click("form button[type=submit]")


def test_an_admin_lifts_the_lock_of_an_account_guessed_at_and_the_person_signs_in(
        new_tab: Callable[..., Browser], guessed: str) -> None:
    person, admin = new_tab(), new_tab()
    for n in range(20):
        try_password(person, guessed, f"wrong guess {n}")
    try_password(person, guessed, PASSWORD)  # the right password, during the lock
    assert "/signin" in person.page.url
    assert "این حساب برای مدتی قفل است" in person.text()

    admin.sign_in("demo-admin")
    admin.open("/home")
    with admin.page.expect_navigation():
        admin.page.click(f"a:has-text('{t('admin.title', 'fa')}')")
    with admin.page.expect_navigation():
        admin.page.click("[data-testid=admin-signin]")
    assert admin.page.locator("h1").inner_text() == t("admin.signin", "fa")
    row = admin.page.locator(f"tr[data-lock='account:{guessed}']")
    assert row.count() == 1
    assert t("signin.kind_account", "fa") in row.inner_text() and "۲۱" in row.inner_text()  # 20 wrong, 1 right refused
    admin.screenshot("admin-signin-locks")
    with admin.page.expect_navigation():
        row.locator("button").click()
    assert admin.page.locator("[data-testid=notice]").inner_text() == t("signin.lifted", "fa", subject=guessed)
    assert admin.page.locator(f"tr[data-lock='account:{guessed}']").count() == 0

    try_password(person, guessed, PASSWORD)
    assert "/signin" not in person.page.url
    with person.page.expect_navigation():
        person.page.click("[data-testid=my-sessions]")
    assert person.page.locator("h1").inner_text() == t("session.mine", "fa")
    assert person.page.locator("[data-testid=current-session]").count() == 1
    person.screenshot("my-sessions")

    admin.open(f"/admin/signin?username={guessed}")
    session_row = admin.page.locator(f"tr[data-user='{guessed}']")
    assert session_row.count() == 1
    with admin.page.expect_navigation():
        session_row.locator("button").click()
    assert admin.page.locator(f"tr[data-user='{guessed}']").count() == 0
    answer = person.open("/account/sessions")
    assert answer.status == 401 and person.page.locator("[data-testid=my-sessions-list]").count() == 0  # signed out
    # The refused sign-ins answer 422, which the console reports as a resource not loaded.
    assert [e for e in admin.errors + person.errors if "Failed to load resource" not in e] == []
    assert admin.outside == [] and person.outside == []
