"""Sign-in locks and open sessions in the browser (:mod:`spatial.accounts.signin`, the same
as ``/api/auth/locks`` and the sessions API): the administrators' page lists the accounts
and addresses locked after wrong passwords, with a button that lifts each lock, and every
open session, with a button that signs it out; each signed-in user's own page lists their
sessions and signs any of them out (the one in use too, which signs this browser out)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from api.auth import COOKIE, Principal, clear_session_cookie, require
from api.pages.forms import FormErrors
from api.pages.history import moment
from api.pages.render import HOME, lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for, viewer
from spatial.accounts import signin
from spatial.db.engine import session_scope
from spatial.errors import Unauthorized

router = page_router()

LOCK_LABELS = {"kind": "signin.lock_kind", "subject": "signin.subject"}


def _shown(rows: list[dict[str, Any]], lang: str, *names: str) -> list[dict[str, Any]]:
    """The rows with their times in Jalali, Iran time (``<name>_shown``)."""
    return [{**r, **{f"{n}_shown": moment(r[n], lang) for n in names if r.get(n) is not None}} for r in rows]


# ------------------------------------------------------------------ administrators

def _admin_page(request: Request, errors: FormErrors, username: str = "", notice: str | None = None,
                status_code: int = 200) -> Response:
    lang = lang_of(request)
    with session_scope() as session:
        locks = _shown(signin.locks(session), lang, "last_at", "locked_until")
        sessions = _shown(signin.sessions(session, username or None), lang, "created_at", "expires_at")
    return render(request, "admin_signin.html", {"locks": locks, "sessions": sessions, "username": username,
                                                 "errors": errors, "notice": notice}, status_code=status_code)


@router.get("/admin/signin")
def signin_page(request: Request, username: str = Query("", max_length=64), lifted: str = Query("", max_length=200),
                _: Principal = Depends(require("admin"))) -> Response:
    """Locks now in force and open sessions (everyone's, or one user's)."""
    return _admin_page(request, FormErrors(lang_of(request)), username.strip(), lifted or None)


@router.post("/admin/signin/lift")
def lift_lock(request: Request, sent: Submitted = Depends(form_for("admin"))) -> Response:
    """Lift one lock (the wrong passwords counted are forgotten too)."""
    errors = FormErrors(lang_of(request))
    kind = errors.choice(sent, "kind", LOCK_LABELS["kind"], signin.KINDS)
    subject = errors.text(sent, "subject", LOCK_LABELS["subject"], max_len=200)
    if kind and not errors:
        with session_scope() as session:
            signin.lift(session, kind, subject)  # one lifted meanwhile: 404, said in words
        return redirect(request, "/admin/signin", lifted=subject)
    return _admin_page(request, errors, status_code=422)


@router.post("/admin/signin/sessions/{session_id}/end")
def end_any_session(request: Request, session_id: int, _: Submitted = Depends(form_for("admin"))) -> Response:
    with session_scope() as session:
        signin.end_session(session, session_id, owner=None)
    return redirect(request, "/admin/signin")


# ------------------------------------------------------------------ a user's own sessions

@router.get("/account/sessions")
def my_sessions_page(request: Request, _: Principal = Depends(require("read")),
                     who: Principal | None = Depends(viewer)) -> Response:
    """Where and when I am signed in; the session of this browser marked."""
    if who is None:
        return redirect(request, "/signin", next="/account/sessions")
    with session_scope() as session:
        current = signin.session_id(session, request.cookies.get(COOKIE) or "")
        mine = _shown(signin.sessions(session, who.username), lang_of(request), "created_at", "expires_at")
    return render(request, "my_sessions.html", {"sessions": mine, "current": current})


@router.post("/account/sessions/{session_id}/end")
def end_my_session(request: Request, session_id: int, sent: Submitted = Depends(form_for(None))) -> Response:
    """Sign one of my sessions out; ending this browser's own signs it out here too. Like the
    sign-out form, for whoever is signed in in this browser (CSRF token checked), and only
    for their own sessions (another's: 404)."""
    who = sent.principal
    if who is None:
        raise Unauthorized("Sign in to sign out your sessions.")
    with session_scope() as session:
        current = signin.session_id(session, request.cookies.get(COOKIE) or "")
        signin.end_session(session, session_id, owner=who.username)  # another's session: 404
    if session_id != current:
        return redirect(request, "/account/sessions")
    response = redirect(request, HOME)
    clear_session_cookie(response)
    return response
