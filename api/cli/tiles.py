"""``pishraft tiles``: the precomputed features of administrative vector tiles."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import console, reports_errors, status

app = typer.Typer(help="Vector tiles: rebuild what administrative tiles are drawn from.", no_args_is_help=True)


@app.command()
@reports_errors
def refresh(
    level: Annotated[list[str] | None, typer.Option(help="Only these levels (default: every level)")] = None,
) -> None:
    """Rebuild the coalesced tile features (zooms 0–10) from the current boundaries and
    indicator values, after boundaries or values changed; tiles cached before are not served again."""
    from spatial.db.engine import session_scope
    from spatial.errors import InvalidInput
    from spatial.serving.coalesce import LEVELS, refresh_coalesced_tiles

    unknown = sorted(set(level or ()) - set(LEVELS))
    if unknown:
        raise InvalidInput(f"Unknown level '{unknown[0]}': tiles are made of {', '.join(LEVELS)}.", field="level")
    levels = tuple(level) if level else LEVELS
    with status("Coalescing tile features"), session_scope() as session:
        seconds = refresh_coalesced_tiles(session, levels)
    console.print(f"rebuilt the tile features of {', '.join(levels)} in {seconds:.1f} s")
