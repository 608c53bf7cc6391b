"""``pishraft maps``: render maps to standalone HTML files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import console, reports_errors, status

app = typer.Typer(help="Maps: render interactive HTML maps.", no_args_is_help=True)


@app.command()
@reports_errors
def render(
    out: Annotated[Path, typer.Option(help="Directory to write the HTML files to")] = Path("build/maps"),
    lang: Annotated[list[str] | None, typer.Option(help="Language(s): fa, en (default both)")] = None,
    unit: Annotated[list[str] | None, typer.Option(help="Only these units' pages (default: every unit)")] = None,
) -> None:
    """Write every map (national overview, then each province and county) as standalone
    HTML into OUT, with Leaflet and fonts in OUT/static: the files open with no internet."""
    from maps.pages import render_all
    from spatial.db.engine import session_scope

    with status("Rendering maps") as step, session_scope() as session:
        written = render_all(session, out, tuple(lang or ("fa", "en")), unit, progress=lambda p: step(p.name))
    console.print(f"wrote {len(written)} maps to {out}; open {written[0]}")
