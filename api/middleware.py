"""Cross-cutting HTTP concerns as plain ASGI middleware: body size limits, the headers of
every answer (security, CORS), the audit log of writes and which database server a request
reads from. ``install`` adds them in order.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from api.headers import SECURITY_HEADERS, public_cors
from spatial.accounts import audit, form_tokens
from spatial.db import routing
from spatial.db.engine import session_scope
from spatial.db.replication import lsn_int, lsn_text
from spatial.errors import Busy
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


#: Vector tiles (``/collections/{id}/tiles/{tms}/{z}/{y}/{x}``) and pages of items
#: (``/collections/{id}/items``): such a request takes its place under :class:`ConcurrencyLimit`
#: only to render (:func:`database_place`), since a tile or page held in memory needs no pooled
#: connection and must not wait in line behind requests that do.
PLACE_WHEN_RENDERING = re.compile(r"/collections/[^/]+/(?:tiles/[^/]+/[^/]+/[^/]+/[^/]+|items)")
_LIMIT_KEY = "pishraft.concurrency_limit"


class Places:
    """The places of one server process under the concurrency limit: at most ``limit`` requests
    at once, each for at most one pooled connection; one waits at most ``wait_s`` for a place.
    Shared by :class:`ConcurrencyLimit` and the tile path in front of it (:mod:`api.tile_path`)."""

    def __init__(self, limit: int, wait_s: float) -> None:
        self.limit, self.wait_s = limit, wait_s
        self._slots: anyio.Semaphore | None = None

    async def take(self) -> bool:
        """Take a place, waiting at most ``wait_s``; ``False`` when none came free."""
        if self._slots is None:  # created lazily, inside the server's event loop
            self._slots = anyio.Semaphore(self.limit)
        try:  # a free place is taken at once: the timed wait (a cancel scope) only when there is none
            self._slots.acquire_nowait()
            return True
        except anyio.WouldBlock:
            with anyio.move_on_after(self.wait_s) as waited:
                await self._slots.acquire()
            return not waited.cancelled_caught

    def release(self) -> None:
        """Give back a place taken with :meth:`take`."""
        assert self._slots is not None
        self._slots.release()

    def lend(self, scope: Scope) -> None:
        """Let the request take a place itself, only for what needs one (:class:`database_place`)."""
        scope[_LIMIT_KEY] = self


class ConcurrencyLimit:
    """Admit at most ``places.limit`` requests at once, each for at most one pooled connection.

    A request holds its database connection until its transaction ends (when its endpoint
    has run, before the answer is sent), so without a bound a burst of clients checks out more
    connections than the pool has and requests fail on pool timeouts. Excess requests
    wait here instead; one that waits longer than ``places.wait_s`` gets 503 with Retry-After.
    Vector tiles and items (:data:`PLACE_WHEN_RENDERING`) take their place only when they render.
    """

    #: Probes answer at once even when the server is saturated.
    EXEMPT = frozenset({"/health"})

    def __init__(self, app: ASGIApp, places: Places) -> None:
        self.app, self.places = app, places

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            return await self.app(scope, receive, send)
        if PLACE_WHEN_RENDERING.fullmatch(scope["path"]):
            self.places.lend(scope)
            return await self.app(scope, receive, send)
        if not await self.places.take():
            return await self._busy(send)
        try:
            await self.app(scope, receive, send)
        finally:
            self.places.release()

    @staticmethod
    async def _busy(send: Send) -> None:
        body = error_body("busy", "The server is at capacity; retry in a moment.")
        payload = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


class database_place:  # noqa: N801 - used as a function: ``async with database_place(scope):``
    """Hold a place under the concurrency limit for the block, for a request admitted without
    one (:data:`PLACE_WHEN_RENDERING`); raises :class:`~spatial.errors.Busy` (503) when none
    comes free in time. Other requests hold theirs already: the block just runs.

    A class rather than a generator-based context manager: it wraps every tile rendered on the
    event loop, where the generator machinery cost more than taking the place."""

    __slots__ = ("limit",)

    def __init__(self, scope: Scope) -> None:
        self.limit: Places | None = scope.get(_LIMIT_KEY)

    async def __aenter__(self) -> None:
        if self.limit is not None and not await self.limit.take():
            raise Busy("The server is at capacity; retry in a moment.")

    async def __aexit__(self, *exc_info: object) -> None:
        if self.limit is not None:
            self.limit.release()


class AnswerPolicy:
    """The headers every answer carries under one configuration: :data:`SECURITY_HEADERS` (unless
    the answer sets them itself) and, under a CORS policy (``cors``: the options of Starlette's
    :class:`~starlette.middleware.cors.CORSMiddleware`, never with credentials), the headers of a
    simple cross-origin request as that middleware sends them: ``Vary: Origin`` on every answer
    and, to an admitted ``Origin``, ``Access-Control-Allow-Origin`` (``*`` when any origin may
    read) and ``Access-Control-Expose-Headers``.

    They are decided once per configuration: CORSMiddleware rebuilds every answer's headers
    (measured at 20–25 µs of the ~300 µs of Python a small vector tile costs a worker).
    """

    def __init__(self, cors: dict[str, Any] | None = None) -> None:
        self.cors = cors
        origins = [] if cors is None else list(cors["allow_origins"])
        self.any_origin, self.origins = "*" in origins, frozenset(origins)
        expose = [] if cors is None else list(cors.get("expose_headers", []))
        self.exposed = ((b"access-control-expose-headers", ", ".join(expose).encode()),) if expose else ()

    def cors_of(self, scope: Scope) -> tuple[tuple[bytes, bytes], ...] | None:
        """The CORS headers of an answer to the request (``None``: no CORS policy, no ``Vary: Origin``)."""
        if self.cors is None:
            return None
        origin = request_header(scope, b"origin")
        if origin is not None and (self.any_origin or origin.decode("latin-1") in self.origins):
            return ((b"access-control-allow-origin", b"*" if self.any_origin else origin), *self.exposed)
        return ()

    @staticmethod
    def completed(raw: list[tuple[bytes, bytes]],
                  cors: tuple[tuple[bytes, bytes], ...] | None) -> list[tuple[bytes, bytes]]:
        """An answer's headers ``raw`` with the security headers it lacks and ``cors`` added (and,
        under a CORS policy, ``Origin`` added to one ``Vary`` after the answer's own values)."""
        names = [name.lower() for name, _ in raw]
        added = [header for header in SECURITY_HEADERS if header[0] not in names]
        if cors is not None:
            vary = [value for name, value in raw if name.lower() == b"vary"]
            if vary:
                raw = [(name, value) for name, value in raw if name.lower() != b"vary"]
            added += [*cors, (b"vary", b", ".join([*vary, b"Origin"]))]
        return [*raw, *added]


