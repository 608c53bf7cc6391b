"""``pishraft maps``: render maps to standalone HTML files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import console, reports_errors
from maps.pages import overview_map
from spatial.db import session_scope

app = typer.Typer(help="Maps: render interactive HTML maps.", no_args_is_help=True)


@app.command()
@reports_errors
def render(out: Annotated[Path, typer.Option(help="Directory to write the HTML files to")] = Path("build/maps")) -> None:
    """Write every map as an HTML file into OUT."""
    out.mkdir(parents=True, exist_ok=True)
    with session_scope() as session:
        for lang in ("fa", "en"):
            path = out / f"overview.{lang}.html"
            overview_map(session, lang=lang).save(str(path))
            console.print(f"wrote {path}")
