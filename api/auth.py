"""Who is calling, and what they may do: the one authorisation dependency.

Every route declares the permission it needs with ``Depends(require("..."))``; the
route body receives the :class:`Principal`. Permissions:

- ``read``: read any resource (anonymous when the ``anonymous_read`` setting is on;
  partner keys read, within their collections where a route names one);
- ``layers:write``, ``indicators:write``: analysts;
- ``roadmaps:write``: planners, and core members inside their area (the route checks
  the unit with ``spatial.units.access.ensure_within_area(session, unit_id, principal.area_unit_id)``);
- ``admin``: user management and the audit log;
- ``monitor``: the monitoring centre (``/monitor``, ``/api/monitor``): every signed-in role
  and partner key; anonymous callers only when the ``monitor_anonymous`` setting is on.

Credentials, in this order: ``Authorization: Bearer <token>`` (from
``POST /api/auth/token``); a partner key in ``X-API-Key`` or the ``api_key`` query
parameter; the session cookie, which counts for GET/HEAD only so that a page on
another site cannot make a signed-in browser write (CSRF). Presenting bad
credentials is always 401, even when anonymous reading is allowed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.types import Scope

from spatial.accounts import users as accounts
from spatial.db.engine import session_scope
from spatial.errors import Forbidden, PishraftError, Unauthorized
from spatial.models.accounts import ROLES
from spatial.accounts.ratelimit import TokenBuckets
from spatial.settings import get_settings
from spatial.accounts.tokens import token_subject

__all__ = ["COOKIE", "PERMISSIONS", "ROLES", "ROLE_PERMISSIONS", "Principal", "authorise", "bearer_token",
           "clear_session_cookie", "client_address", "cookie_principal", "presents_credentials", "require",
           "resolve_principal", "set_session_cookie"]

PERMISSIONS: tuple[str, ...] = ("read", "layers:write", "indicators:write", "roadmaps:write", "admin", "monitor")

#: What each role may do; ``partner`` and ``anonymous`` are callers without an account.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "analyst": frozenset({"read", "layers:write", "indicators:write", "monitor"}),
    "planner": frozenset({"read", "roadmaps:write", "monitor"}),
    "core": frozenset({"read", "roadmaps:write", "monitor"}),
    "viewer": frozenset({"read", "monitor"}),
    "partner": frozenset({"read", "monitor"}),
    "anonymous": frozenset({"read"}),
}

COOKIE = "pishraft_session"
API_KEY_HEADER = "X-API-Key"
API_KEY_PARAM = "api_key"

rate_limits = TokenBuckets()

# Declared on every route so that the OpenAPI document (and /docs' "Authorize") shows
# both ways in; the dependency below reads the credentials itself.
_bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)
_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


@dataclass(frozen=True)
class Principal:
    """The caller of a request.

    ``area_unit_id`` restricts edits to a unit and its descendants (progress-core
    members; ``None`` means no restriction). ``api_key`` is the partner key the caller
    presented, so that links handed back (TileJSON tile URLs) can carry it.
    """

    username: str
    role: str
    area_unit_id: int | None = None
    partner: str | None = None
    api_key: str | None = None
    #: The partner key's collections (``None``: all); only for partners.
    collections: tuple[str, ...] | None = None


ANONYMOUS = Principal(username="anonymous", role="anonymous")


def resolve_principal(request: Request, session: Session) -> Principal | None:
    """Who presented credentials with ``request``; ``None`` when nobody did.

    Raises :class:`Unauthorized` for a bad, expired or revoked credential and
    :class:`RateLimited` when a partner key exceeds its rate.
    """
    token = bearer_token(request)
    if token:
        return _user_principal(session, token)
    key = partner_key(request)
    if key:
        found = accounts.active_key(session, key)
        if found is None:
            raise Unauthorized("The API key is unknown or revoked; ask the Pishraft administrator for a key.",
                               field=API_KEY_HEADER)
        return _partner(found, key)
    cookie = request.cookies.get(COOKIE)
    if cookie and request.method in ("GET", "HEAD"):
        return _user_principal(session, cookie)
    return None


#: Request headers that may carry credentials: a bearer token, a partner key, a session cookie.
_CREDENTIAL_HEADERS = frozenset({b"authorization", API_KEY_HEADER.lower().encode(), b"cookie"})


def _may_carry_credentials(scope: Scope) -> bool:
    """Whether the raw request has a header or query parameter that may carry credentials
    (``False``: it carries none; ``True`` may still find none once parsed). A query string with a
    percent escape may spell ``api_key`` escaped, so it is parsed to be sure."""
    query = scope["query_string"]
    return (API_KEY_PARAM.encode() in query or b"%" in query
            or any(name in _CREDENTIAL_HEADERS for name, _ in scope["headers"]))


def presents_credentials(request: Request) -> bool:
    """Whether ``request`` carries anything :func:`resolve_principal` reads (a bearer token,
    a partner key, a session cookie); without any, the caller is known to be anonymous
    without asking the database."""
    if not _may_carry_credentials(request.scope):  # the common case, told from the raw request
        return False
    headers = request.headers
    return bool(bearer_token(request) or headers.get(API_KEY_HEADER) or API_KEY_PARAM in request.query_params
                or (COOKIE in request.cookies and request.method in ("GET", "HEAD")))


def _resolve_in_own_session(request: Request) -> Principal | None:
    with session_scope() as session:
        return resolve_principal(request, session)


def cookie_principal(request: Request, session: Session) -> Principal | None:
    """Who the session cookie names, for any method; ``None`` without a cookie or with one
    that expired, was signed out or names a disabled account.

    Only for the workspace pages (:mod:`api.pages`), whose writes also check the form's
    CSRF token; API routes use :func:`require`, which honours the cookie for reading only.
    """
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        return _user_principal(session, cookie)
    except Unauthorized:
        return None


def set_session_cookie(response: Response, token: str, ttl_s: int) -> None:
    """Hand the browser its session: ``token`` as an HttpOnly, SameSite=Lax cookie (Secure
    unless the ``cookie_secure`` setting is off)."""
    response.set_cookie(COOKIE, token, max_age=ttl_s, httponly=True, secure=get_settings().cookie_secure,
                        samesite="lax", path="/")


def clear_session_cookie(response: Response) -> None:
    """Make the browser forget its session cookie."""
    response.delete_cookie(COOKIE, path="/", httponly=True, secure=get_settings().cookie_secure, samesite="lax")


def client_address(request: Request) -> str | None:
    """The address the request came from, as the server sees it (behind a proxy, the
    proxy's unless the server is told to trust its forwarded headers)."""
    return request.client.host if request.client else None


def partner_key(request: Request) -> str | None:
    """The partner key sent with ``request`` (``X-API-Key``, or ``?api_key=`` from a browser), if any."""
    return request.headers.get(API_KEY_HEADER) or request.query_params.get(API_KEY_PARAM)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if one was sent."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _partner(found: accounts.PartnerKey, key: str) -> Principal:
    rate_limits.take(found.id, found.rate_per_s)
    return _partner_principal(found, key)


def _partner_principal(found: accounts.PartnerKey, key: str) -> Principal:
    return Principal(username=f"partner:{found.partner}", role="partner", partner=found.partner,
                     api_key=key, collections=found.collections)


def known_principal(request: Request, permission: str, collection: str | None = None) -> Principal | None:
    """The principal :func:`require` would admit, when memory alone settles it: an anonymous
    caller, or a partner key looked up lately (its rate limit is taken here). ``None`` otherwise
    — a bearer token or session cookie, a key not in memory, a refusal of any kind — and then the
    request goes the ordinary way, which asks the database and answers every refusal."""
    if not _may_carry_credentials(request.scope):  # the common case, told from the raw request
        try:
            return authorise(None, permission, collection)
        except PishraftError:
            return None
    if bearer_token(request) or (COOKIE in request.cookies and request.method in ("GET", "HEAD")):
        return None
    key = partner_key(request)
    found = accounts.remembered_key(key) if key else None
    if key and found is None:
        return None
    try:
        admitted = authorise(None if found is None else _partner_principal(found, key or ""), permission, collection)
        if found is not None:
            rate_limits.take(found.id, found.rate_per_s)
    except PishraftError:
        return None
    return admitted


def _user_principal(session: Session, token: str) -> Principal:
    username = token_subject(token)
    if accounts.token_revoked(session, token):
        raise Unauthorized("This session was signed out; sign in again at POST /api/auth/token.",
                           field="Authorization")
    account = accounts.active_account(session, username)
    if account is None:
        raise Unauthorized("This account no longer exists or is disabled.", field="Authorization")
    return Principal(username=account.username, role=account.role, area_unit_id=account.area_unit_id)


def authorise(principal: Principal | None, permission: str, collection: str | None = None) -> Principal:
    """The principal if it holds ``permission`` (and may read ``collection``); raises otherwise."""
    if principal is None:
        settings = get_settings()
        if (permission == "read" and settings.anonymous_read) or (permission == "monitor" and settings.monitor_anonymous):
            return ANONYMOUS
        raise Unauthorized("Sign in first: POST /api/auth/token (or send a partner key in X-API-Key).",
                           field="Authorization")
    if permission not in ROLE_PERMISSIONS.get(principal.role, frozenset()):
        raise Forbidden(f"Your role '{principal.role}' may not do this; it needs the '{permission}' permission.")
    if collection is not None and principal.collections is not None and collection not in principal.collections:
        raise Forbidden(f"Your key does not cover collection {collection!r}; it covers "
                        f"{', '.join(principal.collections)}.", field="collectionId")
    return principal


def require(permission: str, *, collection_param: str | None = None) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency that admits callers holding ``permission``.

    ``collection_param`` names the path parameter holding an OGC collection id, for
    partner keys scoped to some collections. The admitted principal is also left on
    ``request.state.principal`` for the audit log.

    Examples
    --------
    >>> @router.post("/api/things")                                     # doctest: +SKIP
    ... def add(_: Principal = Depends(require("layers:write"))): ...
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}; use one of {PERMISSIONS}")

    async def dependency(
        request: Request,
        _bearer: str | None = Depends(_bearer_scheme),
        _key: str | None = Depends(_key_scheme),
    ) -> Principal:
        # An anonymous caller is settled on the event loop, without a session; credentials may
        # need the database (and a partner key a rate-limit lease), so they are checked in a
        # worker thread, in a short read of their own that ends before the route's session
        # begins (most lookups are answered from memory and never connect).
        principal = (await run_in_threadpool(_resolve_in_own_session, request)
                     if presents_credentials(request) else None)
        if principal is not None:
            request.state.principal = principal
        collection = request.path_params.get(collection_param) if collection_param else None
        admitted = authorise(principal, permission, collection)
        request.state.principal = admitted
        return admitted

    dependency.__name__ = f"require_{permission.replace(':', '_')}"
    # Read by the authorisation-matrix test to find each route's permission.
    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.collection_param = collection_param  # type: ignore[attr-defined]
    return dependency
