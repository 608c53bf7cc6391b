"""``pishraft keys``: partner API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import console, reports_errors

app = typer.Typer(help="Partner API keys: scoped to collections, rate limited.", no_args_is_help=True)


@app.command()
@reports_errors
def create(
    partner: Annotated[str, typer.Option(help="Who the key is for, e.g. municipal-portal")],
    collections: Annotated[str, typer.Option(help="Comma-separated collection ids, or 'all'")] = "all",
    rate: Annotated[str, typer.Option(help="Requests per second (N/s) or minute (N/min)")] = "10/s",
) -> None:
    """Create a key and print it once; only its digest is stored."""
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope

    scope = accounts.parse_collections(collections)
    per_s = accounts.parse_rate(rate)
    with session_scope() as session:
        key = accounts.create_key(session, partner, scope, per_s, created_by="cli")
    console.print(f"Key for {partner} ({collections}, {per_s:g}/s). Store it now; it is not shown again:")
    print(key)


@app.command("list")
@reports_errors
def list_() -> None:
    """List keys (prefix, partner, scope, rate, state); never the secret."""
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope

    with session_scope() as session:
        keys = accounts.list_keys(session)
    table = Table("prefix", "partner", "collections", "rate/s", "created", "state")
    for k in keys:
        state = f"revoked {k['revoked_at']:%Y-%m-%d}" if k["revoked_at"] else "active"
        table.add_row(k["prefix"], k["partner"], ",".join(k["collections"]) if k["collections"] else "all",
                      f"{k['rate_per_s']:g}", f"{k['created_at']:%Y-%m-%d}", state + (" (demo)" if k["synthetic"] else ""))
    console.print(table)


@app.command()
@reports_errors
def revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix, as `keys list` shows it")]) -> None:
    """Revoke a key: it answers 401 from then on (within seconds in other processes)."""
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope

    with session_scope() as session:
        accounts.revoke_key(session, prefix)
    console.print(f"Key {prefix} revoked")
