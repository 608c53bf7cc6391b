"""Notifications: what became late or falls due soon, for each responsible person and each
progress core — an inbox on the signed-in user's home page and a daily e-mail.

An action is **late** from the day after its end date until it is done or cancelled, and
**due** in the :attr:`~spatial.settings.Settings.notice_days` (30) days up to its end date.
Its holders are its responsible person (the action's own, else its roadmap's) and its
roadmap's core. An account sees the notices of the person it is linked to
(``app_user.person_id``), of the cores that person is a member of, and — for a core
member's account — of the cores in its area.

The daily e-mail (:func:`send_daily`, run by ``pishraft notify send``) goes through the
SMTP server named in the settings, in Persian (plain text and HTML, UTF-8), to each
holder's e-mail address: the person's own, and each core member's. What was sent is
recorded (``notification_sent``), so each item — an action late, or due, for one end
date — is mailed once to each address. "Today" is the settings' ``today`` when set (tests
and catch-up runs move the clock with it), else the server's date.
"""

from __future__ import annotations

import html
import smtplib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.engine import session_scope
from spatial.errors import EnvironmentProblem
from spatial.jalali import format_date, persian_digits
from spatial.messages import t
from spatial.settings import Settings, get_settings

#: At most this many notices of each kind are listed in an inbox.
INBOX_LIMIT = 50

_NOTICES = text((Path(__file__).parent / "sql" / "notices.sql").read_text())
_ACCOUNT = text("SELECT person_id, role, area_unit_id FROM app_user WHERE username = :user")
_CORES_OF = text("""WITH RECURSIVE area(id) AS (
        SELECT CAST(:area AS integer) WHERE CAST(:area AS integer) IS NOT NULL
        UNION ALL
        SELECT a.id FROM admin_unit a JOIN area ON a.parent_id = area.id WHERE a.valid_to IS NULL
    )
    SELECT c.id FROM progress_core c
    WHERE c.unit_id IN (SELECT id FROM area)
       OR c.id IN (SELECT core_id FROM core_member WHERE person_id = CAST(:person AS integer))""")
_PERSON_ADDRESSES = text("""SELECT id, name, email FROM person
                            WHERE retired_at IS NULL AND email <> '' AND id = ANY(:ids)""")
_CORE_ADDRESSES = text("""SELECT m.core_id, p.name, p.email FROM core_member m JOIN person p ON p.id = m.person_id
                          WHERE p.retired_at IS NULL AND p.email <> '' AND m.core_id = ANY(:ids)""")
_SENT = text("""SELECT recipient, action_id, kind, due_date FROM notification_sent
                WHERE recipient = ANY(:recipients) AND action_id = ANY(:actions)""")
#: Held until the run's transaction ends: two runs at once would mail the same items twice.
_ONE_RUN_AT_A_TIME = text("SELECT pg_advisory_xact_lock(hashtext('pishraft.notify.send'))")
_RECORD = text("""INSERT INTO notification_sent (recipient, action_id, kind, due_date, sent_on)
                  VALUES (:recipient, :action_id, :kind, :due_date, :sent_on)
                  ON CONFLICT (recipient, action_id, kind, due_date) DO NOTHING""")


def today(on: date | None = None) -> date:
    """The day notices are reckoned on: ``on``, else the settings' ``today``, else the server's date."""
    return on or get_settings().today or date.today()


def notices(session: Session, on: date, persons: Sequence[int] = (), cores: Sequence[int] = (),
            everyone: bool = False) -> list[dict[str, Any]]:
    """The late and soon-due actions of ``persons`` or ``cores`` (or of every holder) on day ``on``.

    Each dict holds ``action_id, title, due_date, kind ('late' | 'due'), days`` (late by, or
    left), ``roadmap_id, roadmap_title, unit, unit_name_fa, unit_name_en, person_id,
    core_id``: the late first (the most recently late first), then the due (soonest first).
    """
    until = on + timedelta(days=get_settings().notice_days + 1)
    rows = session.execute(_NOTICES, {"on": on, "until": until, "persons": list(persons), "cores": list(cores),
                                      "everyone": everyone}).mappings()
    return [{**row, "days": abs((on - row["due_date"]).days)} for row in rows]


def inbox(session: Session, username: str, on: date | None = None) -> dict[str, Any] | None:
    """The inbox of account ``username``: ``{"on", "late", "due", "late_count", "due_count"}``
    (at most :data:`INBOX_LIMIT` of each listed), or ``None`` for an account that holds
    nothing (linked to no person, and no core in its area)."""
    account = session.execute(_ACCOUNT, {"user": username}).first()
    if account is None:
        return None
    area = account.area_unit_id if account.role == "core" else None
    cores = list(session.execute(_CORES_OF, {"area": area, "person": account.person_id}).scalars())
    persons = [account.person_id] if account.person_id is not None else []
    if not persons and not cores:
        return None
    day = today(on)
    found = notices(session, day, persons, cores)
    late = [n for n in found if n["kind"] == "late"]
    due = [n for n in found if n["kind"] == "due"]
    return {"on": day, "late": late[:INBOX_LIMIT], "due": due[:INBOX_LIMIT], "late_count": len(late),
            "due_count": len(due)}


