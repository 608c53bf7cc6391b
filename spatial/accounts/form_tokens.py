"""Forms that cannot be sent twice: one-time form tokens.

Every workspace form carries a fresh random token. While a request that sent one is
handled, :func:`expect` makes the token *pending*; the first transaction of that request
that writes anything stores the token (with the page its change led to, see
:func:`led_to`) in the same COMMIT as the change. The same form sent again — a refresh,
a double click, a resend after a lost answer — finds the token stored and is answered with
that page (:class:`AlreadySent`) instead of a second object. Two sends at the same moment
both try to store the token; PostgreSQL's primary key makes the second wait for the first
and then refuse it, so the second change is rolled back whole.

Nothing here knows HTTP: a "url" is the text the caller wants to be led to.

Examples
--------
>>> expect("b6f0…")                                   # doctest: +SKIP
>>> with session_scope() as session:                  # doctest: +SKIP
...     made = roadmaps.create_roadmap(session, …)
...     led_to(f"/roadmaps/{made['id']}")              # stored with the roadmap, in one commit
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from spatial.accounts import audit
from spatial.errors import AlreadySent
from spatial.models.accounts import FormToken

#: A token as :func:`new_token` makes it (and nothing else is looked up or stored).
TOKEN_PATTERN = re.compile(r"[0-9a-f]{32}")


@dataclass
class Pending:
    """The token of the form being handled, and where its change leads once known."""

    token: str
    url: str | None = None
    stored: bool = False


_pending: ContextVar[Pending | None] = ContextVar("pishraft_form_token", default=None)


def new_token() -> str:
    """A fresh token for one rendering of a form."""
    return secrets.token_hex(16)


def used(session: Session, token: str) -> tuple[bool, str | None]:
    """Whether ``token`` was used already, and the page its change led to."""
    row = session.execute(select(FormToken.url).where(FormToken.token == token)).first()
    return (row is not None, row[0] if row else None)


def expect(token: str | None) -> Pending | None:
    """Make ``token`` the pending token of the request being handled (a malformed or
    missing token makes none: such a form is simply not protected against resending)."""
    pending = Pending(token) if token and TOKEN_PATTERN.fullmatch(token) else None
    _pending.set(pending)
    return pending


def led_to(url: str) -> None:
    """Say where the pending form's change leads; stored with the change when it is
    committed after this call, or at once when the change is committed already."""
    pending = _pending.get()
    if pending is None:
        return
    pending.url = url
    if pending.stored:  # committed before the page was known: say it now, in its own transaction
        from spatial.db.engine import session_scope

        with suspended(), session_scope() as session:
            session.execute(text("UPDATE form_token SET url = :url WHERE token = :token AND url IS NULL"),
                            {"url": url, "token": pending.token})


@contextmanager
def suspended() -> Iterator[None]:
    """Transactions in this block store no token (bookkeeping beside the change, such as
    the audit entry written after the answer)."""
    saved = _pending.set(None)
    try:
        yield
    finally:
        _pending.reset(saved)


@event.listens_for(Session, "before_commit")
def _store_pending(session: Session) -> None:
    """Store the pending token in the first transaction of the request that writes."""
    pending = _pending.get()
    if pending is None or pending.stored:
        return
    # A transaction without an id has written nothing: reading pages store no token.
    if session.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar() is None:
        return
    # Sent twice at once, the other send's INSERT waits for this one's COMMIT (or the other
    # way round) and then does nothing: the later change is refused whole.
    stored = session.execute(
        text("INSERT INTO form_token (token, url) VALUES (:token, :url) ON CONFLICT (token) DO NOTHING "
             "RETURNING token"), {"token": pending.token, "url": pending.url}).first()
    if stored is None:
        url = used(session, pending.token)[1]
        audit.instead("resend", "form", url=url)
        raise AlreadySent(url)
    pending.stored = True
