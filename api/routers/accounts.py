"""Sign-in (OAuth2 password flow), the caller's identity, and user management."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from api.auth import COOKIE, Principal, bearer_token, client_address, clear_session_cookie, require, set_session_cookie
from api.deps import DbSession
from spatial.accounts import signin
from spatial.accounts import users as accounts
from spatial.errors import Unauthorized

router = APIRouter(tags=["accounts"])

Role = Literal["admin", "analyst", "planner", "core", "viewer"]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")
    role: Role


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
    password: str = Field(min_length=accounts.MIN_PASSWORD_LENGTH, max_length=256)
    role: Role
    area: str | None = Field(default=None, max_length=64, description="Unit code of a core member's area")


class UserChange(BaseModel):
    role: Role | None = None
    area: str | None = Field(default=None, max_length=64, description="Unit code; with role core")
    disabled: bool | None = None


@router.post("/api/auth/token", response_model=Token, summary="Sign in: a bearer token and a session cookie")
def sign_in(
    request: Request,
    response: Response,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """OAuth2 password flow. The token goes in ``Authorization: Bearer``; the same token
    is set as an HttpOnly, Secure, SameSite=Lax cookie so that map pages open signed in
    (the cookie is honoured for reading only). Repeated wrong passwords are slowed down
    and then locked out (429 with ``Retry-After``); a session cookie sent along is revoked."""
    # Recorded in the audit log whether the sign-in succeeds or not.
    request.state.principal = Principal(username=form.username[:64], role="anonymous")
    account, token, ttl = signin.sign_in(form.username, form.password, address=client_address(request),
                                         agent=request.headers.get("user-agent"),
                                         replaces=request.cookies.get(COOKIE))
    request.state.principal = Principal(username=account.username, role=account.role)
    set_session_cookie(response, token, ttl)
    return Token(access_token=token, expires_in=ttl, role=account.role)  # type: ignore[arg-type]


@router.post("/api/auth/logout", status_code=204, summary="Sign out: revoke the session's token, clear the cookie")
def sign_out(request: Request, response: Response, session: DbSession) -> Response:
    """Revoke the bearer token (or the session cookie's token) and clear the cookie.

    Without credentials, or with a token that is no longer valid, there is nothing to
    revoke and the answer is the same 204.
    """
    token = bearer_token(request) or request.cookies.get(COOKIE)
    if token:
        try:
            accounts.revoke_token(session, token)
        except Unauthorized:
            pass  # invalid or expired: signed out already
    response.status_code = 204
    clear_session_cookie(response)
    return response


@router.get("/api/auth/me", summary="Who the caller is")
def whoami(principal: Principal = Depends(require("read"))) -> dict[str, Any]:
    return {"username": principal.username, "role": principal.role, "area_unit_id": principal.area_unit_id,
            "partner": principal.partner}


@router.get("/api/users", summary="Every user (admins only)")
def list_users(
    session: DbSession, _: Principal = Depends(require("admin"))
) -> list[dict[str, Any]]:
    return accounts.list_users(session)


@router.post("/api/users", status_code=201, summary="Create a user (admins only)")
def create_user(
    body: NewUser, session: DbSession, _: Principal = Depends(require("admin"))
) -> dict[str, Any]:
    user = accounts.create_user(session, body.username, body.password, body.role, area_code=body.area)
    return {"username": user.username, "role": user.role, "area": body.area}


@router.patch("/api/users/{username}", summary="Change a user's role, area or state (admins only)")
def change_user(
    username: str, body: UserChange, session: DbSession,
    _: Principal = Depends(require("admin")),
) -> dict[str, Any]:
    accounts.user_info(session, username)
    if body.role is not None:
        accounts.set_role(session, username, body.role, area_code=body.area)
    if body.disabled is not None:
        accounts.set_disabled(session, username, body.disabled)
    return accounts.user_info(session, username)


@router.get("/api/auth/sessions", summary="The caller's open sessions")
def my_sessions(request: Request, session: DbSession,
                principal: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    """Where and when the caller is signed in; ``current`` marks the session of this request
    (partner keys and anonymous callers have none)."""
    current = signin.session_id(session, bearer_token(request) or request.cookies.get(COOKIE) or "")
    return [{**s, "current": s["id"] == current} for s in signin.sessions(session, principal.username)]


@router.delete("/api/auth/sessions/{session_id}", status_code=204, summary="Sign out one of the caller's sessions")
def end_my_session(session_id: int, session: DbSession,
                   principal: Principal = Depends(require("read"))) -> Response:
    signin.end_session(session, session_id, owner=principal.username)
    return Response(status_code=204)


@router.get("/api/users/{username}/sessions", summary="A user's open sessions (admins only)")
def user_sessions(username: str, session: DbSession,
                  _: Principal = Depends(require("admin"))) -> list[dict[str, Any]]:
    accounts.user_info(session, username)
    return signin.sessions(session, username)


@router.delete("/api/sessions/{session_id}", status_code=204, summary="Sign out any session (admins only)")
def end_session(session_id: int, session: DbSession, _: Principal = Depends(require("admin"))) -> Response:
    signin.end_session(session, session_id, owner=None)
    return Response(status_code=204)


@router.get("/api/auth/locks", summary="Accounts and addresses locked after wrong passwords (admins only)")
def locks(session: DbSession, _: Principal = Depends(require("admin"))) -> list[dict[str, Any]]:
    return signin.locks(session)


@router.delete("/api/auth/locks/{kind}/{subject}", status_code=204,
               summary="Lift the lock of an account or address (admins only)")
def lift_lock(kind: Literal["account", "address"], subject: str, session: DbSession,
              _: Principal = Depends(require("admin"))) -> Response:
    signin.lift(session, kind, subject)
    return Response(status_code=204)
