"""What every command shares: the console and turning domain errors into messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from spatial.errors import PishraftError

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Print a :class:`PishraftError` as a one-line message and exit 1, never a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except PishraftError as exc:
            _report(exc)
        except Exception as exc:
            # A missing table: is the schema this version's? (imported here: commands load only what they use)
            from sqlalchemy.exc import DBAPIError

            from spatial.db import migrate

            schema = migrate.explain(exc) if isinstance(exc, DBAPIError) else None
            if schema is None:
                raise
            _report(schema)
        raise typer.Exit(1)

    return wrapper


def _report(exc: PishraftError) -> None:
    where = escape(f" [{exc.field}]") if exc.field else ""
    err_console.print(f"[bold red]error{where}:[/] {escape(exc.message)}", highlight=False)


@contextmanager
def status(message: str) -> Iterator[Callable[[str], None]]:
    """A spinner with a message that steps can update."""
    with console.status(message) as s:
        yield lambda step: s.update(f"{message}: {step}")
