"""``pishraft db``: the embedded PostGIS and migrations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import console, reports_errors

if TYPE_CHECKING:
    from spatial.db.embedded import EmbeddedPostgis

app = typer.Typer(help="Database: embedded PostGIS and schema migrations.", no_args_is_help=True)


def _embedded() -> EmbeddedPostgis:
    from spatial.db.embedded import EmbeddedPostgis
    from spatial.settings import get_settings

    return EmbeddedPostgis(get_settings().home)


def _external() -> bool:
    from spatial.settings import get_settings

    if get_settings().database_url:
        console.print("DATABASE_URL is set: Pishraft uses that server and manages none.")
        return True
    return False


@app.command()
@reports_errors
def start() -> None:
    """Start the embedded PostGIS (initialising it the first time)."""
    if _external():
        return
    pg = _embedded()
    pg.start()
    console.print(f"PostGIS running at {pg.libpq_url()}")


@app.command()
@reports_errors
def stop() -> None:
    """Stop the embedded PostGIS."""
    if _external():
        return
    _embedded().stop()
    console.print("PostGIS stopped")


@app.command()
@reports_errors
def status() -> None:
    """Show whether the embedded PostGIS runs, and where."""
    if _external():
        return
    console.print_json(json.dumps(_embedded().status()))


@app.command()
@reports_errors
def url() -> None:
    """Print the database URL in libpq form (for psql, ogr2ogr)."""
    from spatial.settings import get_settings

    settings = get_settings()
    print(settings.database_url or _embedded().libpq_url())


@app.command()
@reports_errors
def upgrade() -> None:
    """Migrate the schema to the latest version."""
    from spatial.db import migrate

    migrate.upgrade()
    console.print("Schema up to date")


@app.command()
@reports_errors
def backup(file: Annotated[Path, typer.Argument(help="Bundle to write, e.g. pishraft-2026-11-26.tar")]) -> None:
    """Back up the database and the layer files it references into one tar bundle."""
    from spatial.accounts import backup as backups

    report = backups.backup(file)
    console.print(f"Backup written to {report.path} ({report.bytes / 1e6:.1f} MB, {len(report.files)} layer files)")
    for missing in report.missing:
        console.print(f"[yellow]warning:[/] the catalogue names {missing}, which is not in the data directory")


@app.command()
@reports_errors
def restore(
    file: Annotated[Path, typer.Argument(help="A bundle written by `pishraft db backup`")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Replace the database and its layer files with a backup's (all or nothing for the database)."""
    from spatial.accounts import backup as backups

    if not yes:
        typer.confirm(f"Replace everything in the database with {file}?", abort=True)
    report = backups.restore(file)
    console.print(f"Restored {file} ({len(report.files)} layer files)")
