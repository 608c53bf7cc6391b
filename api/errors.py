"""One mapping from domain errors to HTTP responses, in one JSON shape:
``{"error": {"code": ..., "message": ..., "field": ...}}``.

A client whose ``Accept-Language`` prefers Persian also gets ``"message_fa"``: the
catalogue's Persian text of the refusal (``refusal.<reason or code>``). The codes this
module answers with beside the domain errors' are listed in :data:`HTTP_CODES`.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from spatial import errors
from spatial.db import migrate
from spatial.messages import refusal, t
from layers import datafiles

log = logging.getLogger("pishraft.api")

STATUS: dict[type[errors.PishraftError], int] = {
    errors.NotFound: 404,
    errors.InvalidInput: 422,
    errors.InvalidParameter: 400,
    errors.Conflict: 409,
    errors.VersionMismatch: 412,
    errors.VersionRequired: 428,
    errors.TooLarge: 413,
    errors.StorageFull: 507,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.RateLimited: 429,
    errors.Busy: 503,
    errors.DatabaseUnavailable: 503,
    errors.EnvironmentProblem: 503,
}


#: Codes answered for failures that are not domain errors, by HTTP status where one applies.
HTTP_CODES: dict[int | str, str] = {
    404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden", 413: "too_large",
    429: "rate_limited", 503: "unavailable", "other": "http_error", "timeout": "timeout", "busy": "busy",
    "internal": "internal", "database": "database_unavailable", "value": "invalid_input",
    "read_only": "database_read_only",
}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    """The JSON error document every failing route returns."""
    return {"error": {"code": code, "message": message, "field": field}}


def prefers_persian(request: Request) -> bool:
    """True when the request's ``Accept-Language`` ranks Persian above English."""
    ranked: list[tuple[float, str]] = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            ranked.append((float(q) if q else 1.0, tag.strip().lower()))
        except ValueError:
            continue
    ranked.sort(key=lambda pair: -pair[0])
    return next((tag.startswith("fa") for _, tag in ranked if tag[:2] in ("fa", "en")), False)


def _answer(request: Request, status: int, code: str, message: str, field: str | None = None,
            told: errors.PishraftError | None = None, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> JSONResponse:
    """The JSON error, with the Persian text of ``told`` (or of ``code``) for a Persian reader,
    and ``extra`` members the error carries (e.g. what changed since a version)."""
    body: dict[str, dict[str, Any]] = error_body(code, message, field)
    body["error"].update(extra or {})
    if prefers_persian(request):
        body["error"]["message_fa"] = refusal(told, "fa") if told else t(f"refusal.{code}", "fa")
    return JSONResponse(body, status_code=status, headers=headers)


def _status_for(exc: errors.PishraftError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _is_page(request: Request) -> bool:
    """True for a workspace page (``api.pages``), whose errors are answered in HTML."""
    return bool(getattr(request.state, "page", False))


async def _domain_error(request: Request, exc: errors.PishraftError) -> Response:
    if _is_page(request):
        from api.pages.render import error_page  # the pages render with the app's templates

        return error_page(request, exc, _status_for(exc))
    return domain_error_response(request, exc)


def domain_error_response(request: Request, exc: errors.PishraftError) -> JSONResponse:
    """The JSON answer to a refusal said by Pishraft's code: its status, headers and error document."""
    headers = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    if isinstance(exc, errors.Busy):
        headers["Retry-After"] = "1"
    if isinstance(exc, errors.Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.VersionMismatch):  # what changed since, for the caller to redo its change
        headers["ETag"] = f'"{exc.version}"'
        extra = {"version": exc.version, "changed": exc.changed, "conflicts": exc.conflicts}
    return _answer(request, _status_for(exc), exc.code, exc.message, exc.field, told=exc, headers=headers,
                   extra=extra)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "header")]
    field = ".".join(loc) or None
    message = f"{field}: {first.get('msg', 'invalid value')}" if field else first.get("msg", "invalid request")
    if _is_page(request):
        return await _domain_error(request, errors.InvalidInput(message, field=field))
    return _answer(request, 422, HTTP_CODES["value"], message, field)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = HTTP_CODES.get(exc.status_code, HTTP_CODES["other"])
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"No route {request.url.path}. See /docs for the API."
    return _answer(request, exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _database_error(request: Request, exc: DBAPIError) -> Response:
    if isinstance(exc.orig, psycopg.errors.QueryCanceled):
        return _answer(request, 503, HTTP_CODES["timeout"],
                       "The request took longer than the database allows; ask for less data.")
    if isinstance(exc.orig, psycopg.errors.SerializationFailure):
        # On a replica: a read cancelled because replaying the primary's changes needed its rows.
        return _answer(request, 503, HTTP_CODES["busy"],
                       "The read conflicted with newer changes being applied; retry in a moment.",
                       headers={"Retry-After": "1"})
    if isinstance(exc, DataError):
        # Values the database cannot hold (NUL characters, out-of-range numbers): bad input, not a fault.
        return _answer(request, 422, HTTP_CODES["value"], "A value in the request cannot be stored or compared "
                       "(for example a NUL character or a number out of range); correct it and retry.")
    if isinstance(exc.orig, psycopg.errors.ReadOnlySqlTransaction):
        return _answer(request, 503, HTTP_CODES["read_only"], "The database accepts no changes right now (it is "
                       "recovering or read-only); nothing was saved. Try again later.")
    if _disk_full(exc):
        return await _domain_error(request, datafiles.storage_full())
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return _answer(request, 503, HTTP_CODES["database"], "The database is not reachable right now; try again shortly.")
    schema = await run_in_threadpool(migrate.explain, exc)
    if schema is not None:  # a database never migrated, or migrated by another version
        log.error("%s %s: %s", request.method, request.url.path, schema.message)
        return await _domain_error(request, schema)
    log.exception("database error on %s", request.url.path)
    return _answer(request, 500, HTTP_CODES["internal"], "The server could not complete the request.")


async def _changed_meanwhile(request: Request, exc: StaleDataError) -> Response:
    # Two saves of one object raced: the later UPDATE found the row at another version.
    return await _domain_error(request, errors.Conflict(
        "Someone else saved this object at the same moment; nothing of your change was saved. "
        "Read it again and redo your change."))


async def _pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
    log.warning("connection pool exhausted on %s", request.url.path)
    return _answer(request, 503, HTTP_CODES["busy"], "The server is at capacity; retry in a moment.",
                   headers={"Retry-After": "1"})


#: How the operating system and GDAL say that a disk is full.
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def _disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is a write that ran out of disk space."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            return True
        if "No space left on device" in str(exc) or isinstance(getattr(exc, "orig", None), psycopg.errors.DiskFull):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def _unexpected(request: Request, exc: Exception) -> Response:
    if _disk_full(exc):
        log.error("disk full on %s %s", request.method, request.url.path)
        return await _domain_error(request, datafiles.storage_full())
    log.exception("unhandled error on %s", request.url.path)
    return _answer(request, 500, HTTP_CODES["internal"], "The server could not complete the request.")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(errors.PishraftError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _pool_timeout)  # type: ignore[arg-type]
    app.add_exception_handler(StaleDataError, _changed_meanwhile)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
