"""Schema migrations (Alembic), run programmatically: ``pishraft db upgrade``; and the
schema's state (the database's revision against this version's), which ``pishraft serve``,
the API's start-up and ``/health`` check."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from spatial.db.engine import database_url, get_engine
from spatial.errors import SchemaNotCurrent

MIGRATIONS = Path(__file__).parent / "migrations"
#: What brings a database's schema to this version's.
UPGRADE_COMMAND = "pishraft db upgrade"

SchemaStatus = Literal["current", "missing", "outdated", "unknown"]


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for ``url`` (default: the database in use)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (all heads by default)."""
    command.upgrade(alembic_config(url), revision)


def revision(message: str, url: str | None = None) -> None:
    """Autogenerate a new migration from the models (developers only)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)


@lru_cache(maxsize=1)
def _migrations() -> tuple[frozenset[str], frozenset[str]]:
    """(heads, every revision) of this version's migrations, read once per process."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    return frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


@dataclass(frozen=True)
class SchemaState:
    """The revisions a database records against the heads of this version's migrations."""

    database: tuple[str, ...]
    expected: tuple[str, ...]
    status: SchemaStatus

    @property
    def current(self) -> bool:
        return self.status == "current"

    @property
    def message(self) -> str | None:
        """What is wrong and the command that puts it right; ``None`` when current."""
        found, wanted = ", ".join(self.database), ", ".join(self.expected)
        if self.status == "missing":
            return f"The database has no Pishraft schema yet: run `{UPGRADE_COMMAND}`."
        if self.status == "outdated":
            return (f"The database schema is at revision {found}; this version of Pishraft needs {wanted}: "
                    f"run `{UPGRADE_COMMAND}`.")
        if self.status == "unknown":
            return (f"The database schema is at revision {found}, which this version of Pishraft does not know "
                    f"(its newest is {wanted}): a newer Pishraft migrated it; run that version.")
        return None

    def as_dict(self) -> dict[str, object]:
        """The state as ``/health`` reports it."""
        return {"status": self.status, "revision": list(self.database), "expected": list(self.expected),
                **({"message": self.message} if self.message else {})}


def schema_state(connection: Connection | None = None) -> SchemaState:
    """The schema's state of the database behind ``connection`` (default: the one in use)."""
    if connection is None:
        with get_engine().connect() as conn:
            return schema_state(conn)
    heads, known = _migrations()
    database = frozenset(MigrationContext.configure(connection).get_current_heads())
    status: SchemaStatus
    if database == heads:
        status = "current"
    elif not database:
        status = "missing"
    elif database <= known:
        status = "outdated"
    else:
        status = "unknown"
    return SchemaState(tuple(sorted(database)), tuple(sorted(heads)), status)


def require_current_schema() -> None:
    """Raise :class:`SchemaNotCurrent`, naming the command to run, unless the schema is this version's."""
    state = schema_state()
    if state.message:
        raise SchemaNotCurrent(state.message)


def explain(exc: DBAPIError) -> SchemaNotCurrent | None:
    """The schema's fault behind a query that names a missing table or column, if that is the
    cause (a database never migrated, or migrated by another version); else ``None``."""
    if not isinstance(exc.orig, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        return None
    state = schema_state()
    return SchemaNotCurrent(state.message) if state.message else None
