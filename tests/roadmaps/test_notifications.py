"""Notifications of what became late or is due soon: the inbox on the home page of an
account linked to the responsible person follows the clock (due on the end date, late the
day after), and ``pishraft notify send`` — a real process, as cron runs it — e-mails the
person and the core's member through a real SMTP server (aiosmtpd on a free port) once, in
Persian, however often it runs."""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from spatial.accounts import users as accounts
from spatial.accounts.tokens import issue_token
from spatial.db.engine import session_scope
from spatial.planning.cores import create_core
from spatial.planning.history import LocalEditor
from spatial.planning.notifications import inbox
from spatial.planning.people import create_person
from spatial.planning.roadmap_inputs import ActionIn, CoreIn, PersonIn, RoadmapIn
from spatial.planning.roadmaps import create_action, create_roadmap
from spatial.settings import get_settings

EDITOR = LocalEditor("notify-test")
PISHRAFT = Path(sys.executable).with_name("pishraft")
#: The end date of the test's action: far enough ahead that only the test's clock makes it late.
DUE = date(2031, 3, 20)


@dataclass
class Sink:
    """An SMTP server's handler that keeps every message it is given."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, Sink]]:
    """A real SMTP server on a free loopback port, keeping what it receives."""
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, sink
    controller.stop()


@pytest.fixture
def clock() -> Iterator[Callable[[date], None]]:
    """Move "today" (the PISHRAFT_TODAY setting) for the app in this process."""
    def move(day: date) -> None:
        os.environ["PISHRAFT_TODAY"] = day.isoformat()
        get_settings.cache_clear()

    yield move
    os.environ.pop("PISHRAFT_TODAY", None)
    get_settings.cache_clear()


@pytest.fixture
def holders(database_url: str) -> dict[str, Any]:
    """A responsible person with an account linked to them, a core with a member, and a
    roadmap of that core with one action of the person due on :data:`DUE` (all committed)."""
    tag = secrets.token_hex(4)
    with session_scope() as session:
        person = create_person(session, PersonIn(name="مریم احمدی", role="مسئول توسعه شهرستان", unit="IR-15",
                                                 email=f"maryam-{tag}@example.org"), EDITOR)
        member = create_person(session, PersonIn(name="علی رضایی", unit="IR-15", email=f"ali-{tag}@example.org"),
                               EDITOR)
        core = create_core(session, CoreIn(name=f"هسته آزمون {tag}", unit="IR-15", member_ids=[member["id"]]), EDITOR)
        roadmap = create_roadmap(session, RoadmapIn(unit="IR-15", title=f"نقشه راه اعلان {tag}",
                                                    start_date=DUE - timedelta(days=400), end_date=DUE + timedelta(days=400),
                                                    core_id=core["id"]), EDITOR)
        action = create_action(session, ActionIn(roadmap_id=roadmap["id"], title=f"راه‌اندازی بازارچه {tag}",
                                                 start_date=DUE - timedelta(days=300), end_date=DUE,
                                                 responsible_person_id=person["id"]), EDITOR)
        username = f"notify-{tag}"
        accounts.create_user(session, username, secrets.token_urlsafe(16), "planner")
        accounts.set_person(session, username, person["id"])
    return {"username": username, "person": person, "member": member, "action": action}


def _inbox(client: TestClient, username: str) -> str:
    page = client.get("/home", headers={"Authorization": f"Bearer {issue_token(username)}"})
    assert page.status_code == 200
    return page.text


def _section(page: str, name: str) -> str:
    start = page.index(f'data-testid="inbox-{name}"')
    return page[start:page.index("</div>", page.index("</ul>", start))]


def test_the_inbox_shows_an_action_due_then_late_the_day_after_its_end_date(
        client: TestClient, holders: dict[str, Any], clock: Callable[[date], None]) -> None:
    title = holders["action"]["title"]
    clock(DUE - timedelta(days=40))
    assert title not in _inbox(client, holders["username"])  # not yet within the 30 days
    clock(DUE)
    page = _inbox(client, holders["username"])
    assert title in _section(page, "due") and title not in _section(page, "late")
    assert "۰ روز مانده" in _section(page, "due")
    clock(DUE + timedelta(days=1))
    page = _inbox(client, holders["username"])
    late = _section(page, "late")
    assert title in late and "۱ روز دیرکرد" in late and title not in _section(page, "due")
    assert "۲۹ اسفند ۱۴۰۹" in late  # the end date, Jalali in Persian digits


def _send(port: int, day: date) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PISHRAFT_SMTP_HOST": "127.0.0.1", "PISHRAFT_SMTP_PORT": str(port),
           "PISHRAFT_SMTP_FROM": "pishraft@example.org"}
    return subprocess.run([str(PISHRAFT), "notify", "send", "--today", day.isoformat()], env=env, check=False,
                          capture_output=True, text=True, timeout=300)


def test_the_daily_email_arrives_once_in_persian(holders: dict[str, Any], smtp_sink: tuple[int, Sink]) -> None:
    port, sink = smtp_sink
    day = DUE + timedelta(days=1)
    first = _send(port, day)
    assert first.returncode == 0, first.stderr
    again = _send(port, day)
    assert again.returncode == 0, again.stderr
    title = holders["action"]["title"]
    for holder in (holders["person"], holders["member"]):  # the responsible person, and the core's member
        mails = sink.to(holder["email"])
        assert len(mails) == 1, [m["Subject"] for m in mails]
        mail = mails[0]
        assert mail["Subject"].startswith("پیشرفت:") and "دیرکرد" in mail["Subject"]
        plain = mail.get_body(("plain",))
        rich = mail.get_body(("html",))
        assert plain is not None and rich is not None
        assert plain.get_content_charset() == "utf-8" and rich.get_content_charset() == "utf-8"
        text = plain.get_content()
        assert title in text and "۱ روز دیرکرد" in text and "۲۹ اسفند ۱۴۰۹" in text
        assert holder["name"] in text
        assert 'dir="rtl"' in rich.get_content() and title in rich.get_content()
    # The next day brings nothing new for them: the item was mailed once.
    later = _send(port, day + timedelta(days=1))
    assert later.returncode == 0, later.stderr
    assert len(sink.to(holders["person"]["email"])) == 1


def test_a_server_that_does_not_answer_is_named_and_nothing_is_recorded_as_sent(
        holders: dict[str, Any], smtp_sink: tuple[int, Sink]) -> None:
    day = DUE + timedelta(days=1)
    down = _send(_free_port(), day)  # nothing listens there
    assert down.returncode == 1 and "did not take the e-mail" in down.stderr and "Traceback" not in down.stderr
    port, sink = smtp_sink
    assert _send(port, day).returncode == 0
    assert len(sink.to(holders["person"]["email"])) == 1  # sent by the next run, as the message says


def test_without_an_smtp_server_the_command_says_what_to_set(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PISHRAFT_SMTP")}
    done = subprocess.run([str(PISHRAFT), "notify", "send"], env=env, check=False,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "PISHRAFT_SMTP_HOST" in done.stderr and "Traceback" not in done.stderr


def test_an_account_is_linked_to_a_person_from_the_command_line(holders: dict[str, Any]) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    unknown = runner.invoke(app, ["users", "set-person", holders["username"], "987654"])
    assert unknown.exit_code == 1 and "No current person has id 987654" in unknown.output
    unlinked = runner.invoke(app, ["users", "set-person", holders["username"]])
    assert unlinked.exit_code == 0 and "linked to no person" in unlinked.output
    with session_scope() as session:
        assert inbox(session, holders["username"]) is None  # a planner linked to nobody holds nothing
    linked = runner.invoke(app, ["users", "set-person", holders["username"], str(holders["person"]["id"])])
    assert linked.exit_code == 0
    with session_scope() as session:
        found = inbox(session, holders["username"], on=DUE)
    assert found is not None and [n["action_id"] for n in found["due"]] == [holders["action"]["id"]]