class AnswerHeaders:
    """Add the headers of :class:`AnswerPolicy` to every answer, in one pass over its headers.
    Preflights (``OPTIONS`` with ``Access-Control-Request-Method``) are answered by Starlette's
    CORSMiddleware under the policy's options."""

    def __init__(self, app: ASGIApp, policy: AnswerPolicy) -> None:
        self.app, self.policy = app, policy
        self.preflight = None if policy.cors is None else CORSMiddleware(app, **policy.cors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if (self.preflight is not None and scope["method"] == "OPTIONS"
                and request_header(scope, b"origin") is not None
                and request_header(scope, b"access-control-request-method") is not None):
            return await self.preflight(scope, receive, self._with_headers(send, None))
        await self.app(scope, receive, self._with_headers(send, self.policy.cors_of(scope)))

    def _with_headers(self, send: Send, cors: tuple[tuple[bytes, bytes], ...] | None) -> Send:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.policy.completed(message.get("headers", []), cors)
            await send(message)

        return with_headers


def request_header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of request header ``name`` (in lower case, as ASGI servers give names),
    read from the raw scope without building a ``Headers`` object."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


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
    """Record every non-GET request: who (the principal the authorisation dependency
    admitted or refused), role, method, route template, path parameters, status, time and
    client address, and what it did — the first change the code said
    (:func:`spatial.accounts.audit.did`), else what its route says.

    A request that changes something is recorded in the transaction of its change
    (:func:`spatial.accounts.audit.pending`), so that a change is never without its entry;
    its status is filled in once answered. A request that changed nothing is recorded after
    its answer; failing to record that is logged, never turned into an error for the caller.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        audit.install_commit_hook()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send)
        status = 500
        client = scope.get("client")
        entry = audit.PendingEntry(method=scope["method"], path=scope["path"], client=client[0] if client else None,
                                   facts=lambda: _facts(scope))

        async def capture(msg: Message) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]
            await send(msg)

        try:
            with audit.pending(entry):  # what the handler's code says it did is heard on entry.changes
                await self.app(scope, receive, capture)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._settle, scope, entry, status)

    @staticmethod
    def _settle(scope: Scope, entry: audit.PendingEntry, status: int) -> None:
        try:
            with form_tokens.suspended(), session_scope() as session:  # the form's token goes with its change
                audit.settle(session, entry, status)
        except Exception:  # the request is answered already; losing the entry must not hide it
            log.warning("could not write the audit entry for %s %s", scope["method"], scope["path"], exc_info=True)


def _facts(scope: Scope) -> dict[str, Any]:
    """Who the request was admitted or refused as so far, and the route it matched (the
    router fills these in on ``scope`` as the request runs)."""
    principal = scope.get("state", {}).get("principal")
    params = {k: str(v) for k, v in scope.get("path_params", {}).items()}
    return {"username": getattr(principal, "username", "anonymous"), "role": getattr(principal, "role", "anonymous"),
            "route": route_template(scope["path"], params) if scope.get("route") else scope["path"],
            "target": params}
#: Sent back by API clients to read their own writes (the browser sends :data:`LSN_COOKIE`).
READ_AFTER_HEADER = "Pishraft-Read-After"
#: The primary's WAL position after a request's writes committed.
COMMIT_LSN_HEADER = "Pishraft-Commit-LSN"
#: Which server answered a request's reads: ``primary`` or a replica's name.
READ_FROM_HEADER = "Pishraft-Read-From"
LSN_COOKIE = "pishraft_lsn"
#: Long enough for any replica that still serves reads (lagging less than
#: PISHRAFT_REPLICA_MAX_LAG_S) to have replayed the write.
LSN_COOKIE_MAX_AGE_S = 300


class ReadYourWrites:
    """Route each request's database sessions (:mod:`spatial.db.routing`): a ``GET`` or
    ``HEAD`` only reads, so it may read from a replica, one that has replayed the caller's
    last write (``Pishraft-Read-After`` header or ``pishraft_lsn`` cookie). A request that
    wrote answers with the primary's WAL position in both; every answer that read says
    which server it read from (``Pishraft-Read-From``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        min_lsn = lsn_int(headers.get(READ_AFTER_HEADER)) or lsn_int(cookie_parser(headers.get("cookie", "")).get(LSN_COOKIE))
        state = routing.RequestRouting(reads_only=scope["method"] in SAFE_METHODS, min_lsn=min_lsn)

        async def with_routing(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                extra = []
                if state.served_by:
                    extra.append((READ_FROM_HEADER.lower().encode(), state.served_by.encode()))
                if state.commit_lsn is not None:
                    lsn = lsn_text(state.commit_lsn)
                    secure = "; Secure" if get_settings().cookie_secure else ""
                    extra += [(COMMIT_LSN_HEADER.lower().encode(), lsn.encode()),
                              (b"set-cookie", f"{LSN_COOKIE}={lsn}; Max-Age={LSN_COOKIE_MAX_AGE_S}; Path=/; "
                                              f"HttpOnly; SameSite=Lax{secure}".encode())]
                msg["headers"] = [*msg.get("headers", []), *extra]
            await send(msg)

        with routing.routed(state):
            await self.app(scope, receive, with_routing)


#: Headers a cross-origin reader may send: the partner key, conditional requests, content negotiation.
CORS_READ_HEADERS = ["X-API-Key", "Accept", "Accept-Language", "If-None-Match", "Content-Type", READ_AFTER_HEADER]


def install(app: FastAPI, reads_in_front: Callable[..., ASGIApp] | None = None) -> None:
    """Add the middleware, outermost first: HEAD as GET, ``reads_in_front`` (a middleware that
    answers some reads itself, given the :class:`AnswerPolicy` and :class:`Places` of the others:
    the vector-tile path of :mod:`api.tile_path`), the headers of every answer (security and
    CORS), concurrency limit, audit, body limit, read-your-writes routing.

    CORS: ``PISHRAFT_CORS_ORIGINS`` admits those origins to everything (signed-in writes
    included). Without it, when anonymous reading is on, any origin may read (GET, HEAD)
    without credentials, so a partner's MapLibre page can load tiles and features out of
    the box; the preflight admits ``X-API-Key``.
    """
    settings = get_settings()
    cors: dict[str, Any] | None = None
    if settings.cors_origins:
        cors = {"allow_origins": settings.cors_origins, "allow_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
                "allow_headers": ["Authorization", "If-Match", *CORS_READ_HEADERS]}
    elif public_cors():
        cors = {"allow_origins": ["*"], "allow_methods": ["GET", "HEAD"], "allow_headers": CORS_READ_HEADERS}
    if cors is not None:
        cors |= {"allow_credentials": False, "expose_headers": ["ETag", "Retry-After", "Link"], "max_age": 600}
    answers = AnswerPolicy(cors)
    # Never more at once than the pool's pool_size connections plus as many again in overflow.
    places = Places(limit=min(settings.max_concurrent_requests, 2 * settings.pool_size),
                    wait_s=max(30.0, settings.pool_timeout_s))
    # Innermost first. The audit entry, written after the answer, is the primary's business alone.
    app.add_middleware(ReadYourWrites)
    app.add_middleware(BodyLimit, upload_bytes=settings.max_upload_mb * 1024 * 1024,
                       small_bytes=settings.max_json_kb * 1024)
    app.add_middleware(AuditLog)
    app.add_middleware(ConcurrencyLimit, places=places)
    app.add_middleware(AnswerHeaders, policy=answers)
    if reads_in_front is not None:  # adds the answer's headers and takes its place itself
        app.add_middleware(reads_in_front, answers=answers, places=places)
    app.add_middleware(HeadAsGet)
