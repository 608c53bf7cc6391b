"""Domain errors raised by the core.

Each carries a stable machine ``code``, a human ``message`` (English, for API clients and
the command line) that says what to do, and optionally the ``field`` (parameter, column,
file, row) at fault. ``api/errors.py`` maps each class to an HTTP status, once; the CLI
prints the message.

For people, an error is told from the message catalogue: its ``reason`` names a catalogue
entry ``refusal.<reason>`` (by default the class's ``refusal.<code>``), whose Persian and
English texts take the error's ``params`` and the field as the page labels it
(:func:`spatial.messages.refusal`). A test fails when a class or a ``reason=`` raised
anywhere lacks its entry.

Examples
--------
>>> e = InvalidInput("x.csv is empty", field="file", reason="file_empty", name="x.csv")
>>> e.key, e.params
('refusal.file_empty', {'name': 'x.csv'})
"""

from __future__ import annotations

from typing import Any


class PishraftError(Exception):
    """Base class of every error Pishraft reports to a user."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None,
                 **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason
        self.params = params

    @property
    def key(self) -> str:
        """The catalogue entry that tells this error to a person: ``refusal.<reason or code>``."""
        return f"refusal.{self.reason or self.code}"


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
class AlreadySent(Conflict):
    """This form was sent before and its change is saved; ``url`` is the page the first
    send led to (``None`` when it did not say). Pages answer with that page, not an error."""

    code = "already_sent"

    def __init__(self, url: str | None) -> None:
        super().__init__("This form was already sent; its change is saved once.", field="form_token")
        self.url = url


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
        super().__init__(message, seconds=max(1, round(retry_after)))
        self.retry_after = retry_after


class Busy(PishraftError):
    """The server runs as many database requests as it may; retry in a moment."""

    code = "busy"


class DatabaseUnavailable(PishraftError):
    """PostGIS cannot be reached right now."""

    code = "database_unavailable"


class EnvironmentProblem(PishraftError):
    """The machine lacks something Pishraft needs (a package, a permission)."""

    code = "environment"


class SchemaNotCurrent(EnvironmentProblem):
    """The database's schema is not this version's: never migrated, behind, or ahead."""

    code = "schema_not_current"
