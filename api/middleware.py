"""Cross-cutting HTTP concerns as plain ASGI middleware: body size limits, security
headers and the audit log of writes. ``install`` adds them (and CORS) in order.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from api.headers import SECURITY_HEADERS, public_cors
from spatial.accounts import audit, form_tokens
from spatial.db.engine import session_scope
from spatial.settings import get_settings

log = logging.getLogger("pishraft.api")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Bodies the framework parses whole in memory; everything else (multipart, files) is an upload.
SMALL_BODY_TYPES = ("application/json", "application/x-www-form-urlencoded")


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


class _BodyTooLarge(Exception):
    """Raised into the app when a streamed body passes the limit."""


class BodyLimit:
    """Refuse request bodies over the limit with 413: ``upload_bytes`` for uploads,
    ``small_bytes`` for JSON and form bodies. Checks ``Content-Length`` up front and
    counts streamed (chunked) bodies as they arrive."""

    def __init__(self, app: ASGIApp, upload_bytes: int, small_bytes: int) -> None:
        self.app, self.upload_bytes, self.small_bytes = app, upload_bytes, small_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        small = headers.get("content-type", "").split(";")[0].strip().lower() in SMALL_BODY_TYPES
        limit = self.small_bytes if small else self.upload_bytes
        what = "JSON/form body" if small else "upload"
        message = (f"The {what} is larger than the limit of {limit // 1024} KB; "
                   + ("send less data." if small else "raise PISHRAFT_MAX_UPLOAD_MB or split the file."))
        length = headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > limit:
            return await _send_json(send, 413, error_body("too_large", message, "body"))

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return msg

        async def guarded_send(msg: Message) -> None:
            nonlocal started
            if exceeded:  # whatever the app makes of the interrupted body, the answer is 413
                return
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            pass
        if exceeded and not started:
            await _send_json(send, 413, error_body("too_large", message, "body"))


class ConcurrencyLimit:
    """Admit at most ``limit`` requests at once, each for at most one pooled connection.

    A request holds its database connection until its transaction ends (when its endpoint
    has run, before the answer is sent), so without a bound a burst of clients checks out more
    connections than the pool has and requests fail on pool timeouts. Excess requests
    wait here instead; one that waits longer than ``wait_s`` gets 503 with Retry-After.
    """

    #: Probes answer at once even when the server is saturated.
    EXEMPT = frozenset({"/health"})

    def __init__(self, app: ASGIApp, limit: int, wait_s: float) -> None:
        self.app, self.limit, self.wait_s = app, limit, wait_s
        self._slots: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            return await self.app(scope, receive, send)
        if self._slots is None:  # created lazily, inside the server's event loop
            self._slots = anyio.Semaphore(self.limit)
        with anyio.move_on_after(self.wait_s) as waited:
            await self._slots.acquire()
        if waited.cancelled_caught:
            body = error_body("busy", "The server is at capacity; retry in a moment.")
            payload = json.dumps(body).encode()
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1"),
                                    (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to every response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                present = {k.lower() for k, _ in msg.get("headers", [])}
                msg["headers"] = [*msg.get("headers", []), *(h for h in SECURITY_HEADERS if h[0] not in present)]
            await send(msg)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    """Answer ``HEAD`` wherever ``GET`` works (HTTP requires it): run the request as a GET
    and send its status and headers without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)

        async def without_body(msg: Message) -> None:
            if msg["type"] == "http.response.body":
                if msg.get("more_body", False):
                    return
                msg = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(msg)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def route_template(path: str, params: dict[str, str]) -> str:
    """The route a path matched, with its parameters put back as ``{name}``.

    Examples
    --------
    >>> route_template("/api/users/ali", {"username": "ali"})
    '/api/users/{username}'
    """
    by_value = {v: k for k, v in params.items()}
    return "/".join(f"{{{by_value[seg]}}}" if seg in by_value else seg for seg in path.split("/"))


class AuditLog:
    """Record every non-GET request once it is answered: who (the principal the
    authorisation dependency admitted or refused), role, method, route template,
    path parameters, status, time and client address, and what it did — the first change
    the code said (:func:`spatial.accounts.audit.did`), else what its route says. A failure to record is logged,
    never turned into an error for the caller."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send)
        status = 500

        async def capture(msg: Message) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]
            await send(msg)

        with audit.listening() as changes:  # what the handler's code says it did (audit.did)
            try:
                await self.app(scope, receive, capture)
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._write, scope, status, changes)

    @staticmethod
    def _write(scope: Scope, status: int, changes: list[audit.Change]) -> None:
        principal = scope.get("state", {}).get("principal")
        route = scope.get("route")
        params = {k: str(v) for k, v in scope.get("path_params", {}).items()}
        client = scope.get("client")
        try:
            with form_tokens.suspended(), session_scope() as session:  # the form's token goes with its change
                audit.record(
                    session,
                    username=getattr(principal, "username", "anonymous"),
                    role=getattr(principal, "role", "anonymous"),
                    method=scope["method"],
                    route=route_template(scope["path"], params) if route else scope["path"],
                    path=scope["path"],
                    target=params,
                    status=status,
                    client=client[0] if client else None,
                    # A refused request did nothing: its entry says what it asked (from its route).
                    change=changes[0] if changes and (status < 400 or changes[0].action == "resend") else None,
                )
        except Exception:  # the request is answered already; losing the entry must not hide it
            log.warning("could not write the audit entry for %s %s", scope["method"], scope["path"], exc_info=True)


#: Headers a cross-origin reader may send: the partner key, conditional requests, content negotiation.
CORS_READ_HEADERS = ["X-API-Key", "Accept", "Accept-Language", "If-None-Match", "Content-Type"]


def install(app: FastAPI) -> None:
    """Add the middleware, outermost first: HEAD as GET, security headers, CORS,
    concurrency limit, audit, body limit.

    CORS: ``PISHRAFT_CORS_ORIGINS`` admits those origins to everything (signed-in writes
    included). Without it, when anonymous reading is on, any origin may read (GET, HEAD)
    without credentials, so a partner's MapLibre page can load tiles and features out of
    the box; the preflight admits ``X-API-Key``.
    """
    settings = get_settings()
    app.add_middleware(BodyLimit, upload_bytes=settings.max_upload_mb * 1024 * 1024,
                       small_bytes=settings.max_json_kb * 1024)
    app.add_middleware(AuditLog)
    # Never more at once than the pool's pool_size connections plus as many again in overflow.
    app.add_middleware(ConcurrencyLimit, limit=min(settings.max_concurrent_requests, 2 * settings.pool_size),
                       wait_s=max(30.0, settings.pool_timeout_s))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", *CORS_READ_HEADERS],
            expose_headers=["ETag", "Retry-After", "Link"], max_age=600,
        )
    elif public_cors():
        app.add_middleware(
            CORSMiddleware, allow_origins=["*"], allow_credentials=False, allow_methods=["GET", "HEAD"],
            allow_headers=CORS_READ_HEADERS, expose_headers=["ETag", "Retry-After", "Link"], max_age=600,  # as PUBLIC_CORS_HEADERS
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)
