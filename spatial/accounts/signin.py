"""Signing in: wrong passwords slowed down and then locked out, and the sessions it opens.

Wrong passwords are counted per account and per client address (``signin_failure``).
From the ``signin_slowdown_after``-th in a row (for an address, half its lock limit),
the next try must wait 1, 2, 4 … (at most 60) seconds, and a try made sooner is refused unchecked (429 with ``Retry-After``) and
counted as wrong; at ``signin_lock_after`` the account is locked for
``signin_lock_minutes`` (the address at ``signin_address_lock_after``), and even the right
password is refused until the lock ends or an administrator lifts it. A count older than
the lock time starts afresh; a right password clears the account's count.

A successful sign-in opens a session (``user_session``): its token's digest, address and
browser, listed for the user and for admins, and revocable by either.

Examples
--------
>>> account, token, ttl = sign_in("ali", "a long secret", address="10.0.0.5", agent="curl")  # doctest: +SKIP
>>> locks(session)                                                                      # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.accounts import users as accounts
from spatial.accounts.tokens import issue_token
from spatial.db.engine import session_scope
from spatial.errors import NotFound, RateLimited, Unauthorized
from spatial.settings import get_settings

#: The longest wait between tries while slowed down, in seconds.
MAX_DELAY_S = 60
KINDS = ("account", "address")


class SignInLocked(RateLimited):
    """Too many wrong passwords: the account or address is locked for a while."""

    code = "signin_locked"


class SignInTooSoon(RateLimited):
    """A try came sooner than the slowdown after wrong passwords allows."""

    code = "signin_too_soon"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _delay_s(kind: str, failures: int) -> float:
    """Seconds to wait after ``failures`` wrong passwords in a row (0 below the slowdown).
    An address, which many people may share, is slowed down from half its lock limit."""
    settings = get_settings()
    start = settings.signin_slowdown_after if kind == "account" else settings.signin_address_lock_after // 2
    over = failures - start
    return 0.0 if over < 0 else float(min(2 ** over, MAX_DELAY_S))


def _admit(session: Session, subjects: dict[str, str]) -> None:
    """Refuse the try when the account or address is locked or must still wait."""
    window = get_settings().signin_lock_minutes
    rows = session.execute(text("""
        SELECT kind, failures,
               extract(epoch FROM locked_until - now()) AS locked_s,
               extract(epoch FROM now() - last_at) AS since_s
          FROM signin_failure
         WHERE (kind, subject) IN (('account', :account), ('address', :address))
           AND last_at > now() - make_interval(mins => :window)"""),
        {"account": subjects["account"], "address": subjects["address"], "window": window}).all()
    for row in rows:
        what = "This account" if row.kind == "account" else "Your address"
        if row.locked_s is not None and row.locked_s > 0:
            minutes = max(1, round(row.locked_s / 60))
            raise SignInLocked(f"{what} is locked after {row.failures} wrong passwords in a row, for "
                               f"{minutes} more minute(s); wait, or ask an administrator to lift the lock.",
                               retry_after=float(row.locked_s))
        wait = _delay_s(row.kind, row.failures) - float(row.since_s)
        if wait > 0:
            raise SignInTooSoon(f"Too many wrong passwords in a row: wait {max(1, round(wait))} second(s) "
                                "before trying again.", retry_after=wait)


def _failed(session: Session, subjects: dict[str, str]) -> None:
    """Count one wrong try for the account and the address, locking either at its limit."""
    settings = get_settings()
    limits = {"account": settings.signin_lock_after, "address": settings.signin_address_lock_after}
    for kind, subject in subjects.items():
        session.execute(text("""
            INSERT INTO signin_failure AS f (kind, subject, failures, last_at,
                                             locked_until)
            VALUES (:kind, :subject, 1, now(), CASE WHEN :limit <= 1 THEN now() + make_interval(mins => :mins) END)
            ON CONFLICT (kind, subject) DO UPDATE SET
                failures = CASE WHEN f.last_at > now() - make_interval(mins => :mins) THEN f.failures + 1 ELSE 1 END,
                last_at = now(),
                locked_until = CASE
                    WHEN f.locked_until > now() THEN f.locked_until
                    WHEN (CASE WHEN f.last_at > now() - make_interval(mins => :mins) THEN f.failures + 1 ELSE 1 END)
                         >= :limit THEN now() + make_interval(mins => :mins)
                END"""),
            {"kind": kind, "subject": subject[:200], "limit": limits[kind], "mins": settings.signin_lock_minutes})


def sign_in(username: str, password: str, *, address: str | None, agent: str | None,
            replaces: str | None = None) -> tuple[accounts.Account, str, int]:
    """Check the password and open a session: the account, its new token and the token's
    lifetime in seconds. ``replaces`` is the token the browser held until now, revoked so
    that a session cookie never survives a sign-in.

    Raises :class:`SignInLocked` or :class:`SignInTooSoon` (429) while slowed down or
    locked, :class:`~spatial.errors.Unauthorized` for a wrong password; every refusal is
    counted, in a transaction of its own.
    """
    subjects = {"account": username[:64], "address": address or "unknown"}
    try:
        with session_scope() as session:
            _admit(session, subjects)
            account = accounts.authenticate(session, username, password)
            session.execute(text("DELETE FROM signin_failure WHERE kind = 'account' AND subject = :s"),
                            {"s": subjects["account"]})
            ttl = get_settings().token_ttl_minutes * 60
            token = issue_token(account.username, ttl)
            session.execute(text("""INSERT INTO user_session (username, digest, expires_at, client, agent)
                                    VALUES (:u, :d, now() + make_interval(secs => :ttl), :c, :a)"""),
                            {"u": account.username, "d": _digest(token), "ttl": ttl, "c": address,
                             "a": (agent or "")[:300] or None})
            if replaces:
                try:
                    accounts.revoke_token(session, replaces)
                except Unauthorized:
                    pass  # expired or forged: nothing to revoke
    except (Unauthorized, SignInLocked, SignInTooSoon):
        with session_scope() as session:
            _failed(session, subjects)
        raise
    return account, token, ttl


def locks(session: Session) -> list[dict[str, Any]]:
    """Accounts and addresses locked now: kind, subject, wrong passwords, until when."""
    rows = session.execute(text("""SELECT kind, subject, failures, last_at, locked_until FROM signin_failure
                                    WHERE locked_until > now() ORDER BY locked_until DESC, kind, subject"""))
    return [dict(r) for r in rows.mappings()]


def lift(session: Session, kind: str, subject: str) -> None:
    """Lift the lock (and forget the wrong passwords) of an account or address."""
    if kind not in KINDS:
        raise NotFound(f"No lock kind {kind!r}; use 'account' or 'address'.", field="kind")
    gone = session.execute(text("DELETE FROM signin_failure WHERE kind = :k AND subject = :s RETURNING 1"),
                           {"k": kind, "s": subject}).first()
    if gone is None:
        raise NotFound(f"No wrong passwords are counted for {kind} {subject!r}; see GET /api/auth/locks.",
                       field="subject")


def sessions(session: Session, username: str | None) -> list[dict[str, Any]]:
    """Open sessions (signed in, not signed out, not expired), newest first: the user's, or
    everyone's for ``None`` (an administrator's list)."""
    rows = session.execute(text("""SELECT id, username, created_at, expires_at, client, agent FROM user_session
                                    WHERE (CAST(:u AS text) IS NULL OR username = :u)
                                      AND revoked_at IS NULL AND expires_at > now()
                                    ORDER BY created_at DESC, id DESC"""), {"u": username})
    return [dict(r) for r in rows.mappings()]


def session_id(session: Session, token: str) -> int | None:
    """The id of the session ``token`` opened, if it was opened by signing in."""
    found = session.execute(text("SELECT id FROM user_session WHERE digest = :d"), {"d": _digest(token)}).scalar()
    return int(found) if found is not None else None


def end_session(session: Session, session_id: int, *, owner: str | None) -> None:
    """Sign a session out: its token is refused from now on. ``owner`` restricts to that
    user's sessions (``None``: an admin, any session)."""
    row = session.execute(text("""UPDATE user_session SET revoked_at = coalesce(revoked_at, now())
                                    WHERE id = :i AND (CAST(:o AS text) IS NULL OR username = :o)
                                  RETURNING digest, expires_at"""), {"i": session_id, "o": owner}).first()
    if row is None:
        raise NotFound(f"No session {session_id}; see GET /api/auth/sessions.", field="session_id")
    accounts.revoke_digest(session, row.digest, row.expires_at)