def pending_mail(session: Session, on: date) -> dict[str, dict[str, Any]]:
    """What the daily e-mail of day ``on`` would send: ``{address: {"name", "notices"}}``,
    each notice not yet sent to that address (the person's own address, and every core member's)."""
    found = notices(session, on, everyone=True)
    persons = {r.id: r for r in session.execute(
        _PERSON_ADDRESSES, {"ids": sorted({n["person_id"] for n in found if n["person_id"] is not None})})}
    members: dict[int, list[Any]] = {}
    for row in session.execute(_CORE_ADDRESSES, {"ids": sorted({n["core_id"] for n in found if n["core_id"]})}):
        members.setdefault(row.core_id, []).append(row)
    mail: dict[str, dict[str, Any]] = {}
    for notice in found:
        holders = [persons[notice["person_id"]]] if notice["person_id"] in persons else []
        for holder in holders + members.get(notice["core_id"], []):
            entry = mail.setdefault(holder.email.strip(), {"name": holder.name, "notices": []})
            if all(n["action_id"] != notice["action_id"] for n in entry["notices"]):
                entry["notices"].append(notice)
    if not mail:
        return {}
    sent = {tuple(r) for r in session.execute(
        _SENT, {"recipients": list(mail), "actions": sorted({n["action_id"] for n in found})})}
    for address, entry in list(mail.items()):
        entry["notices"] = [n for n in entry["notices"]
                            if (address, n["action_id"], n["kind"], n["due_date"]) not in sent]
        if not entry["notices"]:
            del mail[address]
    return mail


def _line(notice: dict[str, Any], lang: str) -> str:
    days = persian_digits(notice["days"]) if lang == "fa" else str(notice["days"])
    return t(f"notify.{notice['kind']}_item", lang, title=notice["title"], roadmap=notice["roadmap_title"],
             unit=notice["unit_name_fa"] if lang == "fa" else notice["unit_name_en"],
             date=format_date(notice["due_date"], lang), days=days)


def _link(public_url: str | None, notice: dict[str, Any]) -> str | None:
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/roadmaps/{notice['roadmap_id']}#action-{notice['action_id']}"


def compose(address: str, name: str, found: Iterable[dict[str, Any]], on: date, settings: Settings,
            lang: str = "fa") -> EmailMessage:
    """The daily e-mail to ``address``: Persian plain text and HTML (UTF-8), late actions first,
    each with a link to its roadmap when the settings name the public URL."""
    found = list(found)
    days = persian_digits(settings.notice_days) if lang == "fa" else str(settings.notice_days)
    groups = [(t("notify.late_heading", lang), [n for n in found if n["kind"] == "late"]),
              (t("notify.due_heading", lang, days=days), [n for n in found if n["kind"] == "due"])]
    greeting = t("notify.greeting", lang, name=name, date=format_date(on, lang))
    footer = t("notify.footer", lang)
    plain, rich = [greeting, ""], [f"<p>{html.escape(greeting)}</p>"]
    for heading, items in groups:
        if not items:
            continue
        plain.append(heading)
        rich.append(f"<h3>{html.escape(heading)}</h3><ul>")
        for notice in items:
            line, link = _line(notice, lang), _link(settings.public_url, notice)
            plain.append(f"- {line}" + (f"\n  {link}" if link else ""))
            anchor = f' <a href="{html.escape(link)}">{html.escape(t("notify.open", lang))}</a>' if link else ""
            rich.append(f"<li>{html.escape(line)}{anchor}</li>")
        plain.append("")
        rich.append("</ul>")
    plain.append(footer)
    rich.append(f"<p>{html.escape(footer)}</p>")
    message = EmailMessage()
    count = persian_digits(len(found)) if lang == "fa" else str(len(found))
    message["Subject"] = t("notify.subject", lang, count=count)
    message["From"] = settings.smtp_from
    message["To"] = formataddr((name, address))
    message.set_content("\n".join(plain), charset="utf-8")
    direction = "rtl" if lang == "fa" else "ltr"
    message.add_alternative(f'<!doctype html><html lang="{lang}" dir="{direction}"><body dir="{direction}">'
                            + "".join(rich) + "</body></html>", subtype="html", charset="utf-8")
    return message


def send_daily(on: date | None = None) -> list[tuple[str, int]]:
    """Send the daily e-mails of day ``on`` (default :func:`today`) through the settings' SMTP
    server, and record each item sent; returns ``(address, items)`` per e-mail sent.

    One run at a time (a lock in the database: a second run waits, then finds the items
    recorded and sends nothing again). Each e-mail is recorded as soon as the server took
    it; when the server fails midway, what was sent stays recorded and the error names it.
    """
    settings = get_settings()
    if not settings.smtp_host:
        raise EnvironmentProblem("No SMTP server is named: set PISHRAFT_SMTP_HOST (and PISHRAFT_SMTP_PORT, "
                                 "PISHRAFT_SMTP_FROM) to send notifications by e-mail.", field="smtp_host")
    day = today(on)
    sent: list[tuple[str, int]] = []
    failure: Exception | None = None
    with session_scope() as session:
        session.execute(_ONE_RUN_AT_A_TIME)
        pending = pending_mail(session, day)
        try:
            if pending:
                with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as smtp:
                    if settings.smtp_starttls:
                        smtp.starttls()
                    if settings.smtp_user:
                        smtp.login(settings.smtp_user, settings.smtp_password or "")
                    for address, entry in pending.items():
                        smtp.send_message(compose(address, entry["name"], entry["notices"], day, settings))
                        session.execute(_RECORD, [{"recipient": address, "action_id": n["action_id"],
                                                   "kind": n["kind"], "due_date": n["due_date"], "sent_on": day}
                                                  for n in entry["notices"]])
                        sent.append((address, len(entry["notices"])))
        except (OSError, smtplib.SMTPException) as exc:
            failure = exc  # what was sent is committed below; the rest waits for the next run
    if failure is not None:
        raise EnvironmentProblem(f"The SMTP server {settings.smtp_host}:{settings.smtp_port} did not take the "
                                 f"e-mail ({failure}); {len(sent)} e-mails were sent and recorded, the rest will "
                                 "be sent by the next run.", field="smtp_host") from failure
    return sent
