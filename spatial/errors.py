"""Domain errors raised by the core.

Each carries a stable machine ``code``, a human ``message`` that says what to do, and
optionally the ``field`` (parameter, column, file, row) at fault. ``api/errors.py``
maps each class to an HTTP status, once; the CLI prints the message.
"""

from __future__ import annotations

from typing import Any


class PishraftError(Exception):
    """Base class of every error Pishraft reports to a user."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(PishraftError):
    """The named object does not exist."""

    code = "not_found"


class InvalidInput(PishraftError):
    """The request or file is malformed or inconsistent."""

    code = "invalid_input"


class OutsideUnit(InvalidInput):
    """A place (geometry) lies outside the unit it must lie within; still ``invalid_input``
    to API clients, told apart so that a page can say exactly that in its own language."""


class InvalidParameter(PishraftError):
    """A query or path parameter of a standard API (OGC API) is malformed or out of range.

    Those standards answer HTTP 400 where Pishraft's own API answers 422.
    """

    code = "invalid_parameter"


class Conflict(PishraftError):
    """The object already exists or the change clashes with the current state."""

    code = "conflict"


class NotSaved(Conflict):
    """The database refused the change when it was committed (a rule checked at commit,
    such as a deferred constraint or a trigger); nothing of it was saved."""

    code = "not_saved"


class VersionMismatch(Conflict):
    """The object changed since the version the edit was opened with.

    ``version`` is the current one; ``changed`` lists what changed since, field by field
    (``field``, ``opened``, ``now``, and ``yours`` where the edit changed it too);
    ``conflicts`` names the fields both changed differently (empty when no merge was tried),
    and ``yours`` holds every field the edit changed, with its value.
    """

    code = "version_mismatch"

    def __init__(self, message: str, *, version: int, changed: list[dict[str, Any]],
                 conflicts: list[str] | None = None, yours: dict[str, Any] | None = None,
                 field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.version, self.changed, self.conflicts = version, changed, conflicts or []
        self.yours = yours or {}


class VersionRequired(PishraftError):
    """A change was sent without the version it was made against, and the server requires one."""

    code = "if_match_required"


class TooLarge(PishraftError):
    """An upload or archive exceeds a configured limit."""

    code = "too_large"


class StorageFull(PishraftError):
    """The server's disk (or the database's) ran out of space while writing; nothing was kept."""

    code = "insufficient_storage"


class Unauthorized(PishraftError):
    """No or bad credentials."""

    code = "unauthorized"


class Forbidden(PishraftError):
    """The caller is known but may not do this."""

    code = "forbidden"


class RateLimited(PishraftError):
    """Too many requests; ``retry_after`` seconds to wait."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DatabaseUnavailable(PishraftError):
    """PostGIS cannot be reached right now."""

    code = "database_unavailable"


class EnvironmentProblem(PishraftError):
    """The machine lacks something Pishraft needs (a package, a permission)."""

    code = "environment"


class SchemaNotCurrent(EnvironmentProblem):
    """The database's schema is not this version's: never migrated, behind, or ahead."""

    code = "schema_not_current"
