"""Who is looking at a page, and the guard on every form the workspace posts.

- Reading: a GET page declares ``Depends(require("read"))`` exactly as an API route does
  (``api.auth.require``: bearer token, partner key or session cookie); :func:`viewer` is
  the signed-in user, or ``None``.
- Writing: every form carries ``csrf_token`` (the ``csrf_field()`` macro in
  ``templates/macros.html``), an HMAC of the session under the server's secret key. The
  dependency :func:`form_for` makes the role check the API makes, then checks the token,
  and hands the handler the :class:`Submitted` form with its principal. Area scope is
  the handler's job, as in the API: ``spatial.units.access.ensure_within_area``.
- Sending once: the same macro gives every form a one-time ``form_token``
  (:mod:`spatial.accounts.form_tokens`). :func:`form_for` answers a form whose token is
  used already with the page its first send led to (:class:`~spatial.errors.AlreadySent`,
  a 303 on pages), and otherwise makes the token pending: the handler's transaction that
  writes stores it with the change, and ``render.redirect`` says where the change led.
  A refresh or a double click therefore makes one object, whatever the form.

The session cookie is HttpOnly and SameSite=Lax (``api.auth.set_session_cookie``); the
anonymous visitor's CSRF seed cookie (for the sign-in form) is HttpOnly and SameSite=Strict.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request, Response
from starlette.datastructures import FormData

from api.auth import (
    COOKIE,
    ROLES,
    Principal,
    authorise,
    bearer_token,
    cookie_principal,
    partner_key,
    resolve_principal,
)
from spatial.accounts import audit, form_tokens
from spatial.accounts.tokens import secret_key
from spatial.db.engine import session_scope
from spatial.errors import AlreadySent, Forbidden
from spatial.messages import t
from spatial.settings import get_settings

CSRF_FIELD = "csrf_token"
#: The one-time token of a form (see :mod:`spatial.accounts.form_tokens`).
ONCE_FIELD = "form_token"
#: The anonymous visitor's CSRF seed (before sign-in there is no session to bind the token to).
SEED_COOKIE = "pishraft_csrf"


def _seed(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or request.cookies.get(SEED_COOKIE) or getattr(request.state, "csrf_seed", None)


def _token_for(seed: str) -> str:
    return hmac.new(secret_key(), f"csrf|{seed}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The CSRF token forms on this page must carry (a new anonymous seed is made if needed)."""
    seed = _seed(request)
    if seed is None:
        seed = request.state.csrf_seed = secrets.token_urlsafe(24)
    return _token_for(seed)


def remember_anonymous_seed(request: Request, response: Response) -> None:
    """Set the seed cookie made by :func:`csrf_token` for a visitor without one."""
    seed = getattr(request.state, "csrf_seed", None)
    if seed and not request.cookies.get(SEED_COOKIE):
        response.set_cookie(SEED_COOKIE, seed, httponly=True, samesite="strict", path="/",
                            secure=get_settings().cookie_secure)


def csrf_valid(request: Request, submitted: str | None) -> bool:
    """True when ``submitted`` is this browser's token (compared in constant time)."""
    seed = request.cookies.get(COOKIE) or request.cookies.get(SEED_COOKIE)
    if not seed or not submitted:
        return False
    return hmac.compare_digest(_token_for(seed), submitted)


def viewer_of(request: Request) -> Principal | None:
    """The signed-in user of this request (``None`` for visitors and partner keys): the
    principal the route's ``require(...)`` admitted, else the session cookie's."""
    admitted = getattr(request.state, "principal", None)
    if admitted is not None:
        return admitted if admitted.role in ROLES else None
    if not hasattr(request.state, "viewer"):
        principal = None
        if request.cookies.get(COOKIE):
            with session_scope() as session:
                principal = cookie_principal(request, session)
        request.state.viewer = principal
    viewer: Principal | None = request.state.viewer
    return viewer


def viewer(request: Request) -> Principal | None:
    """Dependency: the signed-in user, or ``None`` (for pages that show more to the signed in)."""
    return viewer_of(request)


def _api_credentials(request: Request) -> bool:
    """True when the request carries a bearer token or partner key (an API client, not a
    browser form: such headers are never sent by another site's page, so no CSRF check)."""
    return bool(bearer_token(request) or partner_key(request))


@dataclass(frozen=True)
class Submitted:
    """A form that passed the CSRF check, and who sent it (``None`` for the sign-in form)."""

    form: FormData
    principal: Principal | None

    def text(self, name: str) -> str:
        """The field's value, stripped ('' when absent)."""
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def all(self, name: str) -> list[str]:
        """Every value of a repeated field (checkboxes, multi-selects)."""
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str)]


def form_for(permission: str | None) -> Callable[[Request], Awaitable[Submitted]]:
    """Dependency for a form's POST handler: who sends it (session cookie, or a bearer
    token / partner key for API clients), the API's role check for ``permission``
    (:func:`api.auth.authorise`: 401 signed out, 403 without the permission), then the
    CSRF token for cookie sessions, then the form's one-time token: a form sent before is
    refused with :class:`~spatial.errors.AlreadySent` (the page it led to), any other makes
    its token pending for the handler's transaction. ``permission=None`` is for the sign-in
    and sign-out forms: anyone, CSRF token only.

    Examples
    --------
    >>> @router.post("/roadmaps/new")                                   # doctest: +SKIP
    ... def create(request: Request, sent: Submitted = Depends(form_for("roadmaps:write"))): ...
    """

    async def dependency(request: Request) -> Submitted:
        form = await request.form()
        api_client = permission is not None and _api_credentials(request)
        principal = viewer_of(request)
        if api_client:
            with session_scope() as session:
                principal = resolve_principal(request, session)
        if permission is not None:
            if principal is not None:
                request.state.principal = principal  # for the audit log, refused or not
            principal = authorise(principal, permission)
            request.state.principal = principal
        token = form.get(CSRF_FIELD)
        if not api_client and not csrf_valid(request, token if isinstance(token, str) else None):
            raise Forbidden(t("form.csrf", "en"), field=CSRF_FIELD)
        once = form.get(ONCE_FIELD)
        pending = form_tokens.expect(once if isinstance(once, str) else None)
        if pending is not None:
            with session_scope() as session:
                sent_before, url = form_tokens.used(session, pending.token)
            if sent_before:
                audit.instead("resend", "form", url=url)  # nothing changed: the audit log says so
                raise AlreadySent(url)
        return Submitted(form, principal)

    dependency.__name__ = f"form_for_{(permission or 'anyone').replace(':', '_')}"
    if permission is not None:
        # Read by the authorisation-matrix test (tests/auth), as for api.auth.require.
        dependency.permission = permission  # type: ignore[attr-defined]
        dependency.collection_param = None  # type: ignore[attr-defined]
    return dependency
