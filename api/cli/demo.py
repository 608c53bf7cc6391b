"""``pishraft demo``: the demo data set."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import console, reports_errors, status

app = typer.Typer(help="Demo data: real provinces, synthetic everything else.", no_args_is_help=True)


@app.command("load")
@reports_errors
def load(
    neighbourhoods: Annotated[
        int | None, typer.Option(help="Total synthetic neighbourhoods (default 20 per county, max 50,000)")
    ] = None,
) -> None:
    """Load the demo (idempotent: a second run with the same options does nothing). What an
    earlier load left when it was killed is cleared first, and said."""
    from api.recovery import clear_interrupted_work, said
    from spatial.db.engine import session_scope
    from spatial.demo import load_demo
    from spatial.demo.accounts import credentials_text

    cleared = clear_interrupted_work()
    if cleared:
        console.print(f"[yellow]{said(cleared)}[/]", highlight=False, soft_wrap=True)
    with status("Loading demo") as step, session_scope() as session:
        written = load_demo(session, neighbourhoods, progress=step)
    console.print("Demo loaded" if written else "Demo already loaded")
    console.print(credentials_text(), highlight=False, soft_wrap=True)
