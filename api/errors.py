"""One mapping from domain errors to HTTP responses, in one JSON shape:
``{"error": {"code": ..., "message": ..., "field": ...}}``.
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
    errors.DatabaseUnavailable: 503,
    errors.EnvironmentProblem: 503,
}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    """The JSON error document every failing route returns."""
    return {"error": {"code": code, "message": message, "field": field}}


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
    headers = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    if isinstance(exc, errors.Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    body: dict[str, dict[str, Any]] = error_body(exc.code, exc.message, exc.field)
    if isinstance(exc, errors.VersionMismatch):  # what changed since, for the caller to redo its change
        headers["ETag"] = f'"{exc.version}"'
        body["error"].update(version=exc.version, changed=exc.changed, conflicts=exc.conflicts)
    return JSONResponse(body, status_code=_status_for(exc), headers=headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "header")]
    field = ".".join(loc) or None
    message = f"{field}: {first.get('msg', 'invalid value')}" if field else first.get("msg", "invalid request")
    if _is_page(request):
        return await _domain_error(request, errors.InvalidInput(message, field=field))
    return JSONResponse(error_body("invalid_input", message, field), status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden",
            413: "too_large", 429: "rate_limited", 503: "unavailable"}.get(
        exc.status_code, "http_error"
    )
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"No route {request.url.path}. See /docs for the API."
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _database_error(request: Request, exc: DBAPIError) -> Response:
    if isinstance(exc.orig, psycopg.errors.QueryCanceled):
        return JSONResponse(
            error_body("timeout", "The request took longer than the database allows; ask for less data."),
            status_code=503,
        )
    if isinstance(exc, DataError):
        # Values the database cannot hold (NUL characters, out-of-range numbers): bad input, not a fault.
        return JSONResponse(
            error_body("invalid_input", "A value in the request cannot be stored or compared (for example a NUL "
                       "character or a number out of range); correct it and retry."),
            status_code=422,
        )
    if isinstance(exc.orig, psycopg.errors.ReadOnlySqlTransaction):
        return JSONResponse(
            error_body("database_read_only", "The database accepts no changes right now (it is recovering or "
                       "read-only); nothing was saved. Try again later."), status_code=503)
    if _disk_full(exc):
        return await _domain_error(request, datafiles.storage_full())
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return JSONResponse(
            error_body("database_unavailable", "The database is not reachable right now; try again shortly."),
            status_code=503,
        )
    schema = await run_in_threadpool(migrate.explain, exc)
    if schema is not None:  # a database never migrated, or migrated by another version
        log.error("%s %s: %s", request.method, request.url.path, schema.message)
        return await _domain_error(request, schema)
    log.exception("database error on %s", request.url.path)
    return JSONResponse(error_body("internal", "The server could not complete the request."), status_code=500)


async def _changed_meanwhile(request: Request, exc: StaleDataError) -> Response:
    # Two saves of one object raced: the later UPDATE found the row at another version.
    return await _domain_error(request, errors.Conflict(
        "Someone else saved this object at the same moment; nothing of your change was saved. "
        "Read it again and redo your change."))


async def _pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
    log.warning("connection pool exhausted on %s", request.url.path)
    return JSONResponse(error_body("busy", "The server is at capacity; retry in a moment."), status_code=503,
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
    return JSONResponse(error_body("internal", "The server could not complete the request."), status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(errors.PishraftError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _pool_timeout)  # type: ignore[arg-type]
    app.add_exception_handler(StaleDataError, _changed_meanwhile)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
