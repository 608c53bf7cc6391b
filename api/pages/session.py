"""Sign in and sign out in the browser, with the accounts the API uses.

Signing in sets the same session cookie as ``POST /api/auth/token`` (a signed token,
HttpOnly, SameSite=Lax); signing out revokes it like ``POST /api/auth/logout``.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import Response

from api.auth import COOKIE, Principal, clear_session_cookie, client_address, set_session_cookie
from api.pages.forms import FormErrors
from api.pages.render import HOME, lang_of, page_router, redirect, render
from api.pages.security import SEED_COOKIE, Submitted, form_for, viewer
from spatial.accounts import signin
from spatial.accounts import users as accounts
from spatial.db.engine import session_scope
from spatial.errors import Unauthorized

router = page_router()


def _safe_next(target: str) -> str:
    """Only a path on this site (never ``//elsewhere`` or ``https://…``) may follow sign-in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else HOME


@router.get("/signin")
def sign_in_form(request: Request, next: str = HOME) -> Response:
    return render(request, "signin.html", {"next": _safe_next(next), "errors": FormErrors(lang_of(request))})


@router.post("/signin")
def sign_in(request: Request, sent: Submitted = Depends(form_for(None))) -> Response:
    errors = FormErrors(lang_of(request))
    username = errors.text(sent, "username", "signin.username", max_len=64)
    password = errors.text(sent, "password", "signin.password", max_len=256)
    target = _safe_next(sent.text("next") or HOME)
    if not errors:
        # Recorded in the audit log whether the sign-in succeeds or not.
        request.state.principal = Principal(username=username[:64], role="anonymous")
        try:
            account, token, ttl = signin.sign_in(username, password, address=client_address(request),
                                                 agent=request.headers.get("user-agent"),
                                                 replaces=request.cookies.get(COOKIE))
        except Unauthorized:
            errors.add("password", "signin.password", "signin.failed")
        except signin.SignInLocked:
            errors.add("password", "signin.password", "signin.locked")
        except signin.SignInTooSoon:
            errors.add("password", "signin.password", "signin.too_soon")
        else:
            request.state.principal = Principal(username=account.username, role=account.role)
            response = redirect(request, target)
            set_session_cookie(response, token, ttl)
            response.delete_cookie(SEED_COOKIE, path="/")
            return response
    return render(request, "signin.html", {"next": target, "errors": errors, "username": username},
                  status_code=422)


@router.get("/signout")
def sign_out_form(request: Request, who: Principal | None = Depends(viewer)) -> Response:
    if who is None:
        return redirect(request, HOME)
    return render(request, "signout.html")


@router.post("/signout")
def sign_out(request: Request, sent: Submitted = Depends(form_for(None))) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        try:
            with session_scope() as session:
                accounts.revoke_token(session, token)
        except Unauthorized:
            pass  # expired or invalid: signed out already
    response = redirect(request, HOME)
    clear_session_cookie(response)
    return response
